#ifndef TESSERA_OPS_COMMON_GEMM_H_
#define TESSERA_OPS_COMMON_GEMM_H_

#include <cstdint>
#include <functional>

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

// Packs rows [k0, k0+kc) x columns [c0, c0+cols) of a B that exists only
// implicitly (an im2col matrix computed from an image) into panels of nr
// columns: out[p * kc * nr + kk * nr + j] is B[k0 + kk, c0 + p * nr + j],
// and 0 for columns at or past c0 + cols. Called from several threads at
// once, on disjoint blocks.
using PackBFn =
    std::function<void(int64_t k0, int64_t kc, int64_t c0, int64_t cols, int64_t nr, float* out)>;

// Gemm with B [k, n] given by its packing function: the matrix is never
// stored whole, each block is packed as the product reaches it.
void GemmImplicitB(bool trans_a, int64_t m, int64_t n, int64_t k, const float* a,
                   const PackBFn& pack_b, float* c, bool accumulate);

// For PackBFn implementations whose columns of B are lines in memory (line
// j at lines + j * ld, running along k): out[kk * width + j] = line j at kk
// for j < valid, 0 for valid <= j < width, kk < kc. Transposes 4x4 in SIMD
// registers.
void PackLinesIntoPanel(const float* lines, int64_t ld, int64_t kc, int64_t width, int64_t valid,
                        float* out);

// Gemm for a B that is read again unchanged across calls (a layer's weight):
// b_version must change whenever b's values may have (Tensor::version()).
// When m is small, packing B is a real share of the work, so a B met a
// second time with the same version is packed once into a process-wide
// cache (keyed by b, trans_b, n, k; at most 1 GiB, least recently used out)
// and later calls read that packing. Same results as Gemm, bit for bit.
void GemmVersionedB(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                    const float* b, uint64_t b_version, float* c, bool accumulate);

struct GemmCacheStats {
  int64_t packs = 0;  // whole-B packings stored in the cache
  int64_t hits = 0;   // calls that read a stored packing
};
GemmCacheStats GetGemmCacheStats();

// The Highway target Gemm dispatches to on this CPU ("AVX3", "AVX2", ...).
const char* GemmTargetName();

// The plain triple loop, the oracle for tests and benchmarks.
void ReferenceGemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                   const float* b, float* c, bool accumulate);

}  // namespace tessera

#endif  // TESSERA_OPS_COMMON_GEMM_H_
