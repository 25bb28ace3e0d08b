#include "ops/lrn/lrn_planes.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/lrn/lrn_planes.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// After foreach_target.h: these are compiled once per target.
#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "ops/common/elementwise_cpu-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace lrn {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using tessera::HWY_NAMESPACE::ForEachVector;
using tessera::HWY_NAMESPACE::LoadPart;
using tessera::HWY_NAMESPACE::StorePart;

// s^-beta. AlexNet's beta = 0.75 is 1 / (sqrt(s) * sqrt(sqrt(s))): correctly
// rounded square roots, faster and closer than exp(-beta log s).
template <class D>
HWY_INLINE hn::Vec<D> NegPow(D d, hn::Vec<D> s, float beta) {
  if (beta == 0.75f) {
    const auto r2 = hn::Sqrt(s);
    return hn::Div(hn::Set(d, 1.0f), hn::Mul(r2, hn::Sqrt(r2)));
  }
  if (beta == 0.5f) return hn::Div(hn::Set(d, 1.0f), hn::Sqrt(s));
  return hn::Exp(d, hn::Mul(hn::Set(d, -beta), hn::Log(d, s)));
}

void ForwardPlaneImpl(const float* const* window, int64_t count, const float* x, float* s, float* y,
                      int64_t n, float k, float alpha_over_size, float beta) {
  const hn::ScalableTag<float> d;
  const auto kv = hn::Set(d, k), av = hn::Set(d, alpha_over_size);
  ForEachVector(d, n, [&](int64_t i, int64_t lanes) {
    auto acc = hn::Zero(d);
    for (int64_t c = 0; c < count; ++c) {
      const auto v = LoadPart(d, window[c], i, lanes);
      acc = hn::Add(acc, hn::Mul(v, v));
    }
    const auto sv = hn::Add(kv, hn::Mul(av, acc));
    StorePart(d, sv, s, i, lanes);
    StorePart(d, hn::Mul(LoadPart(d, x, i, lanes), NegPow(d, sv, beta)), y, i, lanes);
  });
}

void GradientRatioImpl(const float* dy, const float* y, const float* s, float* t, int64_t n) {
  const hn::ScalableTag<float> d;
  ForEachVector(d, n, [&](int64_t i, int64_t lanes) {
    const auto v = hn::Div(hn::Mul(LoadPart(d, dy, i, lanes), LoadPart(d, y, i, lanes)),
                           LoadPart(d, s, i, lanes));
    StorePart(d, v, t, i, lanes);
  });
}

void GradientPlaneImpl(const float* const* window, int64_t count, const float* x, const float* s,
                       const float* dy, float* dx, int64_t n, float beta, float coeff) {
  const hn::ScalableTag<float> d;
  const auto cv = hn::Set(d, coeff);
  ForEachVector(d, n, [&](int64_t i, int64_t lanes) {
    auto acc = hn::Zero(d);
    for (int64_t c = 0; c < count; ++c) acc = hn::Add(acc, LoadPart(d, window[c], i, lanes));
    const auto direct =
        hn::Mul(LoadPart(d, dy, i, lanes), NegPow(d, LoadPart(d, s, i, lanes), beta));
    const auto cross = hn::Mul(hn::Mul(cv, LoadPart(d, x, i, lanes)), acc);
    StorePart(d, hn::Sub(direct, cross), dx, i, lanes);
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace lrn
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace lrn {

HWY_EXPORT(ForwardPlaneImpl);
HWY_EXPORT(GradientRatioImpl);
HWY_EXPORT(GradientPlaneImpl);

void ForwardPlane(const float* const* window, int64_t count, const float* x, float* s, float* y,
                  int64_t n, float k, float alpha_over_size, float beta) {
  HWY_DYNAMIC_DISPATCH(ForwardPlaneImpl)(window, count, x, s, y, n, k, alpha_over_size, beta);
}

void GradientRatio(const float* dy, const float* y, const float* s, float* t, int64_t n) {
  HWY_DYNAMIC_DISPATCH(GradientRatioImpl)(dy, y, s, t, n);
}

void GradientPlane(const float* const* window, int64_t count, const float* x, const float* s,
                   const float* dy, float* dx, int64_t n, float beta, float coeff) {
  HWY_DYNAMIC_DISPATCH(GradientPlaneImpl)(window, count, x, s, dy, dx, n, beta, coeff);
}

}  // namespace lrn
}  // namespace tessera
#endif  // HWY_ONCE
