#ifndef TESSERA_OPS_COMMON_GEMM_H_
#define TESSERA_OPS_COMMON_GEMM_H_

#include <cstdint>

namespace tessera {

// Single-precision matrix product on the CPU, row-major:
//   C[M,N] = op(A) * op(B)          (accumulate = false)
//   C[M,N] += op(A) * op(B)         (accumulate = true)
// where op(A) is A[M,K] or, with trans_a, the transpose of A[K,M]; likewise
// op(B) is B[K,N] or, with trans_b, the transpose of B[N,K]. Highway SIMD
// with runtime dispatch, rows split over the CPU thread pool. The row split
// is fixed for a thread count, so results are bitwise reproducible.
void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          const float* b, float* c, bool accumulate);

// The plain triple loop, the oracle for tests and benchmarks.
void ReferenceGemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                   const float* b, float* c, bool accumulate);

}  // namespace tessera

#endif  // TESSERA_OPS_COMMON_GEMM_H_
