#include "datasets/idx.h"

#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "datasets/test_data.h"
#include "datasets/test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace tessera::datasets {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::MakeIdx;
using testing_util::TempPath;
using testing_util::WriteFile;
using testing_util::WriteGzipFile;

TEST(ParseIdxTest, ParsesDimsAndData) {
  const std::string bytes = MakeIdx({2, 3}, {1, 2, 3, 4, 5, 255});
  absl::StatusOr<IdxArray> array = ParseIdx(bytes, "mem");
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(array->dims, ElementsAre(2, 3));
  EXPECT_THAT(array->data, ElementsAre(1, 2, 3, 4, 5, 255));
}

TEST(ParseIdxTest, ReadsLargeBigEndianDims) {
  std::vector<uint8_t> data(0x0102, 7);
  absl::StatusOr<IdxArray> array = ParseIdx(MakeIdx({0x0102}, data), "mem");
  ASSERT_TRUE(array.ok()) << array.status();
  EXPECT_THAT(array->dims, ElementsAre(0x0102));
}

TEST(ParseIdxTest, RejectsBadMagic) {
  std::string bytes = MakeIdx({2}, {1, 2});
  bytes[2] = 0x0D;  // float type, unsupported
  absl::Status status = ParseIdx(bytes, "floats.idx").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("floats.idx"));
  EXPECT_THAT(status.message(), HasSubstr("bad IDX magic 0x00000d01"));

  bytes = MakeIdx({2}, {1, 2});
  bytes[0] = 0x1f;
  EXPECT_THAT(ParseIdx(bytes, "x").status().message(), HasSubstr("bad IDX magic"));
  EXPECT_THAT(ParseIdx(MakeIdx({}, {}), "x").status().message(), HasSubstr("bad IDX magic"));
}

TEST(ParseIdxTest, RejectsTruncatedHeader) {
  EXPECT_THAT(ParseIdx(std::string("\0\0", 2), "short").status().message(),
              HasSubstr("short: truncated IDX header"));
  const std::string header = MakeIdx({10, 28, 28}, {});
  EXPECT_THAT(ParseIdx(header.substr(0, 10), "h").status().message(),
              HasSubstr("expected 16 bytes, got 10"));
}

TEST(ParseIdxTest, RejectsTruncatedAndOversizedData) {
  absl::Status status = ParseIdx(MakeIdx({2, 2}, {1, 2, 3}), "t.idx").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("t.idx: truncated IDX data: expected 4 bytes, got 3"));
  EXPECT_THAT(ParseIdx(MakeIdx({2}, {1, 2, 3}), "o").status().message(),
              HasSubstr("oversized IDX data: expected 2 bytes, got 3"));
}

TEST(ParseIdxTest, RejectsHugeDimsWithoutAllocating) {
  // (2^32-1)^3 overflows int64; (2^32-1)*(2^31-1) does not, but that many
  // bytes are not present, and the check must not try to allocate them.
  EXPECT_THAT(ParseIdx(MakeIdx({0xffffffff, 0xffffffff, 0xffffffff}, {}), "x").status().message(),
              HasSubstr("overflow"));
  EXPECT_THAT(ParseIdx(MakeIdx({0xffffffff, 0x7fffffff}, {}), "x").status().message(),
              HasSubstr("truncated IDX data"));
}

TEST(ReadIdxTest, ReadsPlainAndGzipFiles) {
  const std::string bytes = MakeIdx({3}, {4, 5, 6});
  const std::string plain = TempPath("plain.idx");
  const std::string gzipped = TempPath("gzipped.idx.gz");
  WriteFile(plain, bytes);
  WriteGzipFile(gzipped, bytes);
  for (const std::string& path : {plain, gzipped}) {
    absl::StatusOr<IdxArray> array = ReadIdx(path);
    ASSERT_TRUE(array.ok()) << array.status();
    EXPECT_THAT(array->data, ElementsAre(4, 5, 6)) << path;
  }
}

