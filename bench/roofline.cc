// roofline: the two machine limits the kernels are measured against, with
// the same thread count as every other benchmark here (bench/side_by_side.sh).
//
//   bazel run //bench:roofline -- [--threads=2]
//
//   fma_peak        FLOP/s of independent vector FMA chains (2 FLOPs per
//                   lane), on the widest SIMD target the CPU has (Highway
//                   dynamic dispatch): the bound of GEMM and convolutions.
//   copy_bandwidth  bytes/s of memcpy between two 512 MiB buffers, bytes
//                   read plus bytes written (as op_benchmark counts a
//                   kernel's traffic): larger than any L3 here, so it is
//                   the DRAM bound of the memory-bound kernels.

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "bench/roofline.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// After foreach_target.h: compiled once per target.
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera_bench {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Runs `iterations` rounds of 12 independent FMAs (enough chains to cover
// the FMA latency on two ports; named registers, as an array would live in
// memory at -O2) and returns the FLOPs done; the result is stored so that
// the work is not optimised away.
double FmaChainsImpl(int64_t iterations, float* sink) {
  const hn::ScalableTag<float> d;
  const auto a = hn::Set(d, 0.999999f), b = hn::Set(d, 1e-7f);
  auto c0 = hn::Set(d, 0.f), c1 = hn::Set(d, 1.f), c2 = hn::Set(d, 2.f), c3 = hn::Set(d, 3.f);
  auto c4 = hn::Set(d, 4.f), c5 = hn::Set(d, 5.f), c6 = hn::Set(d, 6.f), c7 = hn::Set(d, 7.f);
  auto c8 = hn::Set(d, 8.f), c9 = hn::Set(d, 9.f), c10 = hn::Set(d, 10.f), c11 = hn::Set(d, 11.f);
  for (int64_t i = 0; i < iterations; ++i) {
    c0 = hn::MulAdd(c0, a, b);
    c1 = hn::MulAdd(c1, a, b);
    c2 = hn::MulAdd(c2, a, b);
    c3 = hn::MulAdd(c3, a, b);
    c4 = hn::MulAdd(c4, a, b);
    c5 = hn::MulAdd(c5, a, b);
    c6 = hn::MulAdd(c6, a, b);
    c7 = hn::MulAdd(c7, a, b);
    c8 = hn::MulAdd(c8, a, b);
    c9 = hn::MulAdd(c9, a, b);
    c10 = hn::MulAdd(c10, a, b);
    c11 = hn::MulAdd(c11, a, b);
  }
  const auto sum = hn::Add(
      hn::Add(hn::Add(hn::Add(c0, c1), hn::Add(c2, c3)), hn::Add(hn::Add(c4, c5), hn::Add(c6, c7))),
      hn::Add(hn::Add(c8, c9), hn::Add(c10, c11)));
  *sink = hn::GetLane(sum);
  return 2.0 * 12 * static_cast<double>(iterations) * hn::Lanes(d);
}

const char* TargetNameImpl() { return hwy::TargetName(HWY_TARGET); }

}  // namespace HWY_NAMESPACE
}  // namespace tessera_bench
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "bench/threads_flag.h"
#include "benchmark/benchmark.h"
#include "core/thread_pool.h"

namespace tessera_bench {

HWY_EXPORT(FmaChainsImpl);
HWY_EXPORT(TargetNameImpl);

void BM_FmaPeak(benchmark::State& state) {
  const int threads = tessera::CpuThreadPool().num_threads();
  std::vector<float> sink(threads * 16);
  double flops = 0;
  for (auto _ : state) {
    std::vector<double> done(threads);
    tessera::ParallelFor(threads, 1, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t)
        done[t] = HWY_DYNAMIC_DISPATCH(FmaChainsImpl)(1 << 22, &sink[t * 16]);
    });
    for (double f : done) flops += f;
  }
  benchmark::DoNotOptimize(sink.data());
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsRate);
  state.SetLabel(HWY_DYNAMIC_DISPATCH(TargetNameImpl)());
}

void BM_CopyBandwidth(benchmark::State& state) {
  const int64_t bytes = int64_t{512} << 20;
  std::vector<char> src(bytes, 1), dst(bytes, 0);  // touched: no page faults timed
  const int threads = tessera::CpuThreadPool().num_threads();
  for (auto _ : state) {
    tessera::ParallelFor(threads, 1, [&](int64_t b, int64_t e) {
      const int64_t begin = bytes * b / threads, end = bytes * e / threads;
      std::memcpy(dst.data() + begin, src.data() + begin, end - begin);
    });
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(2 * bytes * state.iterations());
}

}  // namespace tessera_bench

int main(int argc, char** argv) {
  const int threads = tessera_bench::TakeThreadsFlag(&argc, argv);
  if (threads == 0) {
    fprintf(stderr, "roofline: --threads must be at least 1\n");
    return 1;
  }
  tessera::SetNumCpuThreads(threads);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("tessera_threads", std::to_string(threads));
  benchmark::RegisterBenchmark("roofline/fma_peak", tessera_bench::BM_FmaPeak)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("roofline/copy_bandwidth", tessera_bench::BM_CopyBandwidth)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
#endif  // HWY_ONCE
