#include "ops/adaptive_avgpool2d/adaptive_rows.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/adaptive_avgpool2d/adaptive_rows.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// After foreach_target.h: compiled once per target.
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace adaptive {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void AddToImpl(const float* src, int64_t n, float* dst) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  int64_t j = 0;
  for (; j + lanes <= n; j += lanes) {
    hn::StoreU(hn::Add(hn::LoadU(d, dst + j), hn::LoadU(d, src + j)), d, dst + j);
  }
  for (; j < n; ++j) dst[j] += src[j];
}

}  // namespace HWY_NAMESPACE
}  // namespace adaptive
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace adaptive {

HWY_EXPORT(AddToImpl);

void AddTo(const float* src, int64_t n, float* dst) {
  HWY_DYNAMIC_DISPATCH(AddToImpl)(src, n, dst);
}

}  // namespace adaptive
}  // namespace tessera
#endif  // HWY_ONCE
