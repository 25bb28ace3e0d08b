#include "ops/common/sum.h"

#include <cstring>

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/common/sum.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace simd {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

float CopyAndSumImpl(const float* src, float* dst, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  // Four independent accumulators hide the latency of the adds.
  auto s0 = hn::Zero(d), s1 = hn::Zero(d), s2 = hn::Zero(d), s3 = hn::Zero(d);
  int64_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    const auto v0 = hn::LoadU(d, src + i);
    const auto v1 = hn::LoadU(d, src + i + lanes);
    const auto v2 = hn::LoadU(d, src + i + 2 * lanes);
    const auto v3 = hn::LoadU(d, src + i + 3 * lanes);
    if (dst != nullptr) {
      hn::StoreU(v0, d, dst + i);
      hn::StoreU(v1, d, dst + i + lanes);
      hn::StoreU(v2, d, dst + i + 2 * lanes);
      hn::StoreU(v3, d, dst + i + 3 * lanes);
    }
    s0 = hn::Add(s0, v0);
    s1 = hn::Add(s1, v1);
    s2 = hn::Add(s2, v2);
    s3 = hn::Add(s3, v3);
  }
  for (; i + lanes <= n; i += lanes) {
    const auto v = hn::LoadU(d, src + i);
    if (dst != nullptr) hn::StoreU(v, d, dst + i);
    s0 = hn::Add(s0, v);
  }
  float sum = hn::GetLane(hn::SumOfLanes(d, hn::Add(hn::Add(s0, s1), hn::Add(s2, s3))));
  for (; i < n; ++i) {
    if (dst != nullptr) dst[i] = src[i];
    sum += src[i];
  }
  return sum;
}

void SumEachImpl(const float* src, int64_t count, int64_t n, float* sums) {
  for (int64_t k = 0; k < count; ++k) sums[k] = CopyAndSumImpl(src + k * n, nullptr, n);
}

}  // namespace HWY_NAMESPACE
}  // namespace simd
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace simd {

HWY_EXPORT(CopyAndSumImpl);
HWY_EXPORT(SumEachImpl);

float CopyAndSum(const float* src, float* dst, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(CopyAndSumImpl)(src, dst, n);
}

void SumEach(const float* src, int64_t count, int64_t n, float* sums) {
  HWY_DYNAMIC_DISPATCH(SumEachImpl)(src, count, n, sums);
}

}  // namespace simd
}  // namespace tessera
#endif  // HWY_ONCE
