// pad2d's CUDA kernels; registered for Device::kCuda in pad2d.cc. The index
// maps are pad2d.h's, as on the CPU; each thread writes one element, and
// the gradient is a gather in the CPU's order, so results match bitwise.
#include "core/cuda/kernel_util.cuh"
#include "ops/pad2d/pad2d.h"

namespace tessera {
namespace cuda {
namespace {

__global__ void ForwardKernel(const float* x, float* y, int64_t n, int64_t h, int64_t w, int64_t oh,
                              int64_t ow, int64_t top, int64_t left, int mode, float value) {
  for (int64_t idx : GridStride{n}) {
    const int64_t j = idx % ow;
    const int64_t i = (idx / ow) % oh;
    const int64_t c = idx / (ow * oh);
    const int64_t r = pad2d::Source(i, top, h, mode);
    const int64_t q = pad2d::Source(j, left, w, mode);
    y[idx] = r < 0 || q < 0 ? value : x[(c * h + r) * w + q];
  }
}

__global__ void GradientKernel(const float* dy, float* dx, int64_t n, int64_t h, int64_t w,
                               int64_t oh, int64_t ow, int64_t top, int64_t left, int mode) {
  for (int64_t idx : GridStride{n}) {
    const int64_t q = idx % w;
    const int64_t p = (idx / w) % h;
    const int64_t c = idx / (w * h);
    dx[idx] = pad2d::GradientAt(dy + c * oh * ow, p, q, h, w, oh, ow, top, left, mode);
  }
}

}  // namespace

void Pad2dForward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int64_t oh,
                  int64_t ow, int64_t top, int64_t left, int mode, float value,
                  cudaStream_t stream) {
  const int64_t n = planes * oh * ow;
  ForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, y, n, h, w, oh, ow, top, left,
                                                               mode, value);
}

void Pad2dGradient(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int64_t oh,
                   int64_t ow, int64_t top, int64_t left, int mode, cudaStream_t stream) {
  const int64_t n = planes * h * w;
  GradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(dy, dx, n, h, w, oh, ow, top, left,
                                                                mode);
}

}  // namespace cuda
}  // namespace tessera
