#include "core/cuda/cudnn_util.h"

#include <limits>

#include "absl/strings/str_cat.h"

namespace tessera {
namespace {

absl::Status CheckFitsInt(std::initializer_list<int64_t> dims) {
  for (int64_t d : dims) {
    if (d < 0 || d > std::numeric_limits<int>::max()) {
      return absl::InvalidArgumentError(absl::StrCat("dimension ", d, " does not fit cuDNN's int"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CudnnTensor> MakeTensor4d(int64_t n, int64_t c, int64_t h, int64_t w) {
  TS_RETURN_IF_ERROR(CheckFitsInt({n, c, h, w}));
  cudnnTensorDescriptor_t d;
  TS_CUDNN_RETURN_IF_ERROR(cudnnCreateTensorDescriptor(&d), "cudnnCreateTensorDescriptor");
  CudnnTensor owned(d);
  TS_CUDNN_RETURN_IF_ERROR(cudnnSetTensor4dDescriptor(d, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT,
                                                      int(n), int(c), int(h), int(w)),
                           "cudnnSetTensor4dDescriptor");
  return owned;
}

absl::StatusOr<CudnnFilter> MakeFilter4d(int64_t k, int64_t c, int64_t r, int64_t s) {
  TS_RETURN_IF_ERROR(CheckFitsInt({k, c, r, s}));
  cudnnFilterDescriptor_t d;
  TS_CUDNN_RETURN_IF_ERROR(cudnnCreateFilterDescriptor(&d), "cudnnCreateFilterDescriptor");
  CudnnFilter owned(d);
  TS_CUDNN_RETURN_IF_ERROR(cudnnSetFilter4dDescriptor(d, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                                      int(k), int(c), int(r), int(s)),
                           "cudnnSetFilter4dDescriptor");
  return owned;
}

absl::StatusOr<CudnnConvolution> MakeConvolution2d(int pad_h, int pad_w, int stride_h, int stride_w,
                                                   int dilation_h, int dilation_w, int groups) {
  cudnnConvolutionDescriptor_t d;
  TS_CUDNN_RETURN_IF_ERROR(cudnnCreateConvolutionDescriptor(&d),
                           "cudnnCreateConvolutionDescriptor");
  CudnnConvolution owned(d);
  TS_CUDNN_RETURN_IF_ERROR(
      cudnnSetConvolution2dDescriptor(d, pad_h, pad_w, stride_h, stride_w, dilation_h, dilation_w,
                                      CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT),
      "cudnnSetConvolution2dDescriptor");
  TS_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionGroupCount(d, groups),
                           "cudnnSetConvolutionGroupCount");
  // TF32 tensor cores would lose the 1e-4 agreement with the CPU.
  TS_CUDNN_RETURN_IF_ERROR(cudnnSetConvolutionMathType(d, CUDNN_FMA_MATH),
                           "cudnnSetConvolutionMathType");
  return owned;
}

}  // namespace tessera
