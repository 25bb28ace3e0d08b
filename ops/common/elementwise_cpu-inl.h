// The CPU side of ops/common/elementwise.h: SimdMath, a Highway vector
// policy for the functors, and the loops that run a functor over arrays.
// Included per SIMD target from an op's .cc after hwy/foreach_target.h (the
// "-inl.h" convention of Highway: the include guard toggles per target).

#if defined(TESSERA_OPS_COMMON_ELEMENTWISE_CPU_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TESSERA_OPS_COMMON_ELEMENTWISE_CPU_INL_H_
#undef TESSERA_OPS_COMMON_ELEMENTWISE_CPU_INL_H_
#else
#define TESSERA_OPS_COMMON_ELEMENTWISE_CPU_INL_H_
#endif

#include <cstdint>
#include <cstring>

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "ops/common/elementwise.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// A Highway vector of floats, with the operations of ScalarMath.
template <class D>
struct SimdMath {
  using V = hn::Vec<D>;
  using Mask = hn::Mask<D>;
  D d;
  HWY_INLINE V Zero() const { return hn::Zero(d); }
  HWY_INLINE V Set(float v) const { return hn::Set(d, v); }
  HWY_INLINE V Add(V a, V b) const { return hn::Add(a, b); }
  HWY_INLINE V Sub(V a, V b) const { return hn::Sub(a, b); }
  HWY_INLINE V Mul(V a, V b) const { return hn::Mul(a, b); }
  HWY_INLINE V Div(V a, V b) const { return hn::Div(a, b); }
  HWY_INLINE V Neg(V a) const { return hn::Neg(a); }
  HWY_INLINE V Abs(V a) const { return hn::Abs(a); }
  HWY_INLINE Mask Gt(V a, V b) const { return hn::Gt(a, b); }
  HWY_INLINE Mask Ge(V a, V b) const { return hn::Ge(a, b); }
  HWY_INLINE V Select(Mask m, V yes, V no) const { return hn::IfThenElse(m, yes, no); }
  HWY_INLINE V Exp(V a) const { return hn::Exp(d, a); }
  HWY_INLINE V Tanh(V a) const { return hn::Tanh(d, a); }
};

// Runs `body(offset, lanes_valid)` over [0, n) a vector at a time. The
// last partial vector goes through a zero-padded stack copy, so every
// element is computed by the same vector code whatever the split between
// threads (results do not depend on the thread count).
template <class D, class Body>
HWY_INLINE void ForEachVector(D d, int64_t n, const Body& body) {
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) body(i, lanes);
  if (i < n) body(i, n - i);
}

// Loads `count` floats at p + i (a whole vector, or a padded tail).
template <class D>
HWY_INLINE hn::Vec<D> LoadPart(D d, const float* p, int64_t i, int64_t count) {
  if (count == static_cast<int64_t>(hn::Lanes(d))) return hn::LoadU(d, p + i);
  HWY_ALIGN float buffer[HWY_MAX_BYTES / sizeof(float)] = {};
  std::memcpy(buffer, p + i, static_cast<size_t>(count) * sizeof(float));
  return hn::Load(d, buffer);
}

template <class D>
HWY_INLINE void StorePart(D d, hn::Vec<D> v, float* p, int64_t i, int64_t count) {
  if (count == static_cast<int64_t>(hn::Lanes(d))) return hn::StoreU(v, d, p + i);
  HWY_ALIGN float buffer[HWY_MAX_BYTES / sizeof(float)];
  hn::Store(v, d, buffer);
  std::memcpy(p + i, buffer, static_cast<size_t>(count) * sizeof(float));
}

// y = f(x). y may alias x (in place).
template <class F>
void UnaryForwardLoop(const F& f, const float* x, float* y, int64_t n) {
  const hn::ScalableTag<float> d;
  const SimdMath<decltype(d)> m{d};
  ForEachVector(d, n, [&](int64_t i, int64_t count) {
    StorePart(d, f.Forward(m, LoadPart(d, x, i, count)), y, i, count);
  });
}

// dx = f'(x, y) dy; x or y is null when F::kGradientUses says it is unused.
template <class F>
void UnaryGradientLoop(const F& f, const float* x, const float* y, const float* dy, float* dx,
                       int64_t n) {
  const hn::ScalableTag<float> d;
  const SimdMath<decltype(d)> m{d};
  ForEachVector(d, n, [&](int64_t i, int64_t count) {
    const auto xv = (F::kGradientUses & kUsesInput) ? LoadPart(d, x, i, count) : m.Zero();
    const auto yv = (F::kGradientUses & kUsesOutput) ? LoadPart(d, y, i, count) : m.Zero();
    StorePart(d, f.Gradient(m, xv, yv, LoadPart(d, dy, i, count)), dx, i, count);
  });
}

template <class F>
void BinaryForwardLoop(const F& f, const float* a, const float* b, float* y, int64_t n) {
  const hn::ScalableTag<float> d;
  const SimdMath<decltype(d)> m{d};
  ForEachVector(d, n, [&](int64_t i, int64_t count) {
    StorePart(d, f.Forward(m, LoadPart(d, a, i, count), LoadPart(d, b, i, count)), y, i, count);
  });
}

// da and db are written where not null; a and b are read when
// F::kGradientUses has kUsesInput.
template <class F>
void BinaryGradientLoop(const F& f, const float* a, const float* b, const float* dy, float* da,
                        float* db, int64_t n) {
  const hn::ScalableTag<float> d;
  const SimdMath<decltype(d)> m{d};
  ForEachVector(d, n, [&](int64_t i, int64_t count) {
    const bool reads = (F::kGradientUses & kUsesInput) != 0;
    const auto av = reads ? LoadPart(d, a, i, count) : m.Zero();
    const auto bv = reads ? LoadPart(d, b, i, count) : m.Zero();
    const auto dyv = LoadPart(d, dy, i, count);
    if (da != nullptr) StorePart(d, f.GradientA(m, av, bv, dyv), da, i, count);
    if (db != nullptr) StorePart(d, f.GradientB(m, av, bv, dyv), db, i, count);
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#endif  // include guard (per target)
