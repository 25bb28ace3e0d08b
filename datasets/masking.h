#ifndef TESSERA_DATASETS_MASKING_H_
#define TESSERA_DATASETS_MASKING_H_

// Rectangular holes for inpainting: each image of a batch gets one
// axis-aligned rectangle, of random height and width in [min_size, max_size],
// placed uniformly at random fully inside the image. Inside the hole the
// masked input is 0 (every channel) and the mask is 1; elsewhere the masked
// input is the image and the mask is 0.
//
// The rectangles are a pure function of (seed, index in the batch), drawn
// with splitmix64 (a counter-based generator, as in augment.cc), so they do
// not depend on any library's distributions, the platform or the thread
// count:
//  - training: seed = TrainMaskSeed(run seed, optimizer step), so a resumed
//    run redraws exactly the masks the interrupted run would have;
//  - test: seed = kTestMaskSeed and index = the image's index in the test
//    set, so every run (whatever its --seed) scores the same test masks.

#include <cstdint>

#include "absl/status/status.h"

namespace tessera::datasets {

struct MaskSpec {
  int min_size = 12;  // smallest hole side, in pixels
  int max_size = 12;  // largest hole side; == min_size for a fixed size
};

// A hole: rows [top, top + height), columns [left, left + width).
struct HoleRect {
  int top = 0, left = 0, height = 0, width = 0;
  bool operator==(const HoleRect& o) const {
    return top == o.top && left == o.left && height == o.height && width == o.width;
  }
};

// The seed of every test-set mask (independent of the training seed).
inline constexpr uint64_t kTestMaskSeed = 0x7E57'4D41'534B'0001ull;

// InvalidArgument unless 1 <= min_size <= max_size <= min(height, width).
absl::Status ValidateMaskSpec(const MaskSpec& spec, int64_t height, int64_t width);

// The seed of the training masks of optimizer step `step` of a run seeded
// with `seed`.
uint64_t TrainMaskSeed(uint64_t seed, int64_t step);

// The hole of image `index` under `seed`. Height and width are each uniform
// in [min_size, max_size] (independently), top uniform in
// [0, height - hole height] and left likewise. `spec` must be valid.
HoleRect DrawHole(const MaskSpec& spec, int64_t height, int64_t width, uint64_t seed,
                  int64_t index);

// For image i of `count` images (NCHW): draws DrawHole(spec, H, W, seed,
// first_index + i), writes the image with the hole zeroed to `masked` and
// the 0/1 mask to `mask` (both count * channels * height * width floats;
// `mask` may be null), and the rectangle to holes[i] if `holes` is not null.
// `masked` may equal `images` (in place).
void MaskImages(const float* images, int64_t count, int64_t channels, int64_t height, int64_t width,
                const MaskSpec& spec, uint64_t seed, int64_t first_index, float* masked,
                float* mask, HoleRect* holes = nullptr);

}  // namespace tessera::datasets

#endif  // TESSERA_DATASETS_MASKING_H_
