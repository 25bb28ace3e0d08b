// sigmoid's CUDA kernels; registered for Device::kCuda in sigmoid.cc.
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

// As StableSigmoid in sigmoid.cc: both branches exponentiate a non-positive
// number, so a large |x| gives exactly 0 or 1, never inf / inf.
__device__ inline float StableSigmoid(float x) {
  if (x >= 0) return 1.0f / (1.0f + expf(-x));
  const float e = expf(x);
  return e / (1.0f + e);
}

__global__ void SigmoidForwardKernel(const float* x, float* y, int64_t n) {
  for (int64_t i : GridStride{n}) y[i] = StableSigmoid(x[i]);
}

// From the saved output, as the CPU: dx = dy * y * (1 - y).
__global__ void SigmoidGradientKernel(const float* y, const float* dy, float* dx, int64_t n) {
  for (int64_t i : GridStride{n}) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

}  // namespace

void SigmoidForward(const float* x, float* y, int64_t n, cudaStream_t stream) {
  SigmoidForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, y, n);
}

void SigmoidGradient(const float* y, const float* dy, float* dx, int64_t n, cudaStream_t stream) {
  SigmoidGradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(y, dy, dx, n);
}

}  // namespace cuda
}  // namespace tessera
