// dropout's CUDA kernels; registered for Device::kCuda in dropout.cc.
//
// The mask is the CPU kernel's, bit for bit: element i draws the i-th
// splitmix64 output for the seed (64-bit integer arithmetic, identical on
// host and device), keeps its top 24 bits as u = (z >> 40) * 2^-24 (exact in
// float: an integer below 2^24 times a power of two), and is kept when
// u >= rate, with the same float rate and the same host-computed scale.
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

// SplitMix64 of dropout_mask.h.
__device__ inline uint64_t SplitMix64(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

constexpr float kTwoToMinus24 = 1.0f / 16777216.0f;  // 2^-24, exact

__global__ void DropoutForwardKernel(const float* x, float* mask, float* y, float* keep, int64_t n,
                                     uint64_t seed, float rate, float scale) {
  for (int64_t i : GridStride{n}) {
    const float u =
        static_cast<float>(SplitMix64(seed, static_cast<uint64_t>(i)) >> 40) * kTwoToMinus24;
    const float m = u >= rate ? scale : 0.0f;
    mask[i] = m;
    y[i] = x[i] * m;
    if (keep != nullptr) keep[i] = u >= rate ? 1.0f : 0.0f;  // null: not wanted
  }
}

__global__ void FillOnesKernel(float* out, int64_t n) {
  for (int64_t i : GridStride{n}) out[i] = 1.0f;
}

__global__ void DropoutGradientKernel(const float* dy, const float* mask, float* dx, int64_t n) {
  for (int64_t i : GridStride{n}) dx[i] = dy[i] * mask[i];
}

}  // namespace

void DropoutForward(const float* x, float* mask, float* y, float* keep, int64_t n, uint64_t seed,
                    float rate, float scale, cudaStream_t stream) {
  if (n == 0) return;
  DropoutForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, mask, y, keep, n, seed,
                                                                      rate, scale);
}

void FillOnes(float* out, int64_t n, cudaStream_t stream) {
  if (n == 0) return;
  FillOnesKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(out, n);
}

void DropoutGradient(const float* dy, const float* mask, float* dx, int64_t n,
                     cudaStream_t stream) {
  DropoutGradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(dy, mask, dx, n);
}

}  // namespace cuda
}  // namespace tessera
