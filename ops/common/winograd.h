#ifndef TESSERA_OPS_COMMON_WINOGRAD_H_
#define TESSERA_OPS_COMMON_WINOGRAD_H_

// Winograd's minimal filtering F(4x4, 3x3) for stride-1, undilated 3x3
// convolutions (Lavin and Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2015; NNPACK and oneDNN do the same). Each 4x4 block of output
// pixels (a tile) reads a 6x6 input patch d; per pair of channels
//   y_tile = A^T [ (G w G^T) .* (B^T d B) ] A,
// so after transforming weights (U = G w G^T) and input patches (V = B^T d
// B), the sum over input channels is 36 independent GEMMs, one per position
// xi of the 6x6 transformed tile:
//   M[xi][o][tile] = sum_c U[xi][o][c] V[xi][c][tile],
// and the inverse transform A^T M A gives the tile's 16 outputs. That is 36
// multiplications per 16 outputs and channel pair, 4x fewer than the 144 of
// the direct form. The price is rounding: the transforms scale values by up
// to 5/4 x 36 and back, so errors are a few times a direct sum's
// (ops/conv2d/conv2d_test.cc measures them against a double reference).
//
// The same routine computes conv2d's input gradient: for stride 1 it is a
// 3x3 convolution of dy with the weight turned by 180 degrees and its
// channel axes swapped, padded by 2 - pad (negative: cropped).

#include <cstdint>

#include "ops/common/im2col.h"

namespace tessera {
namespace conv {

// Which convolutions take the Winograd path; tests force it either way.
enum class WinogradUse { kAuto, kAlways, kNever };
void SetWinogradUseForTesting(WinogradUse use);

// Whether a convolution of this geometry (one group) with
// `out_channels_per_group` outputs runs through Winograd, forward and input
// gradient: a 3x3 kernel, stride 1, no dilation, and (kAuto) enough
// channels both ways for the saved multiplications to outweigh the
// transforms.
bool UseWinograd(const ConvGeometry& g, int64_t out_channels_per_group);

// One Winograd convolution over a batch: input x images of in_ch planes of
// in_h x in_w, image n at x + n * x_image_stride; output y likewise.
struct WinogradConv {
  int64_t batch;
  int64_t in_ch, in_h, in_w, x_image_stride;
  int64_t out_ch, out_h, out_w, y_image_stride;
  int64_t pad_h, pad_w;  // may be negative (an input gradient with pad > 2)
};

// Floats of a transformed weight: 36 * out_ch * in_ch.
inline int64_t WinogradWeightSize(int64_t out_ch, int64_t in_ch) { return 36 * out_ch * in_ch; }

// u[xi][i][o] = (G w[o][i] G^T)[xi] (input-major: the GEMMs read it as
// the transpose, which packs without a transpose) for the convolution with out_ch outputs
// and in_ch inputs. With for_input_gradient, w is the forward weight
// [in_ch][out_ch][3][3] and the kernel of (o, i) is w[i][o] turned by 180
// degrees; otherwise w is [out_ch][in_ch][3][3]. Computed in double.
void WinogradTransformWeights(const float* w, int64_t out_ch, int64_t in_ch,
                              bool for_input_gradient, float* u);

// y = the 3x3 stride-1 convolution of x with the weight u was made from,
// plus bias[o] when bias is not null (overwrites y). Tiles are cut into blocks by shape alone and
// each block is computed by one thread, so results do not depend on the thread count.
void WinogradConv3x3(const WinogradConv& p, const float* u, const float* x, const float* bias,
                     float* y);

}  // namespace conv
}  // namespace tessera

#endif  // TESSERA_OPS_COMMON_WINOGRAD_H_
