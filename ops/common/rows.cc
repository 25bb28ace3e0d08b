#include "ops/common/rows.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/common/rows.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void CopyImpl(const float* src, float* dst, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t i = 0;
  // Two vectors per step: loads of the next one issue while the first stores.
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const auto v0 = hn::LoadU(d, src + i);
    const auto v1 = hn::LoadU(d, src + i + lanes);
    hn::StoreU(v0, d, dst + i);
    hn::StoreU(v1, d, dst + i + lanes);
  }
  for (; i + lanes <= n; i += lanes) hn::StoreU(hn::LoadU(d, src + i), d, dst + i);
  if (i < n && n >= lanes) {
    // The tail as one vector ending at n, overlapping the last one stored:
    // the ranges do not overlap each other, so the floats written twice get
    // the same values. Short rows (pad2d's 56 + 3, concat's planes) spent a
    // third of their time in the scalar tail.
    hn::StoreU(hn::LoadU(d, src + n - lanes), d, dst + n - lanes);
    return;
  }
  for (; i < n; ++i) dst[i] = src[i];
}

void CopyRowsImpl(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
                  int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r) CopyImpl(src + r * src_stride, dst + r * dst_stride, n);
}

void FillImpl(float value, float* dst, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto v = hn::Set(d, value);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(v, d, dst + i);
  for (; i < n; ++i) dst[i] = value;
}

void ScaleShiftImpl(const float* x, float scale, float shift, float* y, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto vs = hn::Set(d, scale), vb = hn::Set(d, shift);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const auto v0 = hn::MulAdd(hn::LoadU(d, x + i), vs, vb);
    const auto v1 = hn::MulAdd(hn::LoadU(d, x + i + lanes), vs, vb);
    hn::StoreU(v0, d, y + i);
    hn::StoreU(v1, d, y + i + lanes);
  }
  for (; i + lanes <= n; i += lanes) hn::StoreU(hn::MulAdd(hn::LoadU(d, x + i), vs, vb), d, y + i);
  // The tail through a padded vector: the same rounding as the body.
  if (i < n) {
    HWY_ALIGN float buffer[HWY_MAX_BYTES / sizeof(float)] = {};
    for (int64_t k = i; k < n; ++k) buffer[k - i] = x[k];
    hn::Store(hn::MulAdd(hn::Load(d, buffer), vs, vb), d, buffer);
    for (int64_t k = i; k < n; ++k) y[k] = buffer[k - i];
  }
}

void SumRowsImpl(const float* x, int64_t rows, int64_t stride, int64_t n, float* out) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    auto sum = hn::LoadU(d, x + j);
    for (int64_t r = 1; r < rows; ++r) sum = hn::Add(sum, hn::LoadU(d, x + r * stride + j));
    hn::StoreU(sum, d, out + j);
  }
  for (; j < n; ++j) {
    float sum = x[j];
    for (int64_t r = 1; r < rows; ++r) sum += x[r * stride + j];
    out[j] = sum;
  }
}

void AddToImpl(const float* src, int64_t n, float* dst) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    hn::StoreU(hn::Add(hn::LoadU(d, dst + j), hn::LoadU(d, src + j)), d, dst + j);
  }
  for (; j < n; ++j) dst[j] += src[j];
}

void MultiplyImpl(const float* a, const float* b, int64_t n, float* out) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    hn::StoreU(hn::Mul(hn::LoadU(d, a + j), hn::LoadU(d, b + j)), d, out + j);
  }
  for (; j < n; ++j) out[j] = a[j] * b[j];  // a single product rounds the same
}

}  // namespace HWY_NAMESPACE
}  // namespace simd
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace simd {

HWY_EXPORT(CopyImpl);
HWY_EXPORT(FillImpl);
HWY_EXPORT(ScaleShiftImpl);
HWY_EXPORT(CopyRowsImpl);
HWY_EXPORT(SumRowsImpl);
HWY_EXPORT(AddToImpl);
HWY_EXPORT(MultiplyImpl);

void Copy(const float* src, float* dst, int64_t n) { HWY_DYNAMIC_DISPATCH(CopyImpl)(src, dst, n); }

void CopyRows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows,
              int64_t n) {
  HWY_DYNAMIC_DISPATCH(CopyRowsImpl)(src, src_stride, dst, dst_stride, rows, n);
}

void Fill(float value, float* dst, int64_t n) { HWY_DYNAMIC_DISPATCH(FillImpl)(value, dst, n); }

void ScaleShift(const float* x, float scale, float shift, float* y, int64_t n) {
  HWY_DYNAMIC_DISPATCH(ScaleShiftImpl)(x, scale, shift, y, n);
}

void SumRows(const float* x, int64_t rows, int64_t stride, int64_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(SumRowsImpl)(x, rows, stride, n, out);
}

void AddTo(const float* src, int64_t n, float* dst) {
  HWY_DYNAMIC_DISPATCH(AddToImpl)(src, n, dst);
}

void Multiply(const float* a, const float* b, int64_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(MultiplyImpl)(a, b, n, out);
}

}  // namespace simd
}  // namespace tessera
#endif  // HWY_ONCE
