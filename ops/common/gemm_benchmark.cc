// GEMM throughput on the shapes that matter: square 2048, and AlexNet's
// fully connected layers in the three orientations a train step uses; and
// the micro-kernel alone on packed panels that stay in L1 or L2, to tell a
// loss in the kernel from one in packing, blocking or threading.
//   bazel run -c opt //ops/common:gemm_benchmark -- [--threads=N]
//       --benchmark_counters_tabular=true

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <tuple>
#include <vector>

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/common/gemm_benchmark.cc"
#include "hwy/aligned_allocator.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// MicroKernel, kMr and kNv, per target.
#include "ops/common/gemm_kernel-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace bench {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using tessera::HWY_NAMESPACE::kMr;
using tessera::HWY_NAMESPACE::kNv;
using tessera::HWY_NAMESPACE::MicroKernel;

// The panel width (kNv vectors) of this target.
int64_t PanelWidthImpl() { return kNv * static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>())); }

// One A micro-panel (kMr x kc) against `panels` packed B panels (kc x nr
// each), as GemmImpl runs it along a row of C, `passes` times; the C tiles
// are distinct (as in a product) and stay in L1/L2. Returns the FLOPs.
double MicroKernelPassesImpl(const float* a, const float* b, float* c, int64_t kc, int64_t panels,
                             int64_t passes) {
  const int64_t nr = PanelWidthImpl();
  for (int64_t pass = 0; pass < passes; ++pass) {
    for (int64_t p = 0; p < panels; ++p) {
      MicroKernel(a, b + p * kc * nr, kc, c + p * nr, nr * panels, kMr, nr, true, nr);
    }
  }
  return 2.0 * kMr * nr * kc * static_cast<double>(panels * passes);
}

}  // namespace HWY_NAMESPACE
}  // namespace bench
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "benchmark/benchmark.h"
#include "core/thread_pool.h"
#include "ops/common/gemm.h"

namespace tessera {
namespace bench {

HWY_EXPORT(MicroKernelPassesImpl);
HWY_EXPORT(PanelWidthImpl);

// Random inputs, made once per shape: Google Benchmark calls a benchmark
// several times, and on a slow VM filling 48 MB with fresh pages took a
// tenth of a profile.
struct GemmInputs {
  std::vector<float> a, b, c;
};
GemmInputs& InputsFor(int64_t m, int64_t n, int64_t k) {
  static auto* inputs = new std::map<std::tuple<int64_t, int64_t, int64_t>, GemmInputs>;
  GemmInputs& in = (*inputs)[{m, n, k}];
  if (in.c.empty()) {
    in.a.resize(m * k);
    in.b.resize(k * n);
    in.c.resize(m * n);
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> dist(-1, 1);
    for (float& x : in.a) x = dist(rng);
    for (float& x : in.b) x = dist(rng);
  }
  return in;
}

void BM_Gemm(benchmark::State& state) {
  const bool ta = state.range(0), tb = state.range(1);
  const int64_t m = state.range(2), n = state.range(3), k = state.range(4);
  GemmInputs& in = InputsFor(m, n, k);
  std::vector<float>&a = in.a, &b = in.b, &c = in.c;
  for (auto _ : state) {
    Gemm(ta, tb, m, n, k, a.data(), b.data(), c.data(), false);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * n * k * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(GemmTargetName());
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
    // CPU time of all threads: on a loaded machine, GFLOP/s x threads x
    // real_time / cpu_time is the rate with each thread on a core of its own.
    ->MeasureProcessCPUTime()
    ->UseRealTime();

// The micro-kernel on one thread: kc, and the packed B block's size in KiB
// (16: in L1 with the A panel; 768: GemmImpl's L2 block).
void BM_MicroKernel(benchmark::State& state) {
  const int64_t kc = state.range(0), block_kib = state.range(1);
  const int64_t mr = 16;  // at least any target's kMr
  const int64_t nr = HWY_DYNAMIC_DISPATCH(PanelWidthImpl)();
  const int64_t panels = std::max<int64_t>(1, (block_kib << 10) / (kc * nr * 4));
  auto a = hwy::AllocateAligned<float>(static_cast<size_t>(mr * kc));
  auto b = hwy::AllocateAligned<float>(static_cast<size_t>(kc * nr * panels));
  auto c = hwy::AllocateAligned<float>(static_cast<size_t>(mr * nr * panels));
  for (int64_t i = 0; i < mr * kc; ++i) a[i] = 1e-3f * static_cast<float>(i % 7);
  for (int64_t i = 0; i < kc * nr * panels; ++i) b[i] = 1e-3f * static_cast<float>(i % 5);
  std::fill(c.get(), c.get() + mr * nr * panels, 0.0f);
  double flops = 0;
  for (auto _ : state) {
    flops += HWY_DYNAMIC_DISPATCH(MicroKernelPassesImpl)(a.get(), b.get(), c.get(), kc, panels, 16);
  }
  benchmark::DoNotOptimize(c.get());
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(GemmTargetName());
}

BENCHMARK(BM_MicroKernel)
    ->ArgNames({"kc", "block_kib"})
    ->Args({64, 16})
    ->Args({256, 48})
    ->Args({512, 96})
    ->Args({512, 768})
    ->Args({256, 768})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace bench
}  // namespace tessera

// --threads=N sets the CPU pool (the machine's cores by default).
int main(int argc, char** argv) {
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      tessera::SetNumCpuThreads(std::max(1, std::atoi(argv[i] + 10)));
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
#endif  // HWY_ONCE
