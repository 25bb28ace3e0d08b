// lrn's CUDA kernels; registered for Device::kCuda in lrn.cc.
//
// x is seen as [batch, channels, inner]. As on the CPU (PyTorch's
// convention, alpha divided by size, computed on the host):
//   s[c] = k + alpha_over_size * sum_{c' in [c - back, c + forward]} x[c']^2,
//   y[c] = x[c] * s[c]^-beta,
// with back = size / 2, forward = (size - 1) / 2, clipped to the channels.
// Gradient, t = dy * y / s:
//   dx[j] = dy[j] * s[j]^-beta - coeff * x[j] * sum_{c in [j - forward, j + back]} t[c],
// coeff = 2 * alpha_over_size * beta.
#include <cstdint>

#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

// One thread per element; it sums the squares of its window in channel
// order (the CPU's), and writes s (saved for the gradient) and y.
__global__ void LrnForwardKernel(const float* x, float* s, float* y, int64_t batch,
                                 int64_t channels, int64_t inner, int64_t back, int64_t forward,
                                 float alpha_over_size, float beta, float k) {
  for (int64_t e : GridStride{batch * channels * inner}) {
    const int64_t i = e % inner, c = (e / inner) % channels, n = e / (inner * channels);
    const int64_t lo = max(int64_t{0}, c - back), hi = min(channels - 1, c + forward);
    const float* xn = x + n * channels * inner + i;
    float acc = 0.0f;
    for (int64_t cc = lo; cc <= hi; ++cc) {
      const float v = xn[cc * inner];
      acc += v * v;
    }
    const float se = k + alpha_over_size * acc;
    s[e] = se;
    y[e] = x[e] * powf(se, -beta);
  }
}

__global__ void LrnScaledKernel(const float* dy, const float* y, const float* s, float* t,
                                int64_t n) {
  for (int64_t e : GridStride{n}) t[e] = dy[e] * y[e] / s[e];
}

// One thread per element j: the channels c whose window holds j.
__global__ void LrnGradientKernel(const float* x, const float* s, const float* dy, const float* t,
                                  float* dx, int64_t batch, int64_t channels, int64_t inner,
                                  int64_t back, int64_t forward, float beta, float coeff) {
  for (int64_t e : GridStride{batch * channels * inner}) {
    const int64_t i = e % inner, j = (e / inner) % channels, n = e / (inner * channels);
    const int64_t lo = max(int64_t{0}, j - forward), hi = min(channels - 1, j + back);
    const float* tn = t + n * channels * inner + i;
    float acc = 0.0f;
    for (int64_t c = lo; c <= hi; ++c) acc += tn[c * inner];
    dx[e] = dy[e] * powf(s[e], -beta) - coeff * x[e] * acc;
  }
}

}  // namespace

void LrnForward(const float* x, float* s, float* y, int64_t batch, int64_t channels, int64_t inner,
                int64_t back, int64_t forward, float alpha_over_size, float beta, float k,
                cudaStream_t stream) {
  LrnForwardKernel<<<BlocksFor(batch * channels * inner), kThreadsPerBlock, 0, stream>>>(
      x, s, y, batch, channels, inner, back, forward, alpha_over_size, beta, k);
}

// t: device scratch with as many elements as x.
void LrnGradient(const float* x, const float* y, const float* s, const float* dy, float* t,
                 float* dx, int64_t batch, int64_t channels, int64_t inner, int64_t back,
                 int64_t forward, float beta, float coeff, cudaStream_t stream) {
  const int64_t n = batch * channels * inner;
  LrnScaledKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(dy, y, s, t, n);
  LrnGradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(
      x, s, dy, t, dx, batch, channels, inner, back, forward, beta, coeff);
}

}  // namespace cuda
}  // namespace tessera
