#include "ops/common/gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/thread_pool.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/common/gemm.cc"
#include "hwy/aligned_allocator.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// A packed GEMM in the style of Goto and BLIS, simplified:
//   for each block of kKc rows of K:
//     pack op(B)[kc, N] into panels of kNr columns (k-major inside a panel)
//     for each block of kMc rows of op(A) (in parallel) or each group of B
//     panels (in parallel, when M is small):
//       pack the A block into micro-panels of kMr rows (k-major)
//       run the kMr x kNr register-tiled micro-kernel on every tile
// Packing reads A and B directly in either orientation, so transposed
// operands cost nothing extra. Each C element is summed in the same k order
// by one thread, whatever the thread count: results are deterministic.
constexpr int64_t kMr = 6;
constexpr int64_t kKc = 256;
constexpr int64_t kMc = 96;  // a multiple of kMr

struct Operand {
  const float* data;
  bool transposed;
  int64_t ld;  // row stride of the stored (untransposed) matrix
  float at(int64_t r, int64_t c) const { return transposed ? data[c * ld + r] : data[r * ld + c]; }
};

// Packs rows [r0, r0+rows) x cols [k0, k0+kc) of op(A) into micro-panels of
// kMr rows: panel p holds, for each k, the kMr values of rows p*kMr...; rows
// past the end are zero.
void PackA(const Operand& a, int64_t r0, int64_t rows, int64_t k0, int64_t kc, float* out) {
  for (int64_t p = 0; p < rows; p += kMr) {
    const int64_t valid = std::min(kMr, rows - p);
    for (int64_t k = 0; k < kc; ++k) {
      for (int64_t r = 0; r < kMr; ++r)
        out[k * kMr + r] = r < valid ? a.at(r0 + p + r, k0 + k) : 0.0f;
    }
    out += kc * kMr;
  }
}

// Packs rows [k0, k0+kc) x cols [c0, c0+cols) of op(B) into panels of nr
// columns, k-major inside each panel; columns past the end are zero.
void PackB(const Operand& b, int64_t k0, int64_t kc, int64_t c0, int64_t cols, int64_t nr,
           float* out) {
  for (int64_t p = 0; p < cols; p += nr) {
    const int64_t valid = std::min(nr, cols - p);
    if (b.transposed) {
      // Column c of op(B) is row c of the stored matrix: read it along k.
      for (int64_t c = 0; c < nr; ++c) {
        if (c >= valid) {
          for (int64_t k = 0; k < kc; ++k) out[k * nr + c] = 0.0f;
          continue;
        }
        const float* src = b.data + (c0 + p + c) * b.ld + k0;
        for (int64_t k = 0; k < kc; ++k) out[k * nr + c] = src[k];
      }
    } else {
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = b.data + (k0 + k) * b.ld + c0 + p;
        float* dst = out + k * nr;
        std::memcpy(dst, src, valid * sizeof(float));
        std::fill(dst + valid, dst + nr, 0.0f);
      }
    }
    out += kc * nr;
  }
}

