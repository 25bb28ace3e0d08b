// The GEMM's register-tiled micro-kernel, per Highway target: shared by
// gemm.cc and winograd.cc (which feeds it its transformed tiles directly,
// unpacked). Include after hwy/highway.h in a file compiled per target.

#if defined(TESSERA_OPS_COMMON_GEMM_KERNEL_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TESSERA_OPS_COMMON_GEMM_KERNEL_INL_H_
#undef TESSERA_OPS_COMMON_GEMM_KERNEL_INL_H_
#else
#define TESSERA_OPS_COMMON_GEMM_KERNEL_INL_H_
#endif

#include <cstdint>

#include "hwy/cache_control.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The register tile: AVX-512 has 32 vector registers, so 8 rows x 3 vectors
// (24 accumulators, 3 B vectors, 1 broadcast); 8 divides the row counts that
// matter (batch 64, conv channels). 16-register targets use 6 x 2.
#if HWY_TARGET <= HWY_AVX3 && HWY_TARGET != HWY_SCALAR
constexpr int64_t kMr = 8;
constexpr int64_t kNv = 3;
#else
constexpr int64_t kMr = 6;
constexpr int64_t kNv = 2;
#endif
// c[kMr x kNv vectors] (+)= a_panel * b_panel over kc, the B rows ldb floats
// apart (a packed panel's width, or a wider row-major matrix whose rows hold
// at least kNv vectors from b, even where cols is less); writes `rows` x
// `cols` of the tile into C (ldc), through a scratch tile at the edges. The
// accumulators are named variables, not an array, so that they stay in
// registers (an array indexed at the edges went to the stack every k).
#define TS_GEMM_ROW2(r)                    \
  {                                        \
    const auto av = hn::Set(d, a[r]);      \
    c##r##0 = hn::MulAdd(av, b0, c##r##0); \
    c##r##1 = hn::MulAdd(av, b1, c##r##1); \
  }
#define TS_GEMM_ROW3(r)                    \
  {                                        \
    const auto av = hn::Set(d, a[r]);      \
    c##r##0 = hn::MulAdd(av, b0, c##r##0); \
    c##r##1 = hn::MulAdd(av, b1, c##r##1); \
    c##r##2 = hn::MulAdd(av, b2, c##r##2); \
  }
HWY_INLINE void MicroKernel(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, int64_t kc,
                            float* c, int64_t ldc, int64_t rows, int64_t cols, bool add_to_c,
                            int64_t ldb) {
  const hn::ScalableTag<float> d;
  using V = decltype(hn::Zero(d));
  const int64_t lanes = hn::Lanes(d);
  // The C tile is read (or written) only after the k loop; its rows lie ldc
  // apart, where no hardware prefetcher follows. Fetching them now hides the
  // miss behind the loop (C of a large product lives in L3 or DRAM between
  // k blocks: without this, the tile's load took a sixth of the kernel time).
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; j += 64 / static_cast<int64_t>(sizeof(float))) {
      hwy::Prefetch(c + r * ldc + j);
    }
    hwy::Prefetch(c + r * ldc + cols - 1);
  }
#if HWY_TARGET <= HWY_AVX3 && HWY_TARGET != HWY_SCALAR
  V c00 = hn::Zero(d), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
  V c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
  V c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00, c52 = c00;
  V c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
  for (int64_t k = 0; k < kc; ++k, a += kMr, b += ldb) {
    // The A micro-panel is reread by every call along a row of C, but the B
    // panels streamed in between evict it from L1: fetch it 32 k ahead.
    hwy::Prefetch(a + 32 * kMr);
    const V b0 = hn::LoadU(d, b), b1 = hn::LoadU(d, b + lanes), b2 = hn::LoadU(d, b + 2 * lanes);
    TS_GEMM_ROW3(0)
    TS_GEMM_ROW3(1)
    TS_GEMM_ROW3(2) TS_GEMM_ROW3(3) TS_GEMM_ROW3(4) TS_GEMM_ROW3(5) TS_GEMM_ROW3(6) TS_GEMM_ROW3(7)
  }
  const V acc[kMr][kNv] = {{c00, c01, c02}, {c10, c11, c12}, {c20, c21, c22}, {c30, c31, c32},
                           {c40, c41, c42}, {c50, c51, c52}, {c60, c61, c62}, {c70, c71, c72}};
#else
  V c00 = hn::Zero(d), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  V c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  for (int64_t k = 0; k < kc; ++k, a += kMr, b += ldb) {
    const V b0 = hn::LoadU(d, b), b1 = hn::LoadU(d, b + lanes);
    TS_GEMM_ROW2(0) TS_GEMM_ROW2(1) TS_GEMM_ROW2(2) TS_GEMM_ROW2(3) TS_GEMM_ROW2(4) TS_GEMM_ROW2(5)
  }
  const V acc[kMr][kNv] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
#endif
  if (rows == kMr && cols == kNv * lanes) {
    for (int64_t r = 0; r < kMr; ++r) {
      float* cr = c + r * ldc;
      for (int64_t v = 0; v < kNv; ++v) {
        float* p = cr + v * lanes;
        hn::StoreU(add_to_c ? hn::Add(acc[r][v], hn::LoadU(d, p)) : acc[r][v], d, p);
      }
    }
    return;
  }
  HWY_ALIGN float tile[kMr * kNv * (HWY_MAX_BYTES / sizeof(float))];
  const int64_t width = kNv * lanes;
  for (int64_t r = 0; r < kMr; ++r) {
    for (int64_t v = 0; v < kNv; ++v) hn::Store(acc[r][v], d, tile + r * width + v * lanes);
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) {
      c[r * ldc + j] = add_to_c ? c[r * ldc + j] + tile[r * width + j] : tile[r * width + j];
    }
  }
}
#undef TS_GEMM_ROW2
#undef TS_GEMM_ROW3

}  // namespace HWY_NAMESPACE
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#endif  // TESSERA_OPS_COMMON_GEMM_KERNEL_INL_H_
