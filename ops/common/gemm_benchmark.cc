// GEMM throughput on the shapes that matter: square 2048, and AlexNet's
// fully connected layers in the three orientations a train step uses.
//   bazel run -c opt //ops/common:gemm_benchmark -- --benchmark_counters_tabular=true

#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "ops/common/gemm.h"

namespace tessera {
namespace {

void BM_Gemm(benchmark::State& state) {
  const bool ta = state.range(0), tb = state.range(1);
  const int64_t m = state.range(2), n = state.range(3), k = state.range(4);
  std::vector<float> a(m * k), b(k * n), c(m * n);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1, 1);
  for (float& x : a) x = dist(rng);
  for (float& x : b) x = dist(rng);
  for (auto _ : state) {
    Gemm(ta, tb, m, n, k, a.data(), b.data(), c.data(), false);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}

BENCHMARK(BM_Gemm)
    ->ArgNames({"ta", "tb", "m", "n", "k"})
    ->Args({0, 0, 2048, 2048, 2048})
    ->Args({0, 1, 64, 4096, 9216})  // fc6 forward: x W^T
    ->Args({0, 0, 64, 9216, 4096})  // fc6 input gradient: dy W
    ->Args({1, 0, 4096, 9216, 64})  // fc6 weight gradient: dy^T x
    ->Args({0, 1, 64, 4096, 4096})  // fc7 forward
    ->Args({0, 0, 384, 576, 2304})  // a 3x3 conv as im2col GEMM
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace tessera

BENCHMARK_MAIN();
