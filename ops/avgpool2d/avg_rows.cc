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

void SumRowsImpl(const float* plane, int64_t w, int64_t h0, int64_t h1, float* row) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t j = 0;
  for (; j + lanes <= w; j += lanes) {
    auto sum = hn::LoadU(d, plane + h0 * w + j);
    for (int64_t r = h0 + 1; r < h1; ++r) sum = hn::Add(sum, hn::LoadU(d, plane + r * w + j));
    hn::StoreU(sum, d, row + j);
  }
  for (; j < w; ++j) {
    float sum = plane[h0 * w + j];
    for (int64_t r = h0 + 1; r < h1; ++r) sum += plane[r * w + j];
    row[j] = sum;
  }
}

void AddRowToRowsImpl(const float* row, float* plane, int64_t w, int64_t h0, int64_t h1) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (int64_t r = h0; r < h1; ++r) {
    float* out = plane + r * w;
    int64_t j = 0;
    for (; j + lanes <= w; j += lanes) {
      hn::StoreU(hn::Add(hn::LoadU(d, out + j), hn::LoadU(d, row + j)), d, out + j);
    }
    for (; j < w; ++j) out[j] += row[j];
  }
}

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

void WindowSumsImpl(const float* z, int64_t kw, int64_t n, float* out) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t q = 0;
  for (; q + lanes <= n; q += lanes) {
    auto sum = hn::LoadU(d, z + q);
    for (int64_t t = 1; t < kw; ++t) sum = hn::Add(sum, hn::LoadU(d, z + q + t));
    hn::StoreU(sum, d, out + q);
  }
  for (; q < n; ++q) {
    float sum = z[q];
    for (int64_t t = 1; t < kw; ++t) sum += z[q + t];
    out[q] = sum;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace pool
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace pool {

HWY_EXPORT(SumRowsImpl);
HWY_EXPORT(AddRowToRowsImpl);
HWY_EXPORT(PoolRowImpl);
HWY_EXPORT(DivideRowImpl);
HWY_EXPORT(WindowSumsImpl);

void SumRows(const float* plane, int64_t w, int64_t h0, int64_t h1, float* row) {
  HWY_DYNAMIC_DISPATCH(SumRowsImpl)(plane, w, h0, h1, row);
}

void AddRowToRows(const float* row, float* plane, int64_t w, int64_t h0, int64_t h1) {
  HWY_DYNAMIC_DISPATCH(AddRowToRowsImpl)(row, plane, w, h0, h1);
}

void PoolRow(const float* padded, int64_t kw, int64_t sw, int64_t ow, const float* divisor,
             float* y) {
  HWY_DYNAMIC_DISPATCH(PoolRowImpl)(padded, kw, sw, ow, divisor, y);
}

void DivideRow(const float* g, const float* divisor, int64_t n, float* share) {
  HWY_DYNAMIC_DISPATCH(DivideRowImpl)(g, divisor, n, share);
}

void WindowSums(const float* z, int64_t kw, int64_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(WindowSumsImpl)(z, kw, n, out);
}

}  // namespace pool
}  // namespace tessera
#endif  // HWY_ONCE
