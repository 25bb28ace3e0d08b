// The CUDA backend's vector primitives: the same arithmetic, in the same
// order per element, as core/cpu_backend.cc.
#include "core/cuda/backend_kernels.h"
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

__global__ void FillKernel(float* x, int64_t n, float value) {
  for (int64_t i : GridStride{n}) x[i] = value;
}

__global__ void AxpyKernel(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i : GridStride{n}) y[i] += alpha * x[i];
}

__global__ void SumOfSquaresKernel(const float* x, int64_t n, double* sum) {
  double local = 0;
  for (int64_t i : GridStride{n}) local += double(x[i]) * x[i];
  // Warp then block reduction in double; one atomic per block.
  for (int offset = 16; offset > 0; offset /= 2)
    local += __shfl_down_sync(0xffffffffu, local, offset);
  __shared__ double warp_sums[32];
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = local;
  __syncthreads();
  if (warp == 0) {
    local = lane < blockDim.x / 32 ? warp_sums[lane] : 0.0;
    for (int offset = 16; offset > 0; offset /= 2)
      local += __shfl_down_sync(0xffffffffu, local, offset);
    if (lane == 0) atomicAdd(sum, local);
  }
}

__global__ void FindNonFiniteKernel(const float* x, int64_t n, int* nonfinite) {
  for (int64_t i : GridStride{n}) {
    if (!isfinite(x[i])) *nonfinite = 1;  // benign race: every writer writes 1
  }
}

__global__ void SgdMomentumKernel(float* w, const float* g, float* v, int64_t n, float lr,
                                  float momentum, float weight_decay) {
  for (int64_t i : GridStride{n}) {
    v[i] = momentum * v[i] + (g[i] + weight_decay * w[i]);
    w[i] -= lr * v[i];
  }
}

__global__ void AdamKernel(float* w, const float* g, float* m, float* v, int64_t n, float lr_t,
                           float beta1, float beta2, float eps, float weight_decay) {
  for (int64_t i : GridStride{n}) {
    const float gi = g[i] + weight_decay * w[i];
    m[i] = beta1 * m[i] + (1 - beta1) * gi;
    v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
    w[i] -= lr_t * m[i] / (sqrtf(v[i]) + eps);
  }
}

}  // namespace

void LaunchFill(float* x, int64_t n, float value, cudaStream_t stream) {
  FillKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, n, value);
}
void LaunchAxpy(float alpha, const float* x, float* y, int64_t n, cudaStream_t stream) {
  AxpyKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(alpha, x, y, n);
}
void LaunchSumOfSquares(const float* x, int64_t n, double* sum, cudaStream_t stream) {
  SumOfSquaresKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, n, sum);
}
void LaunchFindNonFinite(const float* x, int64_t n, int* nonfinite, cudaStream_t stream) {
  FindNonFiniteKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, n, nonfinite);
}
void LaunchSgdMomentum(float* w, const float* g, float* v, int64_t n, float lr, float momentum,
                       float weight_decay, cudaStream_t stream) {
  SgdMomentumKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(w, g, v, n, lr, momentum,
                                                                   weight_decay);
}
void LaunchAdam(float* w, const float* g, float* m, float* v, int64_t n, float lr_t, float beta1,
                float beta2, float eps, float weight_decay, cudaStream_t stream) {
  AdamKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(w, g, m, v, n, lr_t, beta1, beta2, eps,
                                                            weight_decay);
}

}  // namespace cuda
}  // namespace tessera
