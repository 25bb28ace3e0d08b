#include "ops/common/gemm.h"

#include <algorithm>
#include <vector>

#include "core/thread_pool.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/common/gemm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// C rows [row_begin, row_end) of C = A * B (+C), A[M,K], B[K,N] row-major.
// Register tile: 4 rows x 2 vectors, accumulated over all of K, so each C
// element is written once and B streams through in row order.
void GemmRows(int64_t row_begin, int64_t row_end, int64_t n, int64_t k, const float* a,
              const float* b, float* c, bool accumulate) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = hn::Lanes(d);
  const int64_t tile_cols = 2 * lanes;
  int64_t i = row_begin;
  for (; i + 4 <= row_end; i += 4) {
    const float* a0 = a + i * k;
    const float* a1 = a0 + k;
    const float* a2 = a1 + k;
    const float* a3 = a2 + k;
    int64_t j = 0;
    for (; j + tile_cols <= n; j += tile_cols) {
      auto c00 = hn::Zero(d), c01 = hn::Zero(d), c10 = hn::Zero(d), c11 = hn::Zero(d);
      auto c20 = hn::Zero(d), c21 = hn::Zero(d), c30 = hn::Zero(d), c31 = hn::Zero(d);
      const float* bp = b + j;
      for (int64_t p = 0; p < k; ++p, bp += n) {
        const auto b0 = hn::LoadU(d, bp);
        const auto b1 = hn::LoadU(d, bp + lanes);
        auto av = hn::Set(d, a0[p]);
        c00 = hn::MulAdd(av, b0, c00);
        c01 = hn::MulAdd(av, b1, c01);
        av = hn::Set(d, a1[p]);
        c10 = hn::MulAdd(av, b0, c10);
        c11 = hn::MulAdd(av, b1, c11);
        av = hn::Set(d, a2[p]);
        c20 = hn::MulAdd(av, b0, c20);
        c21 = hn::MulAdd(av, b1, c21);
        av = hn::Set(d, a3[p]);
        c30 = hn::MulAdd(av, b0, c30);
        c31 = hn::MulAdd(av, b1, c31);
      }
      float* cr[4] = {c + i * n + j, c + (i + 1) * n + j, c + (i + 2) * n + j, c + (i + 3) * n + j};
      const decltype(c00) lo[4] = {c00, c10, c20, c30};
      const decltype(c00) hi[4] = {c01, c11, c21, c31};
      for (int r = 0; r < 4; ++r) {
        if (accumulate) {
          hn::StoreU(hn::Add(lo[r], hn::LoadU(d, cr[r])), d, cr[r]);
          hn::StoreU(hn::Add(hi[r], hn::LoadU(d, cr[r] + lanes)), d, cr[r] + lanes);
        } else {
          hn::StoreU(lo[r], d, cr[r]);
          hn::StoreU(hi[r], d, cr[r] + lanes);
        }
      }
    }
    for (; j < n; ++j) {  // leftover columns
      float s[4] = {0, 0, 0, 0};
      for (int64_t p = 0; p < k; ++p) {
        const float bv = b[p * n + j];
        s[0] += a0[p] * bv;
        s[1] += a1[p] * bv;
        s[2] += a2[p] * bv;
        s[3] += a3[p] * bv;
      }
      for (int r = 0; r < 4; ++r) {
        float& out = c[(i + r) * n + j];
        out = accumulate ? out + s[r] : s[r];
      }
    }
  }
  for (; i < row_end; ++i) {  // leftover rows: one row, vector at a time
    const float* ar = a + i * k;
    float* cr = c + i * n;
    int64_t j = 0;
    for (; j + lanes <= n; j += lanes) {
      auto acc = hn::Zero(d);
      for (int64_t p = 0; p < k; ++p) acc = hn::MulAdd(hn::Set(d, ar[p]), hn::LoadU(d, b + p * n + j), acc);
      if (accumulate) acc = hn::Add(acc, hn::LoadU(d, cr + j));
      hn::StoreU(acc, d, cr + j);
    }
    for (; j < n; ++j) {
      float s = 0;
      for (int64_t p = 0; p < k; ++p) s += ar[p] * b[p * n + j];
      cr[j] = accumulate ? cr[j] + s : s;
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {

HWY_EXPORT(GemmRows);

namespace {
// Row-major transpose of src[rows, cols] into dst[cols, rows].
void Transpose(const float* src, int64_t rows, int64_t cols, float* dst) {
  constexpr int64_t kBlock = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += kBlock) {
    for (int64_t c0 = 0; c0 < cols; c0 += kBlock) {
      for (int64_t r = r0; r < std::min(rows, r0 + kBlock); ++r) {
        for (int64_t c = c0; c < std::min(cols, c0 + kBlock); ++c) dst[c * rows + r] = src[r * cols + c];
      }
    }
  }
}
}  // namespace

void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          const float* b, float* c, bool accumulate) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate) std::fill(c, c + m * n, 0.0f);
    return;
  }
  std::vector<float> a_packed, b_packed;
  if (trans_a) {
    a_packed.resize(m * k);
    Transpose(a, k, m, a_packed.data());
    a = a_packed.data();
  }
  if (trans_b) {
    b_packed.resize(k * n);
    Transpose(b, n, k, b_packed.data());
    b = b_packed.data();
  }
  // Chunks of whole 4-row tiles; enough work per chunk to pay for a thread.
  const int64_t tiles = (m + 3) / 4;
  const int64_t min_tiles = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, n * k));
  ParallelFor(tiles, min_tiles, [&](int64_t t0, int64_t t1) {
    HWY_DYNAMIC_DISPATCH(GemmRows)(t0 * 4, std::min(m, t1 * 4), n, k, a, b, c, accumulate);
  });
}

void ReferenceGemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                   const float* b, float* c, bool accumulate) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = trans_a ? a[p * m + i] : a[i * k + p];
        const float bv = trans_b ? b[j * k + p] : b[p * n + j];
        s += static_cast<double>(av) * bv;
      }
      c[i * n + j] = accumulate ? c[i * n + j] + static_cast<float>(s) : static_cast<float>(s);
    }
  }
}

}  // namespace tessera
#endif  // HWY_ONCE
