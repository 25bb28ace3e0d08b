// adaptive_avgpool2d's CUDA kernels; registered for Device::kCuda in
// adaptive_avgpool2d.cc.
//
// Windows as in the CPU kernel (PyTorch's AdaptiveAvgPool2d): output row i
// averages input rows [floor(i*H/oh), ceil((i+1)*H/oh)), the same for
// columns; each cell is weighted by 1 / window size.
#include <cstdint>

#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

__device__ int64_t WindowStart(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
__device__ int64_t WindowEnd(int64_t i, int64_t in, int64_t out) {
  return ((i + 1) * in + out - 1) / out;
}

__device__ float InverseSize(int64_t i, int64_t j, int64_t h, int64_t w, int64_t oh, int64_t ow) {
  const int64_t rows = WindowEnd(i, h, oh) - WindowStart(i, h, oh);
  const int64_t cols = WindowEnd(j, w, ow) - WindowStart(j, w, ow);
  return 1.0f / static_cast<float>(rows * cols);
}

// One thread per output: sum of x * (1 / size) over the window, in the CPU's
// order. __fmul_rn/__fadd_rn keep nvcc from fusing them into an FMA, so the
// result rounds as the CPU's does.
__global__ void AdaptiveForwardKernel(const float* x, float* y, int64_t planes, int64_t h,
                                      int64_t w, int64_t oh, int64_t ow) {
  const int64_t n = planes * oh * ow;
  for (int64_t o : GridStride{n}) {
    const int64_t j = o % ow, i = (o / ow) % oh, p = o / (ow * oh);
    const float* xp = x + p * h * w;
    const int64_t h0 = WindowStart(i, h, oh), h1 = WindowEnd(i, h, oh);
    const int64_t w0 = WindowStart(j, w, ow), w1 = WindowEnd(j, w, ow);
    const float inv = InverseSize(i, j, h, w, oh, ow);
    float sum = 0.0f;
    for (int64_t r = h0; r < h1; ++r) {
      for (int64_t s = w0; s < w1; ++s) sum = __fadd_rn(sum, __fmul_rn(xp[r * w + s], inv));
    }
    y[o] = sum;
  }
}

// One thread per input cell (r, s), gathering dy * (1 / size) from every
// output whose window holds it, in increasing (i, j) as the CPU adds them:
// deterministic, no atomics. Row r lies in window i exactly when
// floor(i*H/oh) <= r < ceil((i+1)*H/oh), i.e. for
// floor(r*oh/H) <= i <= floor(((r+1)*oh - 1)/H); the loop checks each
// candidate against the window itself as well.
__global__ void AdaptiveGradientKernel(const float* dy, float* dx, int64_t planes, int64_t h,
                                       int64_t w, int64_t oh, int64_t ow) {
  const int64_t n = planes * h * w;
  for (int64_t e : GridStride{n}) {
    const int64_t s = e % w, r = (e / w) % h, p = e / (w * h);
    const int64_t i0 = (r * oh) / h, i1 = min(((r + 1) * oh - 1) / h, oh - 1);
    const int64_t j0 = (s * ow) / w, j1 = min(((s + 1) * ow - 1) / w, ow - 1);
    const float* dyp = dy + p * oh * ow;
    float sum = 0.0f;
    for (int64_t i = i0; i <= i1; ++i) {
      if (r < WindowStart(i, h, oh) || r >= WindowEnd(i, h, oh)) continue;
      for (int64_t j = j0; j <= j1; ++j) {
        if (s < WindowStart(j, w, ow) || s >= WindowEnd(j, w, ow)) continue;
        sum = __fadd_rn(sum, __fmul_rn(dyp[i * ow + j], InverseSize(i, j, h, w, oh, ow)));
      }
    }
    dx[e] = sum;
  }
}

}  // namespace

void AdaptiveAvgPoolForward(const float* x, float* y, int64_t planes, int64_t h, int64_t w,
                            int64_t oh, int64_t ow, cudaStream_t stream) {
  AdaptiveForwardKernel<<<BlocksFor(planes * oh * ow), kThreadsPerBlock, 0, stream>>>(x, y, planes,
                                                                                      h, w, oh, ow);
}

void AdaptiveAvgPoolGradient(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w,
                             int64_t oh, int64_t ow, cudaStream_t stream) {
  AdaptiveGradientKernel<<<BlocksFor(planes * h * w), kThreadsPerBlock, 0, stream>>>(dy, dx, planes,
                                                                                     h, w, oh, ow);
}

}  // namespace cuda
}  // namespace tessera
