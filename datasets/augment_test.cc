#include "datasets/augment.h"

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

}  // namespace
}  // namespace tessera::datasets
