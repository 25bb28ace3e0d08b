#include "core/cpu_vector_math.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "core/cpu_vector_math.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace cpu_math {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using D = hn::ScalableTag<float>;

// Runs body(pointers at element i) on every full vector of n elements, then
// once on padded copies of the tail, copied back: the tail sees the same
// arithmetic as the body. `arrays` are the float arrays the body reads or
// writes, in the order body receives them.
template <size_t kArrays, class Body>
void ForEachVector(int64_t n, float* const (&arrays)[kArrays], const Body& body) {
  const D d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  float* at[kArrays];
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    for (size_t a = 0; a < kArrays; ++a) at[a] = arrays[a] + i;
    body(d, at);
  }
  if (i == n) return;
  HWY_ALIGN float padded[kArrays][HWY_MAX_BYTES / sizeof(float)] = {};
  for (size_t a = 0; a < kArrays; ++a) {
    for (int64_t k = i; k < n; ++k) padded[a][k - i] = arrays[a][k];
    at[a] = padded[a];
  }
  body(d, at);
  for (size_t a = 0; a < kArrays; ++a) {
    for (int64_t k = i; k < n; ++k) arrays[a][k] = padded[a][k - i];
  }
}

void FillImpl(float value, float* x, int64_t n) {
  float* const arrays[] = {x};
  ForEachVector(n, arrays,
                [value](D d, float* const* p) HWY_ATTR { hn::StoreU(hn::Set(d, value), d, p[0]); });
}

void AxpyImpl(float alpha, const float* x, float* y, int64_t n) {
  // x is only read; the padded tail copies it like the others.
  float* const arrays[] = {const_cast<float*>(x), y};
  ForEachVector(n, arrays, [alpha](D d, float* const* p) HWY_ATTR {
    hn::StoreU(hn::MulAdd(hn::Set(d, alpha), hn::LoadU(d, p[0]), hn::LoadU(d, p[1])), d, p[1]);
  });
}

void SgdMomentumImpl(float lr, float momentum, float weight_decay, const float* g, float* w,
                     float* v, int64_t n) {
  float* const arrays[] = {const_cast<float*>(g), w, v};
  ForEachVector(n, arrays, [=](D d, float* const* p) HWY_ATTR {
    const auto wv = hn::LoadU(d, p[1]);
    const auto decayed = hn::MulAdd(hn::Set(d, weight_decay), wv, hn::LoadU(d, p[0]));
    const auto vv = hn::MulAdd(hn::Set(d, momentum), hn::LoadU(d, p[2]), decayed);
    hn::StoreU(vv, d, p[2]);
    hn::StoreU(hn::NegMulAdd(hn::Set(d, lr), vv, wv), d, p[1]);
  });
}

void AdamImpl(float lr_t, float beta1, float beta2, float eps, float weight_decay, const float* g,
              float* w, float* m, float* v, int64_t n) {
  float* const arrays[] = {const_cast<float*>(g), w, m, v};
  ForEachVector(n, arrays, [=](D d, float* const* p) HWY_ATTR {
    const auto wv = hn::LoadU(d, p[1]);
    const auto gv = hn::MulAdd(hn::Set(d, weight_decay), wv, hn::LoadU(d, p[0]));
    const auto mv =
        hn::MulAdd(hn::Set(d, beta1), hn::LoadU(d, p[2]), hn::Mul(hn::Set(d, 1 - beta1), gv));
    const auto vv = hn::MulAdd(hn::Set(d, beta2), hn::LoadU(d, p[3]),
                               hn::Mul(hn::Set(d, 1 - beta2), hn::Mul(gv, gv)));
    hn::StoreU(mv, d, p[2]);
    hn::StoreU(vv, d, p[3]);
    const auto step =
        hn::Div(hn::Mul(hn::Set(d, lr_t), mv), hn::Add(hn::Sqrt(vv), hn::Set(d, eps)));
    hn::StoreU(hn::Sub(wv, step), d, p[1]);
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace cpu_math
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace cpu_math {

HWY_EXPORT(FillImpl);
HWY_EXPORT(AxpyImpl);
HWY_EXPORT(SgdMomentumImpl);
HWY_EXPORT(AdamImpl);

void Fill(float value, float* x, int64_t n) { HWY_DYNAMIC_DISPATCH(FillImpl)(value, x, n); }
void Axpy(float alpha, const float* x, float* y, int64_t n) {
  HWY_DYNAMIC_DISPATCH(AxpyImpl)(alpha, x, y, n);
}
void SgdMomentum(float lr, float momentum, float weight_decay, const float* g, float* w, float* v,
                 int64_t n) {
  HWY_DYNAMIC_DISPATCH(SgdMomentumImpl)(lr, momentum, weight_decay, g, w, v, n);
}
void Adam(float lr_t, float beta1, float beta2, float eps, float weight_decay, const float* g,
          float* w, float* m, float* v, int64_t n) {
  HWY_DYNAMIC_DISPATCH(AdamImpl)(lr_t, beta1, beta2, eps, weight_decay, g, w, m, v, n);
}

}  // namespace cpu_math
}  // namespace tessera
#endif  // HWY_ONCE
