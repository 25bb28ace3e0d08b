#include "ops/l2_loss/l2_rows.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/l2_loss/l2_rows.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// After foreach_target.h: compiled once per target.
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace l2 {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

double SumSquaredDifferenceImpl(const float* y, const float* t, int64_t n) {
  // Doubles, and the half-width vector of floats that promotes to them.
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  auto s0 = hn::Zero(dd), s1 = hn::Zero(dd);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const auto d0 =
        hn::Sub(hn::PromoteTo(dd, hn::LoadU(df, y + i)), hn::PromoteTo(dd, hn::LoadU(df, t + i)));
    const auto d1 = hn::Sub(hn::PromoteTo(dd, hn::LoadU(df, y + i + lanes)),
                            hn::PromoteTo(dd, hn::LoadU(df, t + i + lanes)));
    s0 = hn::MulAdd(d0, d0, s0);
    s1 = hn::MulAdd(d1, d1, s1);
  }
  double sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(s0, s1)));
  for (; i < n; ++i) {
    const double d = double(y[i]) - t[i];
    sum += d * d;
  }
  return sum;
}

void ScaledDifferenceImpl(const float* y, const float* t, float scale, float* dy, float* dt,
                          int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto s = hn::Set(d, scale);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto g = hn::Mul(s, hn::Sub(hn::LoadU(d, y + i), hn::LoadU(d, t + i)));
    if (dy != nullptr) hn::StoreU(g, d, dy + i);
    if (dt != nullptr) hn::StoreU(hn::Neg(g), d, dt + i);
  }
  for (; i < n; ++i) {
    const float g = scale * (y[i] - t[i]);
    if (dy != nullptr) dy[i] = g;
    if (dt != nullptr) dt[i] = -g;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace l2
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace l2 {

HWY_EXPORT(SumSquaredDifferenceImpl);
HWY_EXPORT(ScaledDifferenceImpl);

double SumSquaredDifference(const float* y, const float* t, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(SumSquaredDifferenceImpl)(y, t, n);
}

void ScaledDifference(const float* y, const float* t, float scale, float* dy, float* dt,
                      int64_t n) {
  HWY_DYNAMIC_DISPATCH(ScaledDifferenceImpl)(y, t, scale, dy, dt, n);
}

}  // namespace l2
}  // namespace tessera
#endif  // HWY_ONCE
