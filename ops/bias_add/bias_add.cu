// bias_add's CUDA kernels; registered for Device::kCuda in bias_add.cc.
// x is viewed as [batch, channels, inner], inner = product of the spatial
// dimensions (1 for a [N, C] matrix).
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

__global__ void BiasAddForwardKernel(const float* x, const float* bias, float* y, int64_t n,
                                     int64_t channels, int64_t inner) {
  // n > 0 implies channels > 0 and inner > 0.
  for (int64_t i : GridStride{n}) y[i] = x[i] + bias[(i / inner) % channels];
}

__global__ void CopyKernel(const float* src, float* dst, int64_t n) {
  for (int64_t i : GridStride{n}) dst[i] = src[i];
}

// dbias[c] = sum of dy over the batch * inner elements of channel c: one
// block per channel (grid-stride over channels), each thread walking the
// flattened (n, i) index of that channel in steps of blockDim.x, partial sums
// in double (like the CPU kernel), then a block reduction. No atomics, and
// the order is fixed, so the result is reproducible. Consecutive threads read
// consecutive i of a plane, coalesced when inner is large.
__global__ void BiasGradientKernel(const float* dy, float* dbias, int64_t batch, int64_t channels,
                                   int64_t inner) {
  for (int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
    double sum = 0;
    if (inner > 0) {
      // j = n * inner + i advances by blockDim.x = dn * inner + di; since
      // i, di < inner, one carry from i into n suffices.
      const int64_t step = blockDim.x;
      const int64_t dn = step / inner, di = step % inner;
      int64_t n = threadIdx.x / inner, i = threadIdx.x % inner;
      while (n < batch) {
        sum += dy[(n * channels + c) * inner + i];
        n += dn;
        i += di;
        if (i >= inner) {
          i -= inner;
          ++n;
        }
      }
    }
    sum = BlockSum(sum);
    if (threadIdx.x == 0) dbias[c] = static_cast<float>(sum);
  }
}

}  // namespace

void BiasAddForward(const float* x, const float* bias, float* y, int64_t batch, int64_t channels,
                    int64_t inner, cudaStream_t stream) {
  const int64_t n = batch * channels * inner;
  BiasAddForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, bias, y, n, channels,
                                                                      inner);
}

void BiasAddGradient(const float* dy, float* dx, float* dbias, int64_t batch, int64_t channels,
                     int64_t inner, cudaStream_t stream) {
  if (dx != nullptr) {
    const int64_t n = batch * channels * inner;
    CopyKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(dy, dx, n);
  }
  if (dbias != nullptr && channels > 0) {
    const int blocks = static_cast<int>(channels < kMaxBlocks ? channels : kMaxBlocks);
    BiasGradientKernel<<<blocks, kThreadsPerBlock, 0, stream>>>(dy, dbias, batch, channels, inner);
  }
}

}  // namespace cuda
}  // namespace tessera
