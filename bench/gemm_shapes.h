#ifndef TESSERA_BENCH_GEMM_SHAPES_H_
#define TESSERA_BENCH_GEMM_SHAPES_H_

// The GEMM shapes that Tessera, OpenBLAS and PyTorch are compared on, and
// one Google Benchmark harness for any row-major sgemm, so that
// tessera_sgemm and openblas_sgemm time exactly the same problems the same
// way. bench/torch_bench.py repeats this table; keep them in step.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"

namespace tessera_bench {

// C[M,N] = op(A) op(B), row-major; op(A) = A[M,K] or, with trans_a, the
// transpose of A[K,M]; op(B) = B[K,N] or, with trans_b, of B[N,K].
struct GemmShape {
  const char* name;
  bool trans_a, trans_b;
  int64_t m, n, k;
};

// AlexNet's fc6 is y[64,4096] = x[64,9216] W[4096,9216]^T; a train step
// also computes dx = dy W and dW = dy^T x.
inline const std::vector<GemmShape>& GemmShapes() {
  static const std::vector<GemmShape> shapes = {
      {"square_2048", false, false, 2048, 2048, 2048},
      {"fc6_fwd_64x4096x9216", false, true, 64, 4096, 9216},
      {"fc6_dx_64x9216x4096", false, false, 64, 9216, 4096},
      {"fc6_dw_4096x9216x64", true, false, 4096, 9216, 64},
      {"fc7_fwd_64x4096x4096", false, true, 64, 4096, 4096},
  };
  return shapes;
}

using SgemmFn = void (*)(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                         const float* a, const float* b, float* c);

// Registers "<prefix>/<shape name>" for every shape, reporting FLOPS
// (2 M N K per call, as a rate).
inline void RegisterGemmBenchmarks(const std::string& prefix, SgemmFn fn) {
  for (const GemmShape& s : GemmShapes()) {
    benchmark::RegisterBenchmark(
        (prefix + "/" + s.name).c_str(),
        [s, fn](benchmark::State& state) {
          std::vector<float> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
          std::mt19937 rng(1);
          std::uniform_real_distribution<float> dist(-1, 1);
          for (float& x : a) x = dist(rng);
          for (float& x : b) x = dist(rng);
          for (auto _ : state) {
            fn(s.trans_a, s.trans_b, s.m, s.n, s.k, a.data(), b.data(), c.data());
            benchmark::DoNotOptimize(c.data());
            benchmark::ClobberMemory();
          }
          state.counters["FLOPS"] = benchmark::Counter(2.0 * s.m * s.n * s.k * state.iterations(),
                                                       benchmark::Counter::kIsRate);
        })
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
}

}  // namespace tessera_bench

#endif  // TESSERA_BENCH_GEMM_SHAPES_H_
