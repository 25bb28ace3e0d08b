// leaky_relu's CUDA kernels; registered for Device::kCuda in leaky_relu.cc.
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

__global__ void LeakyReluForwardKernel(const float* x, float* y, int64_t n, float slope) {
  for (int64_t i : GridStride{n}) y[i] = x[i] > 0 ? x[i] : slope * x[i];
}

// The slope at x <= 0, as on the CPU (PyTorch takes it at exactly 0 too).
__global__ void LeakyReluGradientKernel(const float* x, const float* dy, float* dx, int64_t n,
                                        float slope) {
  for (int64_t i : GridStride{n}) dx[i] = x[i] > 0 ? dy[i] : slope * dy[i];
}

}  // namespace

void LeakyReluForward(const float* x, float* y, int64_t n, float slope, cudaStream_t stream) {
  LeakyReluForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, y, n, slope);
}

void LeakyReluGradient(const float* x, const float* dy, float* dx, int64_t n, float slope,
                       cudaStream_t stream) {
  LeakyReluGradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, dy, dx, n, slope);
}

}  // namespace cuda
}  // namespace tessera
