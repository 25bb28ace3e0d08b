#include "datasets/augment.h"

#include <algorithm>
#include <vector>

namespace tessera::datasets {
namespace {

// splitmix64: a counter-based generator, so each image's shift is a pure
// function of (seed, index) and independent of any library's distributions.
uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

void RandomShift(float* images, int64_t count, int64_t channels, int64_t height, int64_t width,
                 int max_shift, uint64_t seed) {
  RandomCropAndFlip(images, count, channels, height, width, max_shift, /*flip=*/false, seed);
}

void RandomCropAndFlip(float* images, int64_t count, int64_t channels, int64_t height,
                       int64_t width, int max_shift, bool flip, uint64_t seed) {
  max_shift = std::max(0, max_shift);
  if (max_shift == 0 && !flip) return;
  const int64_t span = 2 * max_shift + 1;
  std::vector<float> plane(height * width);
  for (int64_t i = 0; i < count; ++i) {
    const uint64_t r = SplitMix64(seed ^ SplitMix64(static_cast<uint64_t>(i)));
    const int64_t dy = static_cast<int64_t>(r % span) - max_shift;
    const int64_t dx = static_cast<int64_t>((r / span) % span) - max_shift;
    // The top bit is independent of the low ones the shift uses.
    const bool mirror = flip && (r >> 63) != 0;
    if (dy == 0 && dx == 0 && !mirror) continue;
    for (int64_t c = 0; c < channels; ++c) {
      float* p = images + (i * channels + c) * height * width;
      std::fill(plane.begin(), plane.end(), 0.0f);
      for (int64_t y = std::max<int64_t>(0, dy); y < std::min(height, height + dy); ++y) {
        for (int64_t x = std::max<int64_t>(0, dx); x < std::min(width, width + dx); ++x) {
          const int64_t to = mirror ? width - 1 - x : x;
          plane[y * width + to] = p[(y - dy) * width + (x - dx)];
        }
      }
      std::copy(plane.begin(), plane.end(), p);
    }
  }
}

}  // namespace tessera::datasets
