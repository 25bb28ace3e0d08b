// Helpers for device code in .cu files (ops/<name>/<name>.cu and the CUDA
// backend's own kernels). Only CUDA headers here: .cu files are compiled by
// nvcc without Abseil or protobuf on their include path.
#ifndef TESSERA_CORE_CUDA_KERNEL_UTIL_CUH_
#define TESSERA_CORE_CUDA_KERNEL_UTIL_CUH_

#include <cuda_runtime.h>

#include <cstdint>

namespace tessera {
namespace cuda {

constexpr int kThreadsPerBlock = 256;
// Grid-stride loops cover any n; more blocks than this only add scheduling.
constexpr int64_t kMaxBlocks = 65535;

inline int BlocksFor(int64_t n, int threads = kThreadsPerBlock) {
  int64_t blocks = (n + threads - 1) / threads;
  if (blocks < 1) blocks = 1;
  return static_cast<int>(blocks < kMaxBlocks ? blocks : kMaxBlocks);
}

// for (int64_t i : GridStride(n)) visits each index once across the grid.
struct GridStride {
  int64_t n;
  struct Iterator {
    int64_t i, step;
    __device__ int64_t operator*() const { return i; }
    __device__ Iterator& operator++() {
      i += step;
      return *this;
    }
    __device__ bool operator!=(const Iterator& end) const { return i < end.i; }
  };
  __device__ Iterator begin() const {
    return {static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x,
            static_cast<int64_t>(gridDim.x) * blockDim.x};
  }
  __device__ Iterator end() const { return {n, 0}; }
};

constexpr int kWarpSize = 32;
constexpr unsigned kFullWarpMask = 0xffffffffu;

// Over the 32 lanes of a warp, every lane getting the result; all 32 lanes
// must call it.
template <typename T>
__device__ T WarpSum(T v) {
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(kFullWarpMask, v, offset);
  return v;
}
__device__ inline float WarpMax(float v) {
  for (int offset = 16; offset > 0; offset /= 2)
    v = fmaxf(v, __shfl_xor_sync(kFullWarpMask, v, offset));
  return v;
}

// Sum of `value` over the block, returned to every thread (float or
// double). blockDim.x must be a multiple of 32 and at most 1024, and every
// thread of the block must call it (it synchronises the block).
template <typename T>
__device__ T BlockSum(T value) {
  __shared__ T warp_sums[32];
  __shared__ T total;
  for (int offset = 16; offset > 0; offset /= 2)
    value += __shfl_down_sync(0xffffffffu, value, offset);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = value;
  __syncthreads();
  if (warp == 0) {
    value = lane < static_cast<int>(blockDim.x / 32) ? warp_sums[lane] : T(0);
    for (int offset = 16; offset > 0; offset /= 2)
      value += __shfl_down_sync(0xffffffffu, value, offset);
    if (lane == 0) total = value;
  }
  __syncthreads();
  const T result = total;
  __syncthreads();  // warp_sums and total may be reused by the next call
  return result;
}

}  // namespace cuda
}  // namespace tessera

#endif  // TESSERA_CORE_CUDA_KERNEL_UTIL_CUH_
