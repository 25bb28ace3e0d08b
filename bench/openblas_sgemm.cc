// openblas_sgemm: OpenBLAS's cblas_sgemm on the shapes of bench/gemm_shapes.h,
// the peer that Tessera's GEMM (bench/tessera_sgemm.cc) is measured against.
//
//   bazel run //bench:openblas_sgemm -- [--threads=2]
//
// Needs Debian's libopenblas-dev (bench/side_by_side.sh installs it); its
// cblas.h is /usr/include/x86_64-linux-gnu/cblas.h through the BLAS
// alternatives, which also declares openblas_set_num_threads.

#include <cblas.h>

#include <cstdio>
#include <string>

#include "bench/gemm_shapes.h"
#include "bench/threads_flag.h"

namespace {

void OpenBlasSgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                   const float* b, float* c) {
  // Row-major leading dimensions: A is [M,K] or, transposed, [K,M]; B is
  // [K,N] or, transposed, [N,K].
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
              trans_b ? CblasTrans : CblasNoTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(k), 1.0f, a, static_cast<int>(trans_a ? m : k), b,
              static_cast<int>(trans_b ? k : n), 0.0f, c, static_cast<int>(n));
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = tessera_bench::TakeThreadsFlag(&argc, argv);
  if (threads == 0) {
    fprintf(stderr, "openblas_sgemm: --threads must be at least 1\n");
    return 1;
  }
  openblas_set_num_threads(threads);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("openblas_threads", std::to_string(openblas_get_num_threads()));
  benchmark::AddCustomContext("openblas_config", openblas_get_config());
  tessera_bench::RegisterGemmBenchmarks("openblas_sgemm", OpenBlasSgemm);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
