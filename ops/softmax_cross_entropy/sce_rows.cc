#include "ops/softmax_cross_entropy/sce_rows.h"

#include <algorithm>
#include <cmath>

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/softmax_cross_entropy/sce_rows.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// After foreach_target.h: compiled once per target.
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace sce {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

float MaxOfImpl(const float* z, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  float max = z[0];
  int64_t i = 0;
  if (n >= lanes) {
    auto m = hn::LoadU(d, z);
    for (i = lanes; i + lanes <= n; i += lanes) m = hn::Max(m, hn::LoadU(d, z + i));
    max = hn::GetLane(hn::MaxOfLanes(d, m));
  }
  for (; i < n; ++i) max = std::max(max, z[i]);
  return max;
}

double ExpAndSumImpl(const float* z, float max, float* p, int64_t n) {
  const hn::ScalableTag<float> d;
  // The exps summed in double: half a float vector at a time.
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> dh;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const int64_t half = static_cast<int64_t>(hn::Lanes(dd));
  const auto m = hn::Set(d, max);
  auto sum = hn::Zero(dd);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    hn::StoreU(hn::Exp(d, hn::Sub(hn::LoadU(d, z + i), m)), d, p + i);
    for (int64_t k = 0; k < lanes; k += half) {
      sum = hn::Add(sum, hn::PromoteTo(dd, hn::LoadU(dh, p + i + k)));
    }
  }
  double total = hn::GetLane(hn::SumOfLanes(dd, sum));
  if (i < n) {  // the tail through a padded vector: the same Exp
    HWY_ALIGN float buffer[HWY_MAX_BYTES / sizeof(float)];
    for (int64_t k = 0; k < lanes; ++k) buffer[k] = i + k < n ? z[i + k] : max;
    hn::Store(hn::Exp(d, hn::Sub(hn::Load(d, buffer), m)), d, buffer);
    for (int64_t k = 0; i + k < n; ++k) {
      p[i + k] = buffer[k];
      total += buffer[k];
    }
  }
  return total;
}

}  // namespace HWY_NAMESPACE
}  // namespace sce
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace sce {

HWY_EXPORT(MaxOfImpl);
HWY_EXPORT(ExpAndSumImpl);

float MaxOf(const float* z, int64_t n) { return HWY_DYNAMIC_DISPATCH(MaxOfImpl)(z, n); }

double ExpAndSum(const float* z, float max, float* p, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(ExpAndSumImpl)(z, max, p, n);
}

}  // namespace sce
}  // namespace tessera
#endif  // HWY_ONCE
