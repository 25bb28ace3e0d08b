// The GPU side of ops/common/elementwise.h: grid-stride kernels that run a
// functor with ScalarMath, and the launchers ops/common/elementwise_kernels.h
// declares. An elementwise op's .cu includes this and its functor's header
// and instantiates them with one macro line.
#ifndef TESSERA_OPS_COMMON_ELEMENTWISE_CUH_
#define TESSERA_OPS_COMMON_ELEMENTWISE_CUH_

#include "core/cuda/kernel_util.cuh"
#include "ops/common/elementwise.h"

namespace tessera {
namespace cuda {

template <class F>
__global__ void UnaryForwardKernel(const F f, const float* x, float* y, int64_t n) {
  const ScalarMath m;
  for (int64_t i : GridStride{n}) y[i] = f.Forward(m, x[i]);
}

template <class F>
__global__ void UnaryGradientKernel(const F f, const float* x, const float* y, const float* dy,
                                    float* dx, int64_t n) {
  const ScalarMath m;
  for (int64_t i : GridStride{n}) {
    const float xv = (F::kGradientUses & kUsesInput) ? x[i] : 0.0f;
    const float yv = (F::kGradientUses & kUsesOutput) ? y[i] : 0.0f;
    dx[i] = f.Gradient(m, xv, yv, dy[i]);
  }
}

template <class F>
__global__ void BinaryForwardKernel(const F f, const float* a, const float* b, float* y,
                                    int64_t n) {
  const ScalarMath m;
  for (int64_t i : GridStride{n}) y[i] = f.Forward(m, a[i], b[i]);
}

template <class F>
__global__ void BinaryGradientKernel(const F f, const float* a, const float* b, const float* dy,
                                     float* da, float* db, int64_t n) {
  const ScalarMath m;
  constexpr bool kReads = (F::kGradientUses & kUsesInput) != 0;
  for (int64_t i : GridStride{n}) {
    const float av = kReads ? a[i] : 0.0f, bv = kReads ? b[i] : 0.0f;
    if (da != nullptr) da[i] = f.GradientA(m, av, bv, dy[i]);
    if (db != nullptr) db[i] = f.GradientB(m, av, bv, dy[i]);
  }
}

template <class F>
void UnaryForward(const F& f, const float* x, float* y, int64_t n, void* stream) {
  UnaryForwardKernel<F>
      <<<BlocksFor(n), kThreadsPerBlock, 0, static_cast<cudaStream_t>(stream)>>>(f, x, y, n);
}

template <class F>
void UnaryGradient(const F& f, const float* x, const float* y, const float* dy, float* dx,
                   int64_t n, void* stream) {
  UnaryGradientKernel<F><<<BlocksFor(n), kThreadsPerBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      f, x, y, dy, dx, n);
}

template <class F>
void BinaryForward(const F& f, const float* a, const float* b, float* y, int64_t n,
                   void* stream) {
  BinaryForwardKernel<F><<<BlocksFor(n), kThreadsPerBlock, 0, static_cast<cudaStream_t>(stream)>>>(
      f, a, b, y, n);
}

template <class F>
void BinaryGradient(const F& f, const float* a, const float* b, const float* dy, float* da,
                    float* db, int64_t n, void* stream) {
  BinaryGradientKernel<F>
      <<<BlocksFor(n), kThreadsPerBlock, 0, static_cast<cudaStream_t>(stream)>>>(f, a, b, dy, da,
                                                                                db, n);
}

}  // namespace cuda
}  // namespace tessera

#define TESSERA_ELEMENTWISE_UNARY_CUDA(F)                                                    \
  template void tessera::cuda::UnaryForward<F>(const F&, const float*, float*, int64_t,       \
                                               void*);                                       \
  template void tessera::cuda::UnaryGradient<F>(const F&, const float*, const float*,         \
                                                const float*, float*, int64_t, void*)

#define TESSERA_ELEMENTWISE_BINARY_CUDA(F)                                                   \
  template void tessera::cuda::BinaryForward<F>(const F&, const float*, const float*, float*, \
                                                int64_t, void*);                             \
  template void tessera::cuda::BinaryGradient<F>(const F&, const float*, const float*,        \
                                                 const float*, float*, float*, int64_t, void*)

#endif  // TESSERA_OPS_COMMON_ELEMENTWISE_CUH_
