#include "datasets/transforms.h"

#include <cmath>
#include <set>

#include "datasets/image_test_util.h"
#include "datasets/resize.h"
#include "gtest/gtest.h"

namespace tessera::datasets {
namespace {

using testing_util::FreshDir;
using testing_util::MakePicture;

TransformConfig Config(int channels, int size) {
  TransformConfig config;
  config.channels = channels;
  config.height = config.width = size;
  return config;
}

TEST(TransformsTest, ValidateNamesTheProblem) {
  TransformConfig config = Config(3, 224);
  EXPECT_TRUE(config.Validate().ok());
  config.mean = {0.5f, 0.5f};
  EXPECT_FALSE(config.Validate().ok());
  config = Config(3, 224);
  config.std = {0.f};
  EXPECT_FALSE(config.Validate().ok());
  EXPECT_FALSE(Config(2, 224).Validate().ok());
  EXPECT_FALSE(Config(3, 0).Validate().ok());
  EXPECT_EQ(*ParseFloatList("0.5,0.25"), (std::vector<float>{0.5f, 0.25f}));
  EXPECT_FALSE(ParseFloatList("0.5,x").ok());
}

TEST(TransformsTest, EvalBoxIsResizeThenCenterCrop) {
  // 500x375: the shorter side becomes 256, the longer int(500 * 256 / 375)
  // = 341; the crop starts at round(117 / 2) = 58 (half to even), 16.
  const CropBox box = EvalCropBox(Config(3, 224), 500, 375);
  const double scale_x = 341.0 / 500, scale_y = 256.0 / 375;
  EXPECT_NEAR(box.x, 58 / scale_x, 1e-9);
  EXPECT_NEAR(box.y, 16 / scale_y, 1e-9);
  EXPECT_NEAR(box.width, 224 / scale_x, 1e-9);
  EXPECT_NEAR(box.height, 224 / scale_y, 1e-9);
  EXPECT_FALSE(box.flip);
}

TEST(TransformsTest, TrainBoxesDependOnlyOnTheSeed) {
  for (TrainCrop crop : {TrainCrop::kResizeRandomCrop, TrainCrop::kRandomResizedCrop}) {
    TransformConfig config = Config(3, 224);
    config.train_crop = crop;
    std::set<std::pair<double, double>> origins;
    int flips = 0;
    for (int64_t index = 0; index < 400; ++index) {
      const uint64_t seed = SampleSeed(7, 2, index);
      const CropBox box = TrainCropBox(config, 500, 375, seed);
      const CropBox again = TrainCropBox(config, 500, 375, seed);
      ASSERT_EQ(box.x, again.x);
      ASSERT_EQ(box.width, again.width);
      ASSERT_EQ(box.flip, again.flip);
      ASSERT_GE(box.x, 0);
      ASSERT_GE(box.y, 0);
      ASSERT_LE(box.x + box.width, 500 + 1e-9);
      ASSERT_LE(box.y + box.height, 375 + 1e-9);
      if (crop == TrainCrop::kRandomResizedCrop) {
        const double area = box.width * box.height / (500.0 * 375);
        EXPECT_GE(area, 0.07);
        EXPECT_LE(area, 1.0);
        EXPECT_GE(box.width / box.height, 0.74);
        EXPECT_LE(box.width / box.height, 1.35);
      }
      origins.insert({box.x, box.y});
      flips += box.flip;
    }
    EXPECT_GT(origins.size(), 100u);
    EXPECT_GT(flips, 150);
    EXPECT_LT(flips, 250);
  }
  EXPECT_NE(SampleSeed(1, 0, 5), SampleSeed(1, 1, 5));
  EXPECT_NE(SampleSeed(1, 0, 5), SampleSeed(2, 0, 5));
  EXPECT_NE(SampleSeed(1, 0, 5), SampleSeed(1, 0, 6));
}

TEST(TransformsTest, IdentityBoxOnlyNormalizes) {
  const DecodedImage image = MakePicture(12, 9, 3, 1);
  TransformConfig config = Config(3, 0);
  config.width = 12;
  config.height = 9;
  std::vector<float> out(config.output_size());
  ResampleNormalize(image, {0, 0, 12, 9, false}, config, out.data());
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 12 * 9; ++i) {
      const float expected = (image.pixels[i * 3 + c] / 255.f - config.mean[c]) / config.std[c];
      ASSERT_NEAR(out[c * 12 * 9 + i], expected, 1e-5);
    }
  }
  // Flipped: column x comes from column 11 - x.
  ResampleNormalize(image, {0, 0, 12, 9, true}, config, out.data());
  const float expected =
      (image.pixels[(3 * 12 + 11) * 3 + 1] / 255.f - config.mean[1]) / config.std[1];
  EXPECT_NEAR(out[12 * 9 + 3 * 12 + 0], expected, 1e-5);
}

