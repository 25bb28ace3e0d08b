#include "datasets/resize.h"

#include <vector>

#include "gtest/gtest.h"

namespace tessera::datasets {
namespace {

TEST(ResizeBilinear, IdentityConstantAndKnownValues) {
  const std::vector<float> img = {0, 1, 2, 3};  // 2x2
  std::vector<float> same(4);
  ResizeBilinear(img.data(), 1, 1, 2, 2, same.data(), 2, 2);
  EXPECT_EQ(same, img);
  // 2x2 -> 4x4 with align_corners=False (values from torch.nn.functional.interpolate).
  std::vector<float> up(16);
  ResizeBilinear(img.data(), 1, 1, 2, 2, up.data(), 4, 4);
  const std::vector<float> expected = {0,    0.25f, 0.75f, 1,    0.5f, 0.75f, 1.25f, 1.5f,
                                       1.5f, 1.75f, 2.25f, 2.5f, 2,    2.25f, 2.75f, 3};
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(up[i], expected[i], 1e-6) << i;
  std::vector<float> flat(28 * 28, 0.5f), big(67 * 67);
  ResizeBilinear(flat.data(), 1, 1, 28, 28, big.data(), 67, 67);
  for (float v : big) ASSERT_NEAR(v, 0.5f, 1e-6);
}

}  // namespace
}  // namespace tessera::datasets