// c[kMr x 2 vectors] (+)= a_panel * b_panel over kc; writes `rows` x `cols`
// of the tile into C (ldc), through a scratch tile at the edges.
HWY_INLINE void MicroKernel(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, int64_t kc,
                            float* c, int64_t ldc, int64_t rows, int64_t cols, bool add_to_c) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = hn::Lanes(d);
  auto c00 = hn::Zero(d), c01 = hn::Zero(d), c10 = hn::Zero(d), c11 = hn::Zero(d);
  auto c20 = hn::Zero(d), c21 = hn::Zero(d), c30 = hn::Zero(d), c31 = hn::Zero(d);
  auto c40 = hn::Zero(d), c41 = hn::Zero(d), c50 = hn::Zero(d), c51 = hn::Zero(d);
  for (int64_t k = 0; k < kc; ++k, a += kMr, b += 2 * lanes) {
    const auto b0 = hn::Load(d, b);
    const auto b1 = hn::Load(d, b + lanes);
    auto av = hn::Set(d, a[0]);
    c00 = hn::MulAdd(av, b0, c00);
    c01 = hn::MulAdd(av, b1, c01);
    av = hn::Set(d, a[1]);
    c10 = hn::MulAdd(av, b0, c10);
    c11 = hn::MulAdd(av, b1, c11);
    av = hn::Set(d, a[2]);
    c20 = hn::MulAdd(av, b0, c20);
    c21 = hn::MulAdd(av, b1, c21);
    av = hn::Set(d, a[3]);
    c30 = hn::MulAdd(av, b0, c30);
    c31 = hn::MulAdd(av, b1, c31);
    av = hn::Set(d, a[4]);
    c40 = hn::MulAdd(av, b0, c40);
    c41 = hn::MulAdd(av, b1, c41);
    av = hn::Set(d, a[5]);
    c50 = hn::MulAdd(av, b0, c50);
    c51 = hn::MulAdd(av, b1, c51);
  }
  const decltype(c00) lo[kMr] = {c00, c10, c20, c30, c40, c50};
  const decltype(c00) hi[kMr] = {c01, c11, c21, c31, c41, c51};
  if (rows == kMr && cols == 2 * lanes) {
    for (int64_t r = 0; r < kMr; ++r) {
      float* cr = c + r * ldc;
      hn::StoreU(add_to_c ? hn::Add(lo[r], hn::LoadU(d, cr)) : lo[r], d, cr);
      hn::StoreU(add_to_c ? hn::Add(hi[r], hn::LoadU(d, cr + lanes)) : hi[r], d, cr + lanes);
    }
    return;
  }
  HWY_ALIGN float tile[kMr * 2 * (HWY_MAX_BYTES / sizeof(float))];
  for (int64_t r = 0; r < kMr; ++r) {
    hn::Store(lo[r], d, tile + r * 2 * lanes);
    hn::Store(hi[r], d, tile + r * 2 * lanes + lanes);
  }
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = 0; j < cols; ++j) {
      c[r * ldc + j] =
          add_to_c ? c[r * ldc + j] + tile[r * 2 * lanes + j] : tile[r * 2 * lanes + j];
    }
  }
}

void GemmImpl(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a_data,
              const float* b_data, float* c, bool accumulate) {
  const hn::ScalableTag<float> d;
  const int64_t nr = 2 * static_cast<int64_t>(hn::Lanes(d));
  const Operand a{a_data, trans_a, trans_a ? m : k};
  const Operand b{b_data, trans_b, trans_b ? k : n};
  const int64_t n_panels = (n + nr - 1) / nr;
  const int64_t m_blocks = (m + kMc - 1) / kMc;
  auto packed_b = hwy::AllocateAligned<float>(static_cast<size_t>(kKc * n_panels * nr));
  const int threads = CpuThreadPool().num_threads();
  // Split rows when there are enough row blocks to go round, else columns.
  const bool split_rows = m_blocks >= threads;
  for (int64_t k0 = 0; k0 < k; k0 += kKc) {
    const int64_t kc = std::min(kKc, k - k0);
    const bool add_to_c = accumulate || k0 > 0;
    ParallelFor(n_panels, 8, [&](int64_t p0, int64_t p1) {
      PackB(b, k0, kc, p0 * nr, std::min(n, p1 * nr) - p0 * nr, nr, packed_b.get() + p0 * kc * nr);
    });
    auto run = [&](int64_t mb0, int64_t mb1, int64_t p0, int64_t p1) {
      auto packed_a = hwy::AllocateAligned<float>(static_cast<size_t>(kMc * kc));
      for (int64_t mb = mb0; mb < mb1; ++mb) {
        const int64_t r0 = mb * kMc, rows = std::min(kMc, m - r0);
        PackA(a, r0, rows, k0, kc, packed_a.get());
        for (int64_t p = p0; p < p1; ++p) {
          const int64_t cols = std::min(nr, n - p * nr);
          for (int64_t ir = 0; ir < rows; ir += kMr) {
            MicroKernel(packed_a.get() + ir * kc, packed_b.get() + p * kc * nr, kc,
                        c + (r0 + ir) * n + p * nr, n, std::min(kMr, rows - ir), cols, add_to_c);
          }
        }
      }
    };
    if (split_rows) {
      ParallelFor(m_blocks, 1, [&](int64_t b0, int64_t b1) { run(b0, b1, 0, n_panels); });
    } else {
      ParallelFor(n_panels, 4, [&](int64_t p0, int64_t p1) { run(0, m_blocks, p0, p1); });
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {

HWY_EXPORT(GemmImpl);

void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          const float* b, float* c, bool accumulate) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    if (!accumulate) std::fill(c, c + m * n, 0.0f);
    return;
  }
  HWY_DYNAMIC_DISPATCH(GemmImpl)(trans_a, trans_b, m, n, k, a, b, c, accumulate);
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
