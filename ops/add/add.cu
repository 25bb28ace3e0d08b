// add's CUDA kernels; registered for Device::kCuda in add.cc.
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

__global__ void AddForwardKernel(const float* x, const float* y, float* z, int64_t n) {
  for (int64_t i : GridStride{n}) z[i] = x[i] + y[i];
}

// dx = dz and dy = dz in one pass over dz; a null pointer is a gradient
// that is not wanted.
__global__ void AddGradientKernel(const float* dz, float* dx, float* dy, int64_t n) {
  for (int64_t i : GridStride{n}) {
    const float g = dz[i];
    if (dx != nullptr) dx[i] = g;
    if (dy != nullptr) dy[i] = g;
  }
}

}  // namespace

void AddForward(const float* x, const float* y, float* z, int64_t n, cudaStream_t stream) {
  AddForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, y, z, n);
}

void AddGradient(const float* dz, float* dx, float* dy, int64_t n, cudaStream_t stream) {
  AddGradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(dz, dx, dy, n);
}

}  // namespace cuda
}  // namespace tessera
