// tanh's CUDA kernels; registered for Device::kCuda in tanh.cc.
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

// tanhf saturates to +-1 for large |x| without overflow, like std::tanh.
__global__ void TanhForwardKernel(const float* x, float* y, int64_t n) {
  for (int64_t i : GridStride{n}) y[i] = tanhf(x[i]);
}

// From the saved output, as the CPU: dx = dy * (1 - y^2). y^2 is rounded
// on its own (__fmul_rn is never contracted into an FMA), as on the CPU.
__global__ void TanhGradientKernel(const float* y, const float* dy, float* dx, int64_t n) {
  for (int64_t i : GridStride{n}) dx[i] = dy[i] * (1.0f - __fmul_rn(y[i], y[i]));
}

}  // namespace

void TanhForward(const float* x, float* y, int64_t n, cudaStream_t stream) {
  TanhForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, y, n);
}

void TanhGradient(const float* y, const float* dy, float* dx, int64_t n, cudaStream_t stream) {
  TanhGradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(y, dy, dx, n);
}

}  // namespace cuda
}  // namespace tessera
