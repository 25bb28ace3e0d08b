#include "ops/dropout/dropout_mask.h"

#include <cmath>

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/dropout/dropout_mask.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace dropout {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#if HWY_TARGET != HWY_SCALAR
// a * c mod 2^64 per lane. AVX-512 multiplies 64-bit lanes natively; other
// targets build the low 64 bits from three 32x32->64 products.
template <class D64>
HWY_INLINE hn::Vec<D64> MulConst(D64 d64, hn::Vec<D64> a, uint64_t c) {
#if HWY_TARGET <= HWY_AVX3
  return hn::Mul(a, hn::Set(d64, c));
#else
  const hn::Repartition<uint32_t, D64> d32;
  const auto c_lo = hn::BitCast(d32, hn::Set(d64, c & 0xFFFFFFFFull));
  const auto c_hi = hn::BitCast(d32, hn::Set(d64, c >> 32));
  const auto lo_lo = hn::MulEven(hn::BitCast(d32, a), c_lo);
  const auto hi_lo = hn::MulEven(hn::BitCast(d32, hn::ShiftRight<32>(a)), c_lo);
  const auto lo_hi = hn::MulEven(hn::BitCast(d32, a), c_hi);
  return hn::Add(lo_lo, hn::ShiftLeft<32>(hn::Add(hi_lo, lo_hi)));
#endif
}

// SplitMix64's output for counter states `state` (seed + (i + 1) * golden).
template <class D64>
HWY_INLINE hn::Vec<D64> Mix(D64 d64, hn::Vec<D64> z) {
  z = MulConst(d64, hn::Xor(z, hn::ShiftRight<30>(z)), 0xBF58476D1CE4E5B9ull);
  z = MulConst(d64, hn::Xor(z, hn::ShiftRight<27>(z)), 0x94D049BB133111EBull);
  return hn::Xor(z, hn::ShiftRight<31>(z));
}
#endif  // HWY_TARGET != HWY_SCALAR

void ForwardRangeImpl(uint64_t seed, int64_t begin, int64_t end, uint32_t threshold, float scale,
                      const float* x, float* mask, float* y) {
  int64_t i = begin;
#if HWY_TARGET != HWY_SCALAR
  constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ull;
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di;
  const hn::Repartition<uint64_t, decltype(df)> d64;
  const hn::Repartition<uint32_t, decltype(df)> d32;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const int64_t half = static_cast<int64_t>(hn::Lanes(d64));
  if (i + lanes <= end) {
    // Counter states of elements i .. i + lanes - 1, split in two halves of
    // 64-bit lanes; each step adds lanes * golden (mod 2^64, as the scalar).
    HWY_ALIGN uint64_t first[HWY_MAX_BYTES / sizeof(uint64_t)];
    for (int64_t l = 0; l < half; ++l)
      first[l] = seed + (static_cast<uint64_t>(i + l) + 1) * kGolden;
    auto state_lo = hn::Load(d64, first);
    auto state_hi = hn::Add(state_lo, hn::Set(d64, static_cast<uint64_t>(half) * kGolden));
    const auto step = hn::Set(d64, static_cast<uint64_t>(lanes) * kGolden);
    // kept: draw > threshold - 1 (signed: draws and threshold are < 2^25).
    const auto bound = hn::Set(di, static_cast<int32_t>(threshold) - 1);
    const auto keep_value = hn::Set(df, scale);
    for (; i + lanes <= end; i += lanes) {
      const auto draw_lo = hn::ShiftRight<40>(Mix(d64, state_lo));
      const auto draw_hi = hn::ShiftRight<40>(Mix(d64, state_hi));
      // The low 32 bits of each 64-bit draw, in element order.
      const auto draws = hn::BitCast(
          di, hn::ConcatEven(d32, hn::BitCast(d32, draw_hi), hn::BitCast(d32, draw_lo)));
      const auto m = hn::IfThenElseZero(hn::RebindMask(df, hn::Gt(draws, bound)), keep_value);
      hn::StoreU(m, df, mask + (i - begin));
      hn::StoreU(hn::Mul(hn::LoadU(df, x + (i - begin)), m), df, y + (i - begin));
      state_lo = hn::Add(state_lo, step);
      state_hi = hn::Add(state_hi, step);
    }
  }
#endif
  for (; i < end; ++i) {
    const bool keep = (SplitMix64(seed, static_cast<uint64_t>(i)) >> 40) >= threshold;
    mask[i - begin] = keep ? scale : 0.0f;
    y[i - begin] = x[i - begin] * mask[i - begin];
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace dropout
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace dropout {

HWY_EXPORT(ForwardRangeImpl);

uint32_t KeepThreshold(float rate) {
  // (draw * 2^-24 >= rate) == (draw >= rate * 2^-24): scaling by a power of
  // two is exact, and a draw is an integer.
  return static_cast<uint32_t>(std::ceil(static_cast<double>(rate) * 16777216.0));
}

void ForwardRange(uint64_t seed, int64_t begin, int64_t end, uint32_t threshold, float scale,
                  const float* x, float* mask, float* y) {
  HWY_DYNAMIC_DISPATCH(ForwardRangeImpl)(seed, begin, end, threshold, scale, x, mask, y);
}

}  // namespace dropout
}  // namespace tessera
#endif  // HWY_ONCE
