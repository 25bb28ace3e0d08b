// Owning cuDNN descriptors for the ops that call cuDNN (conv, pooling, ...).
//
//   TS_ASSIGN_OR_RETURN(CudnnTensor x_desc, MakeTensor4d(n, c, h, w));
//   cudnnConvolutionForward(..., x_desc.get(), ...);
#ifndef TESSERA_CORE_CUDA_CUDNN_UTIL_H_
#define TESSERA_CORE_CUDA_CUDNN_UTIL_H_

#include <cudnn.h>

#include <cstdint>
#include <memory>
#include <type_traits>

#include "absl/status/statusor.h"
#include "core/cuda/cuda_context.h"

namespace tessera {

template <typename Descriptor, cudnnStatus_t (*Destroy)(Descriptor)>
class CudnnDescriptor {
 public:
  CudnnDescriptor() = default;
  explicit CudnnDescriptor(Descriptor d) : d_(d) {}
  CudnnDescriptor(CudnnDescriptor&& other) noexcept : d_(other.d_) { other.d_ = nullptr; }
  CudnnDescriptor& operator=(CudnnDescriptor&& other) noexcept {
    std::swap(d_, other.d_);
    return *this;
  }
  ~CudnnDescriptor() {
    if (d_ != nullptr) Destroy(d_);
  }
  Descriptor get() const { return d_; }

 private:
  Descriptor d_ = nullptr;
};

using CudnnTensor = CudnnDescriptor<cudnnTensorDescriptor_t, cudnnDestroyTensorDescriptor>;
using CudnnFilter = CudnnDescriptor<cudnnFilterDescriptor_t, cudnnDestroyFilterDescriptor>;
using CudnnConvolution =
    CudnnDescriptor<cudnnConvolutionDescriptor_t, cudnnDestroyConvolutionDescriptor>;
using CudnnPooling = CudnnDescriptor<cudnnPoolingDescriptor_t, cudnnDestroyPoolingDescriptor>;
using CudnnLrn = CudnnDescriptor<cudnnLRNDescriptor_t, cudnnDestroyLRNDescriptor>;

// Dense NCHW float32.
absl::StatusOr<CudnnTensor> MakeTensor4d(int64_t n, int64_t c, int64_t h, int64_t w);
// KCRS float32 filters.
absl::StatusOr<CudnnFilter> MakeFilter4d(int64_t k, int64_t c, int64_t r, int64_t s);
// Cross-correlation (what deep-learning "convolution" means), float32
// accumulation, tensor-op math allowed only where it keeps fp32 accuracy.
absl::StatusOr<CudnnConvolution> MakeConvolution2d(int pad_h, int pad_w, int stride_h, int stride_w,
                                                   int dilation_h, int dilation_w, int groups);

}  // namespace tessera

#endif  // TESSERA_CORE_CUDA_CUDNN_UTIL_H_
