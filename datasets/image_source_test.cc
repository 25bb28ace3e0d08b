#include "datasets/image_source.h"

#include <filesystem>

#include "datasets/image_test_util.h"
#include "gtest/gtest.h"

namespace tessera::datasets {
namespace {

using testing_util::FreshDir;
using testing_util::MakePicture;
using testing_util::WriteBytes;
using testing_util::WritePicture;

TEST(ImageFolderTest, ClassesAreSortedFolderNames) {
  const std::string dir = FreshDir("folder_classes");
  WritePicture(dir + "/dog/b.jpg", MakePicture(20, 10, 3, 1));
  WritePicture(dir + "/dog/a.png", MakePicture(10, 20, 1, 2));
  WritePicture(dir + "/ant/x.JPEG", MakePicture(8, 8, 3, 3));
  WritePicture(dir + "/cat/z.jpg", MakePicture(8, 8, 3, 4));
  WriteBytes(dir + "/cat/notes.txt", "not an image");
  absl::StatusOr<std::unique_ptr<ImageFolder>> folder = ImageFolder::Open(dir);
  ASSERT_TRUE(folder.ok()) << folder.status();
  EXPECT_EQ((*folder)->class_names(), (std::vector<std::string>{"ant", "cat", "dog"}));
  ASSERT_EQ((*folder)->size(), 4);
  EXPECT_EQ((*folder)->path(0), dir + "/ant/x.JPEG");
  EXPECT_EQ((*folder)->path(2), dir + "/dog/a.png");
  EXPECT_EQ((*folder)->label(3), 2);
  EXPECT_EQ((*folder)->ClassCounts(), (std::vector<int64_t>{1, 1, 2}));
  EXPECT_EQ((*folder)->ignored_files(), 1);
  absl::StatusOr<DecodedImage> image = (*folder)->Load(2, 3);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->width, 10);
  EXPECT_EQ(image->height, 20);
  EXPECT_EQ(image->channels, 3);
}

TEST(ImageFolderTest, BadLayoutsGiveErrorsNamingTheFolder) {
  const std::string dir = FreshDir("folder_errors");
  EXPECT_FALSE(ImageFolder::Open(dir + "/missing").ok());
  EXPECT_NE(ImageFolder::Open(dir).status().message().find("no class subfolders"),
            std::string::npos);
  WritePicture(dir + "/a/1.png", MakePicture(4, 4, 1, 1));
  std::filesystem::create_directories(dir + "/b");
  absl::Status empty = ImageFolder::Open(dir).status();
  EXPECT_NE(empty.message().find(dir + "/b: class folder without images"), std::string::npos)
      << empty;

  // train/ and val/ must have the same classes.
  const std::string data = FreshDir("folder_splits");
  WritePicture(data + "/train/a/1.png", MakePicture(4, 4, 1, 1));
  WritePicture(data + "/train/b/1.png", MakePicture(4, 4, 1, 1));
  WritePicture(data + "/val/a/1.png", MakePicture(4, 4, 1, 1));
  EXPECT_TRUE(OpenImageFolderSplit(data, Split::kTrain).ok());
  absl::Status mismatch = OpenImageFolderSplit(data, Split::kTest).status();
  EXPECT_NE(mismatch.message().find("same class folders"), std::string::npos) << mismatch;
  WritePicture(data + "/val/b/2.png", MakePicture(4, 4, 1, 1));
  EXPECT_TRUE(OpenImageFolderSplit(data, Split::kTest).ok());
  EXPECT_FALSE(OpenImageFolderSplit(data + "/train", Split::kTrain).ok());

  // Unreadable files fail when loaded, naming the file.
  std::filesystem::create_symlink(data + "/nowhere.jpg", data + "/train/a/broken.jpg");
  absl::StatusOr<std::unique_ptr<ImageFolder>> train = ImageFolder::Open(data + "/train");
  ASSERT_TRUE(train.ok());
  ASSERT_EQ((*train)->path(1), data + "/train/a/broken.jpg");
  absl::Status broken = (*train)->Load(1, 3).status();
  EXPECT_NE(broken.message().find("broken.jpg: cannot open"), std::string::npos) << broken;
}

// CIFAR records: label byte(s), then 32x32 red, green and blue planes.
std::string CifarRecords(int count, int label_bytes, int first_label, int classes) {
  std::string bytes;
  for (int i = 0; i < count; ++i) {
    if (label_bytes == 2) bytes.push_back(static_cast<char>(i % 20));  // coarse
    bytes.push_back(static_cast<char>((first_label + i) % classes));
    for (int c = 0; c < 3; ++c) {
      for (int p = 0; p < 1024; ++p) bytes.push_back(static_cast<char>((p + 50 * c + i) % 256));
    }
  }
  return bytes;
}

TEST(CifarTest, ReadsTenAndHundredClassBatches) {
  const std::string dir = FreshDir("cifar10") + "/cifar-10-batches-bin";
  for (int i = 1; i <= 5; ++i) {
    WriteBytes(absl::StrCat(dir, "/data_batch_", i, ".bin"), CifarRecords(3, 1, i, 10));
  }
  WriteBytes(dir + "/test_batch.bin", CifarRecords(4, 1, 0, 10));
  // The tarball's subfolder is found from its parent.
  absl::StatusOr<std::unique_ptr<CifarSource>> train =
      CifarSource::Load(dir.substr(0, dir.rfind('/')), 10, Split::kTrain);
  ASSERT_TRUE(train.ok()) << train.status();
  EXPECT_EQ((*train)->size(), 15);
  EXPECT_EQ((*train)->label(0), 1);
  EXPECT_EQ((*train)->label(3), 2);  // first record of data_batch_2
  EXPECT_EQ((*train)->class_names()[9], "truck");
  absl::StatusOr<DecodedImage> image = (*train)->Load(1, 3);
  ASSERT_TRUE(image.ok());
  // Pixel 5 of record 1: red (5 + 1), green (5 + 50 + 1), blue (5 + 100 + 1).
  EXPECT_EQ(image->pixels[15], 6);
  EXPECT_EQ(image->pixels[16], 56);
  EXPECT_EQ(image->pixels[17], 106);
  EXPECT_EQ((*train)->Load(1, 1)->pixels.size(), 1024u);
  absl::StatusOr<std::unique_ptr<CifarSource>> test = CifarSource::Load(dir, 10, Split::kTest);
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ((*test)->size(), 4);

  const std::string dir100 = FreshDir("cifar100");
  WriteBytes(dir100 + "/train.bin", CifarRecords(5, 2, 97, 100));
  WriteBytes(dir100 + "/fine_label_names.txt", [] {
    std::string names;
    for (int i = 0; i < 100; ++i) names += absl::StrCat("thing", i, "\n");
    return names;
  }());
  absl::StatusOr<std::unique_ptr<CifarSource>> hundred =
      CifarSource::Load(dir100, 100, Split::kTrain);
  ASSERT_TRUE(hundred.ok()) << hundred.status();
  EXPECT_EQ((*hundred)->size(), 5);
  EXPECT_EQ((*hundred)->label(4), 1);  // (97 + 4) % 100, the fine label
  EXPECT_EQ((*hundred)->class_names()[3], "thing3");
}

TEST(CifarTest, WrongFilesGiveErrorsNamingThem) {
  const std::string dir = FreshDir("cifar_bad");
  absl::Status missing = CifarSource::Load(dir, 10, Split::kTest).status();
  EXPECT_NE(missing.message().find("test_batch.bin: not found"), std::string::npos) << missing;
  WriteBytes(dir + "/test_batch.bin", CifarRecords(2, 1, 0, 10).substr(1));
  absl::Status size = CifarSource::Load(dir, 10, Split::kTest).status();
  EXPECT_NE(size.message().find("test_batch.bin: 6145 bytes is not a whole number"),
            std::string::npos)
      << size;
  WriteBytes(dir + "/test_batch.bin", CifarRecords(2, 1, 9, 100));  // labels 9 and 10
  absl::Status label = CifarSource::Load(dir, 10, Split::kTest).status();
  EXPECT_NE(label.message().find("record 1 has label 10"), std::string::npos) << label;
  // CIFAR-100's records are one byte longer: a CIFAR-10 file does not fit.
  WriteBytes(dir + "/test.bin", CifarRecords(3, 1, 0, 10));
  EXPECT_FALSE(CifarSource::Load(dir, 100, Split::kTest).ok());
}

}  // namespace
}  // namespace tessera::datasets
