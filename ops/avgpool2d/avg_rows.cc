#include "ops/avgpool2d/avg_rows.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/avgpool2d/avg_rows.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace pool {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void PoolRowImpl(const float* padded, int64_t kw, int64_t sw, int64_t ow, const float* divisor,
                 float* y) {
  int64_t j = 0;
#if HWY_TARGET != HWY_SCALAR
  if (sw == 1 || sw == 2) {
    const hn::ScalableTag<float> d;
    const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
    for (; j + lanes <= ow; j += lanes) {
      auto sum = hn::Zero(d);
      for (int64_t s = 0; s < kw; ++s) {
        const float* p = padded + j * sw + s;
        // Stride 2: the even lanes of two vectors (one float past the window).
        sum = hn::Add(sum, sw == 1 ? hn::LoadU(d, p)
                                   : hn::ConcatEven(d, hn::LoadU(d, p + lanes), hn::LoadU(d, p)));
      }
      hn::StoreU(hn::Div(sum, hn::LoadU(d, divisor + j)), d, y + j);
    }
  }
#endif
  for (; j < ow; ++j) {
    float sum = 0;
    for (int64_t s = 0; s < kw; ++s) sum += padded[j * sw + s];
    y[j] = sum / divisor[j];
  }
}

void DivideRowImpl(const float* g, const float* divisor, int64_t n, float* share) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    hn::StoreU(hn::Div(hn::LoadU(d, g + j), hn::LoadU(d, divisor + j)), d, share + j);
  }
  for (; j < n; ++j) share[j] = g[j] / divisor[j];
}

}  // namespace HWY_NAMESPACE
}  // namespace pool
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace pool {

HWY_EXPORT(PoolRowImpl);
HWY_EXPORT(DivideRowImpl);

void PoolRow(const float* padded, int64_t kw, int64_t sw, int64_t ow, const float* divisor,
             float* y) {
  HWY_DYNAMIC_DISPATCH(PoolRowImpl)(padded, kw, sw, ow, divisor, y);
}

void DivideRow(const float* g, const float* divisor, int64_t n, float* share) {
  HWY_DYNAMIC_DISPATCH(DivideRowImpl)(g, divisor, n, share);
}

}  // namespace pool
}  // namespace tessera
#endif  // HWY_ONCE
