// tessera_sgemm: Tessera's GEMM (ops/common/gemm.h) on the shapes of
// bench/gemm_shapes.h, the same problems and harness as openblas_sgemm.
//
//   bazel run //bench:tessera_sgemm -- [--threads=2]

#include <cstdio>
#include <string>

#include "bench/gemm_shapes.h"
#include "bench/threads_flag.h"
#include "core/thread_pool.h"
#include "ops/common/gemm.h"

namespace {

void TesseraSgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                  const float* b, float* c) {
  tessera::Gemm(trans_a, trans_b, m, n, k, a, b, c, /*accumulate=*/false);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = tessera_bench::TakeThreadsFlag(&argc, argv);
  if (threads == 0) {
    fprintf(stderr, "tessera_sgemm: --threads must be at least 1\n");
    return 1;
  }
  tessera::SetNumCpuThreads(threads);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("tessera_threads", std::to_string(threads));
  benchmark::AddCustomContext("highway_target", tessera::GemmTargetName());
  tessera_bench::RegisterGemmBenchmarks("tessera_sgemm", TesseraSgemm);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