TEST(ReadIdxTest, MissingFileNamesFileAndInstallCommand) {
  const std::string path = TempPath("no-such-file-idx1-ubyte.gz");
  absl::Status status = ReadIdx(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(path));
  EXPECT_THAT(status.message(), HasSubstr("tools/setup.sh"));
  EXPECT_THAT(status.message(), HasSubstr("apt-get install dataset-fashion-mnist"));
}

TEST(ReadIdxTest, DirectoryIsAnError) {
  EXPECT_EQ(ReadIdx(::testing::TempDir()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ReadIdxTest, TruncatedGzipStreamIsDataLoss) {
  std::vector<uint8_t> data(5000);
  std::iota(data.begin(), data.end(), 0);
  const std::string full = TempPath("full.gz");
  WriteGzipFile(full, MakeIdx({5000}, data));
  // Read the raw compressed bytes back and cut them in half.
  std::string raw;
  {
    std::FILE* file = std::fopen(full.c_str(), "rb");
    ASSERT_NE(file, nullptr);
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) {
      raw.append(buffer, n);
    }
    std::fclose(file);
  }
  const std::string cut = TempPath("cut.gz");
  WriteFile(cut, raw.substr(0, raw.size() / 2));
  absl::Status status = ReadIdx(cut).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr(cut));
}

class LoadIdxPairTest : public ::testing::Test {
 protected:
  // Writes gzipped images/labels files and returns LoadIdxPair's result.
  absl::StatusOr<ImageDataset> Load(const std::string& images, const std::string& labels) {
    WriteGzipFile(images_path_, images);
    WriteGzipFile(labels_path_, labels);
    return LoadIdxPair(images_path_, labels_path_);
  }

  const std::string images_path_ = TempPath("images-idx3-ubyte.gz");
  const std::string labels_path_ = TempPath("labels-idx1-ubyte.gz");
};

TEST_F(LoadIdxPairTest, LoadsAndScalesPixels) {
  absl::StatusOr<ImageDataset> dataset =
      Load(MakeIdx({2, 1, 3}, {0, 51, 255, 102, 0, 0}), MakeIdx({2}, {9, 0}));
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ(dataset->num_images, 2);
  EXPECT_EQ(dataset->channels, 1);
  EXPECT_EQ(dataset->height, 1);
  EXPECT_EQ(dataset->width, 3);
  EXPECT_EQ(dataset->num_classes, 10);
  EXPECT_EQ(dataset->image_size(), 3);
  EXPECT_THAT(dataset->images, ElementsAre(0.0f, 0.2f, 1.0f, 0.4f, 0.0f, 0.0f));
  EXPECT_THAT(dataset->labels, ElementsAre(9, 0));
}

TEST_F(LoadIdxPairTest, RejectsWrongDimCounts) {
  absl::Status status =
      Load(MakeIdx({2, 3}, std::vector<uint8_t>(6)), MakeIdx({2}, {1, 2})).status();
  EXPECT_THAT(status.message(), HasSubstr(images_path_));
  EXPECT_THAT(status.message(), HasSubstr("expected magic 0x00000803"));

  status = Load(MakeIdx({2, 1, 1}, {1, 2}), MakeIdx({2, 1}, {1, 2})).status();
  EXPECT_THAT(status.message(), HasSubstr(labels_path_));
  EXPECT_THAT(status.message(), HasSubstr("expected magic 0x00000801"));
}

TEST_F(LoadIdxPairTest, RejectsCountMismatch) {
  absl::Status status = Load(MakeIdx({2, 1, 1}, {1, 2}), MakeIdx({3}, {1, 2, 3})).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("has 2 images"));
  EXPECT_THAT(status.message(), HasSubstr("has 3 labels"));
}

TEST_F(LoadIdxPairTest, RejectsLabelOutOfRange) {
  absl::Status status = Load(MakeIdx({2, 1, 1}, {1, 2}), MakeIdx({2}, {3, 10})).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr(labels_path_));
  EXPECT_THAT(status.message(), HasSubstr("label 10 of item 1"));
}

TEST_F(LoadIdxPairTest, RejectsTruncatedImagesNamingFile) {
  absl::Status status = Load(MakeIdx({2, 2, 2}, {1, 2, 3}), MakeIdx({2}, {1, 2})).status();
  EXPECT_THAT(status.message(), HasSubstr(images_path_));
  EXPECT_THAT(status.message(), HasSubstr("expected 8 bytes, got 3"));
}

