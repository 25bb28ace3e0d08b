// Launchers for the CUDA backend's vector primitives (backend_kernels.cu).
// Plain types only: included by nvcc and the host compiler alike.
#ifndef TESSERA_CORE_CUDA_BACKEND_KERNELS_H_
#define TESSERA_CORE_CUDA_BACKEND_KERNELS_H_

#include <cuda_runtime.h>

#include <cstdint>

namespace tessera {
namespace cuda {

void LaunchFill(float* x, int64_t n, float value, cudaStream_t stream);
void LaunchAxpy(float alpha, const float* x, float* y, int64_t n, cudaStream_t stream);
// *sum (device, zeroed by the caller) += sum of x^2, accumulated in double;
// *nonfinite (device, zeroed by the caller) is set to 1 if any x is NaN/Inf.
void LaunchSumOfSquares(const float* x, int64_t n, double* sum, cudaStream_t stream);
void LaunchFindNonFinite(const float* x, int64_t n, int* nonfinite, cudaStream_t stream);
void LaunchSgdMomentum(float* w, const float* g, float* v, int64_t n, float lr, float momentum,
                       float weight_decay, cudaStream_t stream);
void LaunchAdam(float* w, const float* g, float* m, float* v, int64_t n, float lr_t, float beta1,
                float beta2, float eps, float weight_decay, cudaStream_t stream);

}  // namespace cuda
}  // namespace tessera

#endif  // TESSERA_CORE_CUDA_BACKEND_KERNELS_H_
