#include "datasets/masking.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tessera::datasets {
namespace {

// splitmix64 (the same function as augment.cc's, which keeps its copy
// private): each output is a pure function of its input.
uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, n) for n >= 1. Plain modulo: for n <= 28 and 64-bit words
// the bias is below 2^-59, far below anything measurable.
int UniformBelow(uint64_t r, int64_t n) { return static_cast<int>(r % static_cast<uint64_t>(n)); }

}  // namespace

absl::Status ValidateMaskSpec(const MaskSpec& spec, int64_t height, int64_t width) {
  const int64_t side = std::min(height, width);
  if (spec.min_size < 1 || spec.min_size > spec.max_size || spec.max_size > side) {
    return absl::InvalidArgumentError(
        absl::StrCat("hole size range [", spec.min_size, ", ", spec.max_size,
                     "] must satisfy 1 <= min <= max <= ", side, " (the ", height, "x", width,
                     " image's shorter side)"));
  }
  return absl::OkStatus();
}

uint64_t TrainMaskSeed(uint64_t seed, int64_t step) {
  // Salted so that the mask stream differs from the shuffling and the
  // augmentation streams derived from the same run seed.
  return SplitMix64(SplitMix64(seed ^ 0x4D41534B'5452414Eull) + static_cast<uint64_t>(step));
}

HoleRect DrawHole(const MaskSpec& spec, int64_t height, int64_t width, uint64_t seed,
                  int64_t index) {
  const uint64_t base = SplitMix64(seed ^ SplitMix64(static_cast<uint64_t>(index)));
  const int64_t sizes = spec.max_size - spec.min_size + 1;
  HoleRect r;
  r.height = spec.min_size + UniformBelow(SplitMix64(base + 1), sizes);
  r.width = spec.min_size + UniformBelow(SplitMix64(base + 2), sizes);
  r.top = UniformBelow(SplitMix64(base + 3), height - r.height + 1);
  r.left = UniformBelow(SplitMix64(base + 4), width - r.width + 1);
  return r;
}

void MaskImages(const float* images, int64_t count, int64_t channels, int64_t height, int64_t width,
                const MaskSpec& spec, uint64_t seed, int64_t first_index, float* masked,
                float* mask, HoleRect* holes) {
  const int64_t plane = height * width;
  for (int64_t i = 0; i < count; ++i) {
    const HoleRect r = DrawHole(spec, height, width, seed, first_index + i);
    if (holes != nullptr) holes[i] = r;
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t offset = (i * channels + c) * plane;
      if (masked != images) std::memmove(masked + offset, images + offset, plane * sizeof(float));
      if (mask != nullptr) std::fill(mask + offset, mask + offset + plane, 0.0f);
      for (int64_t y = r.top; y < r.top + r.height; ++y) {
        float* m = masked + offset + y * width + r.left;
        std::fill(m, m + r.width, 0.0f);
        if (mask != nullptr) {
          float* k = mask + offset + y * width + r.left;
          std::fill(k, k + r.width, 1.0f);
        }
      }
    }
  }
}

}  // namespace tessera::datasets