// Enlarging 28x28 digits to 67x67 gives what the IDX path's bilinear resize
// gives, so a folder of digit PNGs and the IDX files feed a network alike.
TEST(TransformsTest, UpscalingMatchesResizeBilinear) {
  const DecodedImage digit = MakePicture(28, 28, 1, 3);
  TransformConfig config = Config(1, 67);
  config.resize_ratio = 1;
  config.mean = {0};
  config.std = {1};
  std::vector<float> ours(config.output_size());
  ResampleNormalize(digit, EvalCropBox(config, 28, 28), config, ours.data());
  std::vector<float> scaled(28 * 28), reference(67 * 67);
  for (int i = 0; i < 28 * 28; ++i) scaled[i] = digit.pixels[i] / 255.f;
  ResizeBilinear(scaled.data(), 1, 1, 28, 28, reference.data(), 67, 67);
  for (size_t i = 0; i < ours.size(); ++i) ASSERT_NEAR(ours[i], reference[i], 1e-5) << i;
}

// The same photograph through torchvision (Debian's python3-torchvision, on
// PIL) and through ours: eval, a given resized crop, and a flip.
TEST(TransformsTest, MatchesTorchvisionOnAPhotograph) {
  const std::string dir = FreshDir("torchvision");
  const std::string photo = testing_util::SklearnPhoto("flower.jpg");
  absl::StatusOr<DecodedImage> image = ReadImageFile(photo, 3);
  ASSERT_TRUE(image.ok()) << image.status();
  TransformConfig config = Config(3, 224);
  config.train_crop = TrainCrop::kRandomResizedCrop;
  const CropBox crop = TrainCropBox(config, image->width, image->height, SampleSeed(3, 0, 0));
  const std::string script =
      absl::StrCat(R"(
import sys
import torch
from PIL import Image
from torchvision import transforms as T
from torchvision.transforms import functional as F
out = sys.argv[1]
image = Image.open(')",
                   photo, R"(').convert('RGB')
norm = T.Compose([T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
evaluated = norm(T.CenterCrop(224)(T.Resize(256)(image)))
cropped = norm(F.hflip(F.resized_crop(image, )",
                   crop.y, ", ", crop.x, ", ", crop.height, ", ", crop.width, R"(, [224, 224])))
open(out + '/eval.f32', 'wb').write(evaluated.numpy().tobytes())
open(out + '/crop.f32', 'wb').write(cropped.numpy().tobytes())
)");
  testing_util::WriteBytes(dir + "/tv.py", script);
  int exit_code = 0;
  const std::string log = testing_util::RunCommand(
      absl::StrCat("/usr/bin/python3 ", dir, "/tv.py ", dir, " 2>&1"), &exit_code);
  ASSERT_EQ(exit_code, 0) << log;
  for (const char* name : {"eval", "crop"}) {
    SCOPED_TRACE(name);
    const bool eval = std::string(name) == "eval";
    CropBox box = eval ? EvalCropBox(config, image->width, image->height) : crop;
    box.flip = !eval;
    std::vector<float> ours(config.output_size());
    ResampleNormalize(*image, box, config, ours.data());
    absl::StatusOr<std::string> theirs = ReadWholeFile(absl::StrCat(dir, "/", name, ".f32"));
    ASSERT_TRUE(theirs.ok());
    ASSERT_EQ(theirs->size(), ours.size() * sizeof(float));
    const float* reference = reinterpret_cast<const float*>(theirs->data());
    double max_diff = 0, sum_diff = 0;
    for (size_t i = 0; i < ours.size(); ++i) {
      const double diff = std::abs(ours[i] - reference[i]);
      max_diff = std::max(max_diff, diff);
      sum_diff += diff;
    }
    // PIL rounds to 8 bits between its two passes and at the end: a level
    // or two of 255, divided by std ~0.225.
    EXPECT_LT(max_diff, 0.05);
    EXPECT_LT(sum_diff / ours.size(), 0.01);
  }
}

}  // namespace
}  // namespace tessera::datasets
