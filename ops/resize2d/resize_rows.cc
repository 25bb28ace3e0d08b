#include "ops/resize2d/resize_rows.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/resize2d/resize_rows.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// After foreach_target.h: compiled once per target.
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace resize2d {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Doubles, and the half-width floats and int32s that go with them.
using DD = hn::ScalableTag<double>;
using DF = hn::Rebind<float, DD>;
using DI = hn::Rebind<int32_t, DD>;

void GatherRowImpl(const float* x, const int32_t* index, const double* weight, const int32_t* count,
                   const int32_t* base, int taps, int64_t n, double* row) {
  const DD dd;
  const DF df;
  const DI di;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  int64_t j = 0;
  if (kRowPadding % lanes == 0) {
    for (; j + lanes <= n; j += lanes) {
      const auto counts = hn::PromoteTo(dd, hn::LoadU(di, count + j));
      auto sum = hn::Zero(dd);
#if HWY_TARGET != HWY_SCALAR
      // Twice as many floats as doubles: a block's window of up to 16
      // floats is one vector where lanes * 2 >= 16 (AVX-512).
      const hn::Twice<DF> dw;
      const hn::Twice<DI> dwi;
      const int32_t b0 = base[j / kRowPadding];
      if (b0 >= 0 && static_cast<int64_t>(hn::Lanes(dw)) >= 16) {
        const auto window = hn::LoadU(dw, x + b0);
        for (int b = 0; b < taps; ++b) {
          const auto rel = hn::Sub(hn::LoadU(di, index + b * n + j), hn::Set(di, b0));
          const auto picked = hn::LowerHalf(
              df,
              hn::TableLookupLanes(window, hn::IndicesFromVec(dw, hn::ZeroExtendVector(dwi, rel))));
          const auto term = hn::Mul(hn::LoadU(dd, weight + b * n + j), hn::PromoteTo(dd, picked));
          sum = hn::Add(sum, hn::IfThenElseZero(hn::Lt(hn::Set(dd, b), counts), term));
        }
        hn::StoreU(sum, dd, row + j);
        continue;
      }
#endif
      for (int b = 0; b < taps; ++b) {
        const auto v = hn::PromoteTo(dd, hn::GatherIndex(df, x, hn::LoadU(di, index + b * n + j)));
        const auto term = hn::Mul(hn::LoadU(dd, weight + b * n + j), v);
        sum = hn::Add(sum, hn::IfThenElseZero(hn::Lt(hn::Set(dd, b), counts), term));
      }
      hn::StoreU(sum, dd, row + j);
    }
  }
  for (; j < n; ++j) {
    double sum = 0;
    for (int b = 0; b < taps && b < count[j]; ++b) sum += weight[b * n + j] * x[index[b * n + j]];
    row[j] = sum;
  }
}

void CombineRowsImpl(const double* const* rows, const double* weight, int64_t count, int64_t n,
                     float* out) {
  const DD dd;
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    auto sum = hn::Zero(dd);
    for (int64_t k = 0; k < count; ++k) {
      sum = hn::Add(sum, hn::Mul(hn::Set(dd, weight[k]), hn::LoadU(dd, rows[k] + j)));
    }
    hn::StoreU(hn::DemoteTo(df, sum), df, out + j);
  }
  if (j < n) {
    static_assert(kRowPadding * sizeof(double) >= HWY_MAX_BYTES, "rows padded to whole vectors");
    auto sum = hn::Zero(dd);
    for (int64_t k = 0; k < count; ++k) {
      sum = hn::Add(sum, hn::Mul(hn::Set(dd, weight[k]), hn::LoadU(dd, rows[k] + j)));
    }
    HWY_ALIGN float buffer[HWY_MAX_BYTES / sizeof(double)];
    hn::Store(hn::DemoteTo(df, sum), df, buffer);
    for (int64_t t = j; t < n; ++t) out[t] = buffer[t - j];
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace resize2d
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace resize2d {

HWY_EXPORT(GatherRowImpl);
HWY_EXPORT(CombineRowsImpl);

void GatherRow(const float* x, const int32_t* index, const double* weight, const int32_t* count,
               const int32_t* base, int taps, int64_t n, double* row) {
  HWY_DYNAMIC_DISPATCH(GatherRowImpl)(x, index, weight, count, base, taps, n, row);
}

void CombineRows(const double* const* rows, const double* weight, int64_t count, int64_t n,
                 float* out) {
  HWY_DYNAMIC_DISPATCH(CombineRowsImpl)(rows, weight, count, n, out);
}

}  // namespace resize2d
}  // namespace tessera
#endif  // HWY_ONCE
