#include "ops/softmax/softmax_rows.h"

#include <limits>

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/softmax/softmax_rows.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// After foreach_target.h: compiled once per target.
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "ops/common/elementwise_cpu-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace softmax {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using tessera::HWY_NAMESPACE::ForEachVector;
using tessera::HWY_NAMESPACE::LoadPart;
using tessera::HWY_NAMESPACE::StorePart;

void ForwardRowImpl(const float* x, float* y, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  // The maximum; a partial last vector is padded with x[0], which changes
  // nothing.
  auto max = hn::Set(d, x[0]);
  ForEachVector(d, n, [&](int64_t i, int64_t count) {
    auto v = LoadPart(d, x, i, count);
    if (count < lanes) {
      v = hn::IfThenElse(hn::FirstN(d, static_cast<size_t>(count)), v, hn::Set(d, x[0]));
    }
    max = hn::Max(max, v);
  });
  const auto shift = hn::Set(d, hn::GetLane(hn::MaxOfLanes(d, max)));
  auto sum = hn::Zero(d);
  ForEachVector(d, n, [&](int64_t i, int64_t count) {
    auto e = hn::Exp(d, hn::Sub(LoadPart(d, x, i, count), shift));
    if (count < lanes) e = hn::IfThenElseZero(hn::FirstN(d, static_cast<size_t>(count)), e);
    StorePart(d, e, y, i, count);
    sum = hn::Add(sum, e);
  });
  const auto inv = hn::Set(d, 1.0f / hn::GetLane(hn::SumOfLanes(d, sum)));
  ForEachVector(d, n, [&](int64_t i, int64_t count) {
    StorePart(d, hn::Mul(LoadPart(d, y, i, count), inv), y, i, count);
  });
}

void GradientRowImpl(const float* y, const float* dy, float* dx, int64_t n) {
  const hn::ScalableTag<float> d;
  auto dot = hn::Zero(d);
  ForEachVector(d, n, [&](int64_t i, int64_t count) {
    // Padding lanes load as zeros: they add nothing.
    dot = hn::MulAdd(LoadPart(d, dy, i, count), LoadPart(d, y, i, count), dot);
  });
  const auto total = hn::Set(d, hn::GetLane(hn::SumOfLanes(d, dot)));
  ForEachVector(d, n, [&](int64_t i, int64_t count) {
    const auto g = hn::Mul(LoadPart(d, y, i, count), hn::Sub(LoadPart(d, dy, i, count), total));
    StorePart(d, g, dx, i, count);
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace softmax
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace softmax {

HWY_EXPORT(ForwardRowImpl);
HWY_EXPORT(GradientRowImpl);

void ForwardRow(const float* x, float* y, int64_t n) {
  HWY_DYNAMIC_DISPATCH(ForwardRowImpl)(x, y, n);
}

void GradientRow(const float* y, const float* dy, float* dx, int64_t n) {
  HWY_DYNAMIC_DISPATCH(GradientRowImpl)(y, dy, dx, n);
}

}  // namespace softmax
}  // namespace tessera
#endif  // HWY_ONCE
