// softmax's CUDA kernels; registered for Device::kCuda in softmax.cc.
//
// The input is seen as [outer, n, inner] with n the softmax axis, as on the
// CPU; a softmax vector (o, i) has its n elements `inner` apart. Like the
// CPU: subtract the vector's maximum, exponentiate, sum in double, scale by
// (float)(1 / sum); the gradient is y * (dy - (float)sum(dy * y)) with the
// dot product in double.
//
// Two layouts: contiguous vectors (inner == 1, e.g. [batch, classes] over
// the last axis) get one warp per vector, its lanes reading consecutive
// elements; strided vectors (inner > 1, e.g. channels of NCHW) get one
// thread per vector, so that neighbouring threads read neighbouring
// addresses and the loop runs in the CPU's order.
#include <cstdint>

#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

// Warp w of the grid takes vectors w, w + warps, ...; the loop condition is
// the same for all lanes of a warp, so the full-mask shuffles are safe.
__global__ void SoftmaxRowsKernel(const float* x, float* y, int64_t rows, int64_t n) {
  const int lane = threadIdx.x % kWarpSize;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarpSize);
  for (int64_t row =
           static_cast<int64_t>(blockIdx.x) * (blockDim.x / kWarpSize) + threadIdx.x / kWarpSize;
       row < rows; row += warps) {
    const float* xr = x + row * n;
    float* yr = y + row * n;
    float max = -INFINITY;
    for (int64_t j = lane; j < n; j += kWarpSize) max = fmaxf(max, xr[j]);
    max = WarpMax(max);
    double sum = 0;
    for (int64_t j = lane; j < n; j += kWarpSize) {
      const float e = expf(xr[j] - max);
      yr[j] = e;
      sum += e;
    }
    const float inv = static_cast<float>(1.0 / WarpSum(sum));
    for (int64_t j = lane; j < n; j += kWarpSize) yr[j] *= inv;
  }
}

__global__ void SoftmaxRowsGradientKernel(const float* y, const float* dy, float* dx, int64_t rows,
                                          int64_t n) {
  const int lane = threadIdx.x % kWarpSize;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarpSize);
  for (int64_t row =
           static_cast<int64_t>(blockIdx.x) * (blockDim.x / kWarpSize) + threadIdx.x / kWarpSize;
       row < rows; row += warps) {
    const int64_t base = row * n;
    double dot = 0;
    for (int64_t j = lane; j < n; j += kWarpSize)
      dot += static_cast<double>(dy[base + j]) * y[base + j];
    const float d = static_cast<float>(WarpSum(dot));
    for (int64_t j = lane; j < n; j += kWarpSize) dx[base + j] = y[base + j] * (dy[base + j] - d);
  }
}

// One thread per strided vector v = (o, i), o < outer, i < inner.
__global__ void SoftmaxStridedKernel(const float* x, float* y, int64_t outer, int64_t n,
                                     int64_t inner) {
  for (int64_t v : GridStride{outer * inner}) {
    const int64_t base = (v / inner) * n * inner + v % inner;
    const float* xv = x + base;
    float* yv = y + base;
    float max = xv[0];
    for (int64_t j = 1; j < n; ++j) max = fmaxf(max, xv[j * inner]);
    double sum = 0;
    for (int64_t j = 0; j < n; ++j) {
      const float e = expf(xv[j * inner] - max);
      yv[j * inner] = e;
      sum += e;
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < n; ++j) yv[j * inner] *= inv;
  }
}

__global__ void SoftmaxStridedGradientKernel(const float* y, const float* dy, float* dx,
                                             int64_t outer, int64_t n, int64_t inner) {
  for (int64_t v : GridStride{outer * inner}) {
    const int64_t base = (v / inner) * n * inner + v % inner;
    double dot = 0;
    for (int64_t j = 0; j < n; ++j)
      dot += static_cast<double>(dy[base + j * inner]) * y[base + j * inner];
    const float d = static_cast<float>(dot);
    for (int64_t j = 0; j < n; ++j) {
      const int64_t at = base + j * inner;
      dx[at] = y[at] * (dy[at] - d);
    }
  }
}

}  // namespace

// n >= 1 and outer * inner >= 1 (the caller returns early otherwise).
void SoftmaxForward(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
                    cudaStream_t stream) {
  if (inner == 1) {
    SoftmaxRowsKernel<<<BlocksFor(outer * kWarpSize), kThreadsPerBlock, 0, stream>>>(x, y, outer,
                                                                                     n);
  } else {
    SoftmaxStridedKernel<<<BlocksFor(outer * inner), kThreadsPerBlock, 0, stream>>>(x, y, outer, n,
                                                                                    inner);
  }
}

void SoftmaxGradient(const float* y, const float* dy, float* dx, int64_t outer, int64_t n,
                     int64_t inner, cudaStream_t stream) {
  if (inner == 1) {
    SoftmaxRowsGradientKernel<<<BlocksFor(outer * kWarpSize), kThreadsPerBlock, 0, stream>>>(
        y, dy, dx, outer, n);
  } else {
    SoftmaxStridedGradientKernel<<<BlocksFor(outer * inner), kThreadsPerBlock, 0, stream>>>(
        y, dy, dx, outer, n, inner);
  }
}

}  // namespace cuda
}  // namespace tessera
