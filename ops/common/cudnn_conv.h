#ifndef TESSERA_OPS_COMMON_CUDNN_CONV_H_
#define TESSERA_OPS_COMMON_CUDNN_CONV_H_

// cuDNN convolutions for the GPU kernels of conv2d and conv_transpose2d
// (shared like im2col.h). Only with --config=cuda.
//
// One CudnnConv describes a convolution in conv2d's terms: `image`
// [N, C, H, W] convolved with `filter` [K, C/groups, R, S] gives `out`
// [N, K, P, Q], with the symmetric zero padding, stride, dilation and groups
// of ConvAttrs. conv2d's forward pass is CudnnConvForward; conv_transpose2d's
// is CudnnConvBackwardData (the adjoint), with its x as `out` and its y as
// `image`.
//
// Algorithms come from cuDNN's heuristics (cudnnGet*Algorithm_v7), ordered
// deterministic first, then as cuDNN ranks them; the list is cached per
// problem. The math stays FMA (no TF32, see MakeConvolution2d), and an
// algorithm that turns out not to support it is skipped for the next.

#if TESSERA_CUDA

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/cuda/cuda_context.h"
#include "core/cuda/cudnn_util.h"
#include "core/shape.h"
#include "ops/common/im2col.h"

namespace tessera {
namespace conv {

struct CudnnConv {
  CudnnTensor image, out;
  CudnnFilter filter;
  CudnnConvolution conv;
  // Shapes and attributes: identifies the problem in the algorithm cache.
  std::vector<int64_t> key;
};

// The descriptors; InvalidArgument when a size does not fit cuDNN's int, and
// Internal when cuDNN's output size for `image` is not `out` (the caller must
// pass a consistent problem).
absl::StatusOr<CudnnConv> MakeCudnnConv(const Shape& image, const Shape& filter, const Shape& out,
                                        const ConvAttrs& attrs);

// out = conv(image, filter), overwriting out.
absl::Status CudnnConvForward(CudaContext& cuda, const CudnnConv& c, const float* image,
                              const float* filter, float* out);
// image_grad = the adjoint of conv(., filter) applied to out_grad, overwriting
// image_grad (every image pixel is written, 0 where no output reads it).
absl::Status CudnnConvBackwardData(CudaContext& cuda, const CudnnConv& c, const float* filter,
                                   const float* out_grad, float* image_grad);
// filter_grad = d<out_grad, conv(image, filter)>/d filter, overwriting
// filter_grad.
absl::Status CudnnConvBackwardFilter(CudaContext& cuda, const CudnnConv& c, const float* image,
                                     const float* out_grad, float* filter_grad);

// y[n, c, h, w] += bias[c] for y of shape [N, C, H, W].
absl::Status CudnnAddBias(CudaContext& cuda, const Shape& y_shape, const float* bias, float* y);
// db[c] = sum of dy[n, c, h, w] over n, h, w, overwriting db.
absl::Status CudnnBiasGradient(CudaContext& cuda, const Shape& dy_shape, const float* dy,
                               float* db);

}  // namespace conv
}  // namespace tessera

#endif  // TESSERA_CUDA

#endif  // TESSERA_OPS_COMMON_CUDNN_CONV_H_
