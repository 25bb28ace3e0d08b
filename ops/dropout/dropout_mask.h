#ifndef TESSERA_OPS_DROPOUT_DROPOUT_MASK_H_
#define TESSERA_OPS_DROPOUT_DROPOUT_MASK_H_

#include <cstdint>

namespace tessera {
namespace dropout {

// Counter-based: the i-th output of the splitmix64 generator seeded by
// `seed`, computed directly (Steele, Lea & Flood 2014).
inline uint64_t SplitMix64(uint64_t seed, uint64_t i) {
  uint64_t z = seed + (i + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Element i is kept when its draw (SplitMix64(seed, i) >> 40) * 2^-24 is
// >= rate, i.e. when the 24-bit integer SplitMix64(seed, i) >> 40 is >= this.
uint32_t KeepThreshold(float rate);

// For i in [begin, end): mask[i] = scale if element i is kept, else 0, and
// y[i] = x[i] * mask[i] (arrays indexed from begin). Highway SIMD; the same
// bits as the scalar definition above for any split of the range.
void ForwardRange(uint64_t seed, int64_t begin, int64_t end, uint32_t threshold, float scale,
                  const float* x, float* mask, float* y);

}  // namespace dropout
}  // namespace tessera

#endif  // TESSERA_OPS_DROPOUT_DROPOUT_MASK_H_