TEST_F(LoadIdxPairTest, RejectsEmptyImages) {
  EXPECT_THAT(Load(MakeIdx({2, 0, 5}, {}), MakeIdx({2}, {1, 2})).status().message(),
              HasSubstr("empty images"));
}

TEST(FashionMnistTest, MissingDirectoryNamesTheFile) {
  absl::Status status = LoadFashionMnist(TempPath("no-fashion-here"), Split::kTest).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("no-fashion-here/t10k-images-idx3-ubyte.gz"));
}

TEST(FashionMnistTest, DefaultDirHonoursEnvironment) {
  const char* set = std::getenv("TESSERA_FASHION_MNIST_DIR");
  const std::string saved = set != nullptr ? set : "";
  unsetenv("TESSERA_FASHION_MNIST_DIR");
  EXPECT_EQ(DefaultFashionMnistDir(), "/usr/share/datasets/fashion-mnist");
  setenv("TESSERA_FASHION_MNIST_DIR", "/elsewhere", 1);
  EXPECT_EQ(DefaultFashionMnistDir(), "/elsewhere");
  if (set != nullptr) {
    setenv("TESSERA_FASHION_MNIST_DIR", saved.c_str(), 1);
  } else {
    unsetenv("TESSERA_FASHION_MNIST_DIR");
  }
}

void RequireMissingData() { TESSERA_REQUIRE_DATA(false, "the test's data"); }

// Where data is required (CI), a missing dataset is a failure, not a skip.
TEST(TestData, MissingDataFailsWhereRequired) {
  const char* set = std::getenv("TESSERA_REQUIRE_DATA");
  const std::string saved = set != nullptr ? set : "";
  setenv("TESSERA_REQUIRE_DATA", "1", 1);
  EXPECT_TRUE(DataRequired());
  EXPECT_FATAL_FAILURE(RequireMissingData(), "the test's data not found, and this run requires it");
  if (set != nullptr) {
    setenv("TESSERA_REQUIRE_DATA", saved.c_str(), 1);
  } else {
    unsetenv("TESSERA_REQUIRE_DATA");
  }
}

// Real data, wherever DefaultFashionMnistDir() says it is (the Debian
// package dataset-fashion-mnist, or $TESSERA_FASHION_MNIST_DIR).
class RealFashionMnistTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = DefaultFashionMnistDir();
    TESSERA_REQUIRE_DATA(HaveFashionMnist(), "Fashion-MNIST in " << dir_);
  }
  std::string dir_;
};

TEST_F(RealFashionMnistTest, LoadsTestSplit) {
  absl::StatusOr<ImageDataset> dataset = LoadFashionMnist(dir_, Split::kTest);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ(dataset->num_images, 10000);
  EXPECT_EQ(dataset->height, 28);
  EXPECT_EQ(dataset->width, 28);
  ASSERT_EQ(dataset->images.size(), 10000u * 28 * 28);
  ASSERT_EQ(dataset->labels.size(), 10000u);
  std::vector<int> per_class(10, 0);
  for (int32_t label : dataset->labels) {
    ASSERT_GE(label, 0);
    ASSERT_LT(label, 10);
    ++per_class[label];
  }
  // The Fashion-MNIST test set is balanced; its first item is an ankle boot.
  EXPECT_THAT(per_class, ::testing::Each(1000));
  EXPECT_EQ(dataset->labels[0], 9);
  const double first_image_sum =
      std::accumulate(dataset->images.begin(), dataset->images.begin() + 784, 0.0);
  EXPECT_NEAR(first_image_sum, 33456.0 / 255.0, 1e-3);
}

TEST_F(RealFashionMnistTest, LoadsTrainSplit) {
  absl::StatusOr<ImageDataset> dataset = LoadFashionMnist(dir_, Split::kTrain);
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_EQ(dataset->num_images, 60000);
  EXPECT_EQ(dataset->labels.size(), 60000u);
}

}  // namespace
}  // namespace tessera::datasets
