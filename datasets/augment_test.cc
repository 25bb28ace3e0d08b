#include "datasets/augment.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "gtest/gtest.h"

namespace tessera::datasets {
namespace {

TEST(RandomShift, MovesPixelsByAtMostMaxShiftAndIsDeterministic) {
  const int64_t n = 50, h = 7, w = 9;
  std::vector<float> base(n * h * w, 0.0f);
  for (int64_t i = 0; i < n; ++i) base[i * h * w + 3 * w + 4] = 1.0f;  // one lit pixel, centre
  std::vector<float> a = base, b = base;
  RandomShift(a.data(), n, 1, h, w, 2, 99);
  RandomShift(b.data(), n, 1, h, w, 2, 99);
  EXPECT_EQ(a, b);
  int moved = 0;
  for (int64_t i = 0; i < n; ++i) {
    const float* img = a.data() + i * h * w;
    ASSERT_FLOAT_EQ(std::accumulate(img, img + h * w, 0.0f), 1.0f) << "pixel lost in image " << i;
    const int64_t at = std::find(img, img + h * w, 1.0f) - img;
    const int64_t y = at / w, x = at % w;
    EXPECT_LE(std::abs(y - 3), 2);
    EXPECT_LE(std::abs(x - 4), 2);
    moved += (y != 3 || x != 4);
  }
  EXPECT_GT(moved, n / 2) << "most of 25 possible shifts move the pixel";
  std::vector<float> none = base;
  RandomShift(none.data(), n, 1, h, w, 0, 99);
  EXPECT_EQ(none, base);
}

TEST(RandomShift, FillsUncoveredBorderWithZero) {
  std::vector<float> img(4 * 4, 1.0f);
  // Search a seed whose shift is non-zero, then check zero fill on that side.
  for (uint64_t seed = 0; seed < 100; ++seed) {
    std::vector<float> t = img;
    RandomShift(t.data(), 1, 1, 4, 4, 1, seed);
    const float sum = std::accumulate(t.begin(), t.end(), 0.0f);
    if (sum < 16) {
      EXPECT_TRUE(sum == 12 || sum == 9) << sum;  // one row/column or both cleared
      return;
    }
  }
  FAIL() << "no seed produced a shift";
}

TEST(RandomCropAndFlip, WithoutFlipShiftsExactlyLikeRandomShift) {
  const int64_t n = 20, h = 6, w = 5;
  std::vector<float> a(n * 2 * h * w);
  std::iota(a.begin(), a.end(), 1.0f);
  std::vector<float> b = a;
  RandomShift(a.data(), n, 2, h, w, 2, 7);
  RandomCropAndFlip(b.data(), n, 2, h, w, 2, /*flip=*/false, 7);
  EXPECT_EQ(a, b);
}

TEST(RandomCropAndFlip, MirrorsAboutHalfTheImagesAndEveryChannelAlike) {
  const int64_t n = 200, c = 2, h = 3, w = 4;
  std::vector<float> base(n * c * h * w);
  std::iota(base.begin(), base.end(), 0.0f);
  std::vector<float> t = base;
  RandomCropAndFlip(t.data(), n, c, h, w, /*max_shift=*/0, /*flip=*/true, 5);
  int mirrored = 0;
  for (int64_t i = 0; i < n; ++i) {
    bool same = true, mirror = true;
    for (int64_t k = 0; k < c * h; ++k) {  // rows of every channel
      for (int64_t x = 0; x < w; ++x) {
        const float got = t[(i * c * h + k) * w + x];
        same &= got == base[(i * c * h + k) * w + x];
        mirror &= got == base[(i * c * h + k) * w + (w - 1 - x)];
      }
    }
    ASSERT_TRUE(same || mirror) << "image " << i << " is neither itself nor its mirror";
    mirrored += mirror;
  }
  EXPECT_GT(mirrored, n / 2 - 30);
  EXPECT_LT(mirrored, n / 2 + 30);
}

TEST(RandomCropAndFlip, ShiftedAndFlippedPixelStaysInRangeAndIsDeterministic) {
  const int64_t n = 100, h = 9, w = 9;
  std::vector<float> base(n * h * w, 0.0f);
  for (int64_t i = 0; i < n; ++i) base[i * h * w + 4 * w + 2] = 1.0f;  // row 4, column 2
  std::vector<float> a = base, b = base;
  RandomCropAndFlip(a.data(), n, 1, h, w, 1, true, 3);
  RandomCropAndFlip(b.data(), n, 1, h, w, 1, true, 3);
  EXPECT_EQ(a, b);
  for (int64_t i = 0; i < n; ++i) {
    const float* img = a.data() + i * h * w;
    ASSERT_FLOAT_EQ(std::accumulate(img, img + h * w, 0.0f), 1.0f) << "image " << i;
    const int64_t at = std::find(img, img + h * w, 1.0f) - img;
    const int64_t y = at / w, x = at % w;
    EXPECT_LE(std::abs(y - 4), 1);
    // Column 2 moves to 1..3, or mirrored to 5..7.
    EXPECT_TRUE(std::abs(x - 2) <= 1 || std::abs(x - 6) <= 1) << "column " << x;
  }
}

}  // namespace
}  // namespace tessera::datasets
