// mul's CUDA kernels; registered for Device::kCuda in mul.cc.
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

__global__ void MulForwardKernel(const float* x, const float* y, float* z, int64_t n) {
  for (int64_t i : GridStride{n}) z[i] = x[i] * y[i];
}

// dx = dz * y, dy = dz * x; a null pointer is a gradient that is not wanted.
__global__ void MulGradientKernel(const float* x, const float* y, const float* dz, float* dx,
                                  float* dy, int64_t n) {
  for (int64_t i : GridStride{n}) {
    const float g = dz[i];
    if (dx != nullptr) dx[i] = g * y[i];
    if (dy != nullptr) dy[i] = g * x[i];
  }
}

}  // namespace

void MulForward(const float* x, const float* y, float* z, int64_t n, cudaStream_t stream) {
  MulForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, y, z, n);
}

void MulGradient(const float* x, const float* y, const float* dz, float* dx, float* dy, int64_t n,
                 cudaStream_t stream) {
  MulGradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, y, dz, dx, dy, n);
}

}  // namespace cuda
}  // namespace tessera
