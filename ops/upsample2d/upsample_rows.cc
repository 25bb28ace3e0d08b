#include "ops/upsample2d/upsample_rows.h"

#include <algorithm>

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/upsample2d/upsample_rows.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// After foreach_target.h: compiled once per target.
#include "hwy/highway.h"
#include "ops/common/elementwise_cpu-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace upsample {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using tessera::HWY_NAMESPACE::LoadPart;
using tessera::HWY_NAMESPACE::StorePart;

void ReplicateRowImpl(const float* x, int64_t w, int64_t sw, float* y) {
  const int64_t ow = w * sw;
  int64_t j = 0;
#if HWY_TARGET != HWY_SCALAR
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  if (sw <= lanes && lanes % sw == 0) {
    // Output vector k repeats source floats [k * lanes / sw, (k + 1) * lanes / sw).
    HWY_ALIGN int32_t pattern[HWY_MAX_BYTES / sizeof(float)];
    for (int64_t l = 0; l < lanes; ++l) pattern[l] = static_cast<int32_t>(l / sw);
    const auto indices = hn::SetTableIndices(d, pattern);
    for (; j < ow; j += lanes) {
      const int64_t src = j / sw;
      const auto v = LoadPart(d, x, src, std::min(lanes, w - src));
      StorePart(d, hn::TableLookupLanes(v, indices), y, j, std::min(lanes, ow - j));
    }
    return;
  }
#endif
  for (; j < ow; ++j) y[j] = x[j / sw];
}

void SumRunsImpl(const float* row, int64_t ow, int64_t sw, float* dx) {
  const int64_t w = ow / sw;
  int64_t c = 0;
#if HWY_TARGET != HWY_SCALAR
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  if (sw == 2) {  // even + odd lanes of two vectors
    for (; c + lanes <= w; c += lanes) {
      const auto lo = hn::LoadU(d, row + 2 * c), hi = hn::LoadU(d, row + 2 * c + lanes);
      hn::StoreU(hn::Add(hn::ConcatEven(d, hi, lo), hn::ConcatOdd(d, hi, lo)), d, dx + c);
    }
  }
#endif
  for (; c < w; ++c) {
    float sum = row[c * sw];
    for (int64_t b = 1; b < sw; ++b) sum += row[c * sw + b];
    dx[c] = sum;
  }
}

void GatherLerpImpl(const float* x, const int32_t* i0, const int32_t* i1, const float* w0,
                    const float* w1, int64_t n, float* out) {
  int64_t j = 0;
#if HWY_TARGET != HWY_SCALAR
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  for (; j + lanes <= n; j += lanes) {
    const auto a = hn::GatherIndex(d, x, hn::LoadU(di, i0 + j));
    const auto b = hn::GatherIndex(d, x, hn::LoadU(di, i1 + j));
    hn::StoreU(hn::Add(hn::Mul(hn::LoadU(d, w0 + j), a), hn::Mul(hn::LoadU(d, w1 + j), b)), d,
               out + j);
  }
#endif
  for (; j < n; ++j) out[j] = w0[j] * x[i0[j]] + w1[j] * x[i1[j]];
}

void BlendImpl(const float* a, float wa, const float* b, float wb, int64_t n, float* out) {
  const hn::ScalableTag<float> d;
  const auto wav = hn::Set(d, wa), wbv = hn::Set(d, wb);
  tessera::HWY_NAMESPACE::ForEachVector(d, n, [&](int64_t j, int64_t count) {
    StorePart(
        d, hn::Add(hn::Mul(wav, LoadPart(d, a, j, count)), hn::Mul(wbv, LoadPart(d, b, j, count))),
        out, j, count);
  });
}

void AddScaledImpl(float alpha, const float* x, int64_t n, float* y) {
  const hn::ScalableTag<float> d;
  const auto av = hn::Set(d, alpha);
  tessera::HWY_NAMESPACE::ForEachVector(d, n, [&](int64_t j, int64_t count) {
    StorePart(d, hn::Add(LoadPart(d, y, j, count), hn::Mul(av, LoadPart(d, x, j, count))), y, j,
              count);
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace upsample
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace upsample {

HWY_EXPORT(ReplicateRowImpl);
HWY_EXPORT(SumRunsImpl);
HWY_EXPORT(GatherLerpImpl);
HWY_EXPORT(BlendImpl);
HWY_EXPORT(AddScaledImpl);

void ReplicateRow(const float* x, int64_t w, int64_t sw, float* y) {
  HWY_DYNAMIC_DISPATCH(ReplicateRowImpl)(x, w, sw, y);
}

void SumRuns(const float* row, int64_t ow, int64_t sw, float* dx) {
  HWY_DYNAMIC_DISPATCH(SumRunsImpl)(row, ow, sw, dx);
}

void GatherLerp(const float* x, const int32_t* i0, const int32_t* i1, const float* w0,
                const float* w1, int64_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(GatherLerpImpl)(x, i0, i1, w0, w1, n, out);
}

void Blend(const float* a, float wa, const float* b, float wb, int64_t n, float* out) {
  HWY_DYNAMIC_DISPATCH(BlendImpl)(a, wa, b, wb, n, out);
}

void AddScaled(float alpha, const float* x, int64_t n, float* y) {
  HWY_DYNAMIC_DISPATCH(AddScaledImpl)(alpha, x, n, y);
}

}  // namespace upsample
}  // namespace tessera
#endif  // HWY_ONCE
