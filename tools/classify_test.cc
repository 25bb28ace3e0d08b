// End to end: a labelled folder cut from the packaged photographs
// (make_image_folder), trainers reading it, and classify on their
// checkpoints.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace {

std::string RunCommand(const std::string& command, int* exit_code) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buffer[4096];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

const char kPhotos[] =
    "/usr/lib/python3/dist-packages/sklearn/datasets/images/china.jpg,"
    "/usr/lib/python3/dist-packages/sklearn/datasets/images/flower.jpg,"
    "/usr/lib/python3/dist-packages/skimage/data/chelsea.png";

class PhotoFolderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = ::testing::TempDir() + "/photos";
    std::filesystem::remove_all(dir_);
    int code = 0;
    const std::string log =
        RunCommand(absl::StrCat("tools/make_image_folder --out=", dir_, " --photos=", kPhotos,
                                " --count=40 --val_count=6 --size=64x48"),
                   &code);
    ASSERT_EQ(code, 0) << log;
  }
  static std::string dir_;
};
std::string PhotoFolderTest::dir_;

TEST_F(PhotoFolderTest, MlpTrainsOnTheFolderAndClassifyNamesItsClasses) {
  ASSERT_TRUE(std::filesystem::exists(dir_ + "/val/flower/00041.jpg"));
  const std::string checkpoints = ::testing::TempDir() + "/mlp_photos";
  std::filesystem::remove_all(checkpoints);
  int code = 0;
  // 28x28 grey, as the MLP takes: 120 crops of 3 photographs are easy.
  const std::string train =
      RunCommand(absl::StrCat("models/alexnet_train --graph=models/linear.pbtxt --dataset=folder "
                              "--data_dir=",
                              dir_,
                              " --epochs=6 --batch_size=10 --lr=0.02 --workers=2 "
                              "--checkpoint_dir=",
                              checkpoints, " --curve=none"),
                 &code);
  ASSERT_EQ(code, 0) << train;
  EXPECT_NE(train.find("train: 3 classes, 120 images: chelsea 40, china 40, flower 40"),
            std::string::npos)
      << train;
  EXPECT_NE(train.find("data wait"), std::string::npos);
  const size_t accuracy = train.find("test accuracy ", train.rfind("done:"));
  ASSERT_NE(accuracy, std::string::npos) << train;
  EXPECT_GT(std::stod(train.substr(accuracy + 14)), 0.8) << train;

  const std::string classified = RunCommand(
      absl::StrCat("tools/classify --graph=models/linear.pbtxt --checkpoint=", checkpoints,
                   " --labels=", dir_, " --top=3 ", dir_, "/val/china/00040.jpg ", dir_,
                   "/val/chelsea/00044.jpg"),
      &code);
  ASSERT_EQ(code, 0) << classified;
  // The linear graph has 10 outputs, the folder 3 classes: a note, then
  // per photo its path and the top 3, most probable first.
  std::istringstream lines(classified);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "note: 3 labels for 10 classes; the rest are printed by number");
  std::getline(lines, line);
  EXPECT_NE(line.find("china/00040.jpg"), std::string::npos) << classified;
  std::getline(lines, line);
  EXPECT_NE(line.find("  china"), std::string::npos) << classified;  // the top class
  double previous = std::stod(line), total = previous;
  for (int k = 0; k < 2; ++k) {
    std::getline(lines, line);
    EXPECT_LE(std::stod(line), previous);
    total += (previous = std::stod(line));
  }
  EXPECT_LE(total, 1.0001);
  std::getline(lines, line);
  EXPECT_NE(line.find("chelsea/00044.jpg"), std::string::npos) << classified;

  // A photo that is not one names the file.
  std::ofstream(dir_ + "/notes.jpg") << "not a photo";
  const std::string bad = RunCommand(absl::StrCat("tools/classify --graph=models/linear.pbtxt "
                                                  "--checkpoint=",
                                                  checkpoints, " ", dir_, "/notes.jpg"),
                                     &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(bad.find("notes.jpg: not a JPEG or PNG image"), std::string::npos) << bad;
}

// The ImageNet AlexNet graph (3x227x227, 1000 classes) takes the folder
// too: one step, then classify prints its top 5.
TEST_F(PhotoFolderTest, AlexnetTakesTheFolder) {
  const std::string checkpoints = ::testing::TempDir() + "/alexnet_photos";
  std::filesystem::remove_all(checkpoints);
  int code = 0;
  const std::string train = RunCommand(
      absl::StrCat("models/alexnet_train --dataset=folder --data_dir=", dir_,
                   " --batch_size=4 --max_steps=1 --checkpoint_dir=", checkpoints, " --curve=none"),
      &code);
  ASSERT_EQ(code, 0) << train;
  EXPECT_NE(train.find("training alexnet on folder (227x227)"), std::string::npos) << train;
  const std::string classified = RunCommand(
      absl::StrCat("tools/classify --graph=models/alexnet.pbtxt --checkpoint=", checkpoints, " ",
                   dir_, "/val/flower/00043.jpg"),
      &code);
  ASSERT_EQ(code, 0) << classified;
  EXPECT_EQ(std::count(classified.begin(), classified.end(), '\n'), 6) << classified;
  EXPECT_NE(classified.find("  0."), std::string::npos) << classified;
}

}  // namespace
