#include "ops/maxpool2d/max_rows.h"

#include <limits>

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/maxpool2d/max_rows.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace pool {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET != HWY_SCALAR
// Outputs [j, j + Lanes(d)) at once; lane l reads plane[... + (j + l) * sw].
// For sw == 2 two vectors are loaded and their even lanes kept, so the read
// runs one float past the last window; the caller checks it stays in the row.
template <class D>
HWY_INLINE void MaxPoolVector(D d, const float* plane, int64_t w, int64_t h0, int64_t h1,
                              int64_t kw, int64_t sw, int64_t pw, int64_t j, float* y, float* at) {
  using V = hn::Vec<D>;
  const V lane_offset = hn::Mul(hn::Iota(d, 0.0f), hn::Set(d, static_cast<float>(sw)));
  V best = hn::Set(d, -std::numeric_limits<float>::infinity());
  V best_at = hn::Add(hn::Set(d, static_cast<float>(h0 * w + j * sw - pw)), lane_offset);
  for (int64_t r = h0; r < h1; ++r) {
    for (int64_t s = 0; s < kw; ++s) {
      const int64_t first = r * w + j * sw - pw + s;
      const float* p = plane + first;
      V v;
      if (sw == 1) {
        v = hn::LoadU(d, p);
      } else {
        v = hn::ConcatEven(d, hn::LoadU(d, p + hn::Lanes(d)), hn::LoadU(d, p));
      }
      const auto take = hn::Or(hn::Gt(v, best), hn::IsNaN(v));
      best = hn::IfThenElse(take, v, best);
      best_at = hn::IfThenElse(take, hn::Add(hn::Set(d, static_cast<float>(first)), lane_offset),
                               best_at);
    }
  }
  hn::StoreU(best, d, y + j);
  hn::StoreU(best_at, d, at + j);
}
#endif  // HWY_TARGET != HWY_SCALAR

void MaxPoolRowImpl(const float* plane, int64_t w, int64_t h0, int64_t h1, int64_t kw, int64_t sw,
                    int64_t pw, int64_t j0, int64_t j1, float* y, float* at) {
  int64_t j = j0;
#if HWY_TARGET != HWY_SCALAR
  if (sw == 1 || sw == 2) {
    // Vectors of decreasing width while the last float read stays in the row.
    auto fits = [&](int64_t lanes) {
      return j + lanes <= j1 && (j + lanes - 1) * sw - pw + kw - 1 + (sw - 1) < w;
    };
    const hn::ScalableTag<float> d;
    while (fits(hn::Lanes(d))) {
      MaxPoolVector(d, plane, w, h0, h1, kw, sw, pw, j, y, at);
      j += hn::Lanes(d);
    }
    const hn::CappedTag<float, 8> d8;
    while (fits(hn::Lanes(d8))) {
      MaxPoolVector(d8, plane, w, h0, h1, kw, sw, pw, j, y, at);
      j += hn::Lanes(d8);
    }
    const hn::CappedTag<float, 4> d4;
    while (fits(hn::Lanes(d4))) {
      MaxPoolVector(d4, plane, w, h0, h1, kw, sw, pw, j, y, at);
      j += hn::Lanes(d4);
    }
  }
#endif
  for (; j < j1; ++j) {
    float best = -std::numeric_limits<float>::infinity();
    int64_t best_at = h0 * w + j * sw - pw;
    for (int64_t r = h0; r < h1; ++r) {
      for (int64_t s = 0; s < kw; ++s) {
        const int64_t i = r * w + j * sw - pw + s;
        const float v = plane[i];
        if (v > best || v != v) {
          best = v;
          best_at = i;
        }
      }
    }
    y[j] = best;
    at[j] = static_cast<float>(best_at);
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace pool
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace pool {

HWY_EXPORT(MaxPoolRowImpl);

void MaxPoolRow(const float* plane, int64_t w, int64_t h0, int64_t h1, int64_t kw, int64_t sw,
                int64_t pw, int64_t j0, int64_t j1, float* y, float* at) {
  HWY_DYNAMIC_DISPATCH(MaxPoolRowImpl)(plane, w, h0, h1, kw, sw, pw, j0, j1, y, at);
}

}  // namespace pool
}  // namespace tessera
#endif  // HWY_ONCE
