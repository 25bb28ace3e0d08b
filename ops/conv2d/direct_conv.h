#ifndef TESSERA_OPS_CONV2D_DIRECT_CONV_H_
#define TESSERA_OPS_CONV2D_DIRECT_CONV_H_

// A direct convolution (no im2col, no GEMM packing of the input) for
// undilated convolutions, in the manner of oneDNN's jit_avx512_common_conv
// and XNNPACK's indirect convolution: output channels run along SIMD lanes,
// and a register tile of R output pixels x V vectors of output channels
// accumulates, for every (c, kh, kw) of the kernel, R input values
// broadcast against V vectors of a weight packed output-channel-blocked
// ([k][V x lanes]). The input is read in place, or from its stride phases
// with the padding written out (conv::PhaseLayout), where the R pixels of
// a tile read R consecutive floats of one phase row for every k: the
// implicit GEMM's per-block im2col packing disappears, and the tile's sums
// stay in registers over the whole kernel (no C tile reloaded per k block).
//
// Each output value is summed by one tile in one fixed order whatever the
// thread count: results are deterministic.

#include <cstdint>

#include "ops/common/im2col.h"

namespace tessera {
namespace conv {

// Which convolutions take the direct path; tests force it either way.
enum class DirectConvUse { kAuto, kAlways, kNever };
void SetDirectConvUseForTesting(DirectConvUse use);

// Whether conv2d's forward (and its stride-1 input gradient, a convolution
// too) runs the direct kernel: dilation 1 and, under kAuto, the shapes where
// it measured faster than the implicit GEMM.
bool UseDirectConv(const ConvGeometry& g, int64_t out_channels_per_group);

// Whether conv2d's weight gradient runs DirectConvWeightGradient.
bool UseDirectWeightGradient(const ConvGeometry& g, int64_t out_channels_per_group);

// An upper bound on the floats of scratch DirectConvForward or
// DirectConvWeightGradient allocates (phases, packed weight, dy
// transposed, partial sums), for the op's workspace estimate.
int64_t DirectConvScratchFloats(const ConvGeometry& g, int64_t batch, int64_t groups,
                                int64_t out_channels_per_group);

// y = conv(x, w) (+ bias when not null) over a batch, all groups: x is
// [batch, groups * g.channels, in_h, in_w], w [groups * out_per_group,
// g.channels, kernel_h, kernel_w], y [batch, groups * out_per_group, out_h,
// out_w] (overwritten). g.attrs.dilation must be 1.
void DirectConvForward(const ConvGeometry& g, int64_t batch, int64_t groups, int64_t out_per_group,
                       const float* x, const float* w, const float* bias, float* y);

// dw = the weight gradient of that convolution for output gradient dy
// (overwritten): taps x output channels tiles summed over the whole batch.
// When db is not null, also the bias gradient (db[o] = the sum of dy's
// plane o over the batch, overwritten), summed from dy's transposed copy
// while it is in cache instead of in a pass of its own over dy.
void DirectConvWeightGradient(const ConvGeometry& g, int64_t batch, int64_t groups,
                              int64_t out_per_group, const float* x, const float* dy, float* dw,
                              float* db = nullptr);

}  // namespace conv
}  // namespace tessera

#endif  // TESSERA_OPS_CONV2D_DIRECT_CONV_H_
