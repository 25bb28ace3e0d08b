#include "tools/image/png.h"

#include "gtest/gtest.h"

namespace tessera {
namespace {

TEST(Png, WritesAndReadsBackGreyAndRgb) {
  for (int channels : {1, 3}) {
    Image image(5, 3, channels);
    for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>(i * 7);
    const std::string path = ::testing::TempDir() + "/t" + std::to_string(channels) + ".png";
    ASSERT_TRUE(WritePng(path, image).ok());
    Image back;
    ASSERT_TRUE(ReadPng(path, &back).ok());
    EXPECT_EQ(back.width, 5);
    EXPECT_EQ(back.height, 3);
    EXPECT_EQ(back.channels, channels);
    EXPECT_EQ(back.pixels, image.pixels);
  }
}

TEST(Png, RejectsInconsistentImagesAndBadPaths) {
  Image bad(4, 4, 2);
  EXPECT_FALSE(WritePng(::testing::TempDir() + "/bad.png", bad).ok());
  EXPECT_FALSE(WritePng("/nonexistent/dir/x.png", Image(2, 2, 1)).ok());
  Image out;
  EXPECT_FALSE(ReadPng("/nonexistent.png", &out).ok());
}

}  // namespace
}  // namespace tessera
