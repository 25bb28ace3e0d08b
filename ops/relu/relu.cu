// relu's CUDA kernels; registered for Device::kCuda in relu.cc.
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

__global__ void ReluForwardKernel(const float* x, float* y, int64_t n) {
  for (int64_t i : GridStride{n}) y[i] = x[i] > 0 ? x[i] : 0.0f;
}

__global__ void ReluGradientKernel(const float* x, const float* dy, float* dx, int64_t n) {
  for (int64_t i : GridStride{n}) dx[i] = x[i] > 0 ? dy[i] : 0.0f;
}

}  // namespace

void ReluForward(const float* x, float* y, int64_t n, cudaStream_t stream) {
  ReluForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, y, n);
}

void ReluGradient(const float* x, const float* dy, float* dx, int64_t n, cudaStream_t stream) {
  ReluGradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, dy, dx, n);
}

}  // namespace cuda
}  // namespace tessera
