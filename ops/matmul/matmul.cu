// matmul's CUDA kernels for the bias; the products are cuBLAS calls in
// matmul.cc. Matrices are row-major: y and dy are [batch, units].
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

// y[i, j] = b[j]: every row of y starts as the bias (the GEMM then adds x W^T).
__global__ void BroadcastBiasKernel(const float* b, float* y, int64_t n, int64_t units) {
  // n > 0 implies units > 0.
  for (int64_t i : GridStride{n}) y[i] = b[i % units];
}

// db[j] = sum over i of dy[i, j]: one thread per column, summing the batch in
// order in float, as the CPU kernel does (so the result is reproducible and
// matches it). Consecutive threads read consecutive columns: coalesced.
__global__ void BiasGradientKernel(const float* dy, float* db, int64_t batch, int64_t units) {
  for (int64_t j : GridStride{units}) {
    float s = 0.0f;
    for (int64_t i = 0; i < batch; ++i) s += dy[i * units + j];
    db[j] = s;
  }
}

}  // namespace

void MatmulBroadcastBias(const float* b, float* y, int64_t batch, int64_t units,
                         cudaStream_t stream) {
  const int64_t n = batch * units;
  BroadcastBiasKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(b, y, n, units);
}

void MatmulBiasGradient(const float* dy, float* db, int64_t batch, int64_t units,
                        cudaStream_t stream) {
  BiasGradientKernel<<<BlocksFor(units), kThreadsPerBlock, 0, stream>>>(dy, db, batch, units);
}

}  // namespace cuda
}  // namespace tessera
