#include "models/trainer.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "core/backend.h"
#include "core/checkpoint.h"
#include "core/file_size_limit.h"
#include "datasets/image_codec.h"
#include "datasets/mnist_digits.h"
#include "datasets/test_data.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

TrainConfig SmallRun(const std::string& dir) {
  TrainConfig config;
  config.graph_path = "models/mlp.pbtxt";
  config.dataset = "mnist";
  config.epochs = 2;
  config.batch_size = 100;
  config.augment_shift = 2;
  config.threads = 2;
  config.schedule.type = "cosine";
  config.schedule.base_lr = 0.05f;
  config.checkpoint_dir = ::testing::TempDir() + "/" + dir;
  std::filesystem::remove_all(config.checkpoint_dir);
  return config;
}

CheckpointProto Newest(const std::string& dir) {
  std::vector<std::string> all = ListCheckpoints(dir);
  EXPECT_FALSE(all.empty()) << dir;
  absl::StatusOr<CheckpointProto> ckpt = ReadCheckpointFile(all.back());
  EXPECT_TRUE(ckpt.ok()) << ckpt.status();
  return *ckpt;
}

// Stopping mid-epoch and resuming gives bitwise the same parameters and
// optimizer state as the run that never stopped.
TEST(Trainer, ResumeMidEpochMatchesUninterruptedRunBitwise) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  TrainConfig straight = SmallRun("straight");
  absl::StatusOr<TrainResult> a = TrainClassifier(straight);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->steps, 160);  // 8,000 / 100 per epoch
  EXPECT_GT(a->test_accuracy, 0.85);

  TrainConfig first = SmallRun("interrupted");
  first.max_steps = 57;
  absl::StatusOr<TrainResult> b = TrainClassifier(first);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->interrupted);
  EXPECT_EQ(Newest(first.checkpoint_dir).step(), 57);
  EXPECT_EQ(Newest(first.checkpoint_dir).batch_in_epoch(), 57);

  TrainConfig second = first;
  second.max_steps = 0;
  second.resume = true;
  absl::StatusOr<TrainResult> c = TrainClassifier(second);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->steps, 160);
  EXPECT_EQ(c->test_accuracy, a->test_accuracy);

  const CheckpointProto x = Newest(straight.checkpoint_dir), y = Newest(second.checkpoint_dir);
  ASSERT_EQ(x.parameter_size(), y.parameter_size());
  for (int i = 0; i < x.parameter_size(); ++i) {
    EXPECT_EQ(x.parameter(i).SerializeAsString(), y.parameter(i).SerializeAsString())
        << x.parameter(i).name();
  }
  ASSERT_GT(x.optimizer_state_size(), 0) << "momentum SGD keeps a velocity per parameter";
  ASSERT_EQ(x.optimizer_state_size(), y.optimizer_state_size());
  for (int i = 0; i < x.optimizer_state_size(); ++i) {
    EXPECT_EQ(x.optimizer_state(i).SerializeAsString(), y.optimizer_state(i).SerializeAsString())
        << x.optimizer_state(i).name();
  }
}

// Same seed and thread count: bitwise the same model.
TEST(Trainer, SameSeedAndThreadsGiveBitwiseIdenticalTraining) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  TrainConfig config = SmallRun("repeat_a");
  config.epochs = 1;
  ASSERT_TRUE(TrainClassifier(config).ok());
  TrainConfig again = SmallRun("repeat_b");
  again.epochs = 1;
  ASSERT_TRUE(TrainClassifier(again).ok());
  CheckpointProto a = Newest(config.checkpoint_dir), b = Newest(again.checkpoint_dir);
  EXPECT_EQ(a.SerializeAsString(), b.SerializeAsString());
  TrainConfig other_seed = SmallRun("repeat_c");
  other_seed.epochs = 1;
  other_seed.seed = 2;
  ASSERT_TRUE(TrainClassifier(other_seed).ok());
  EXPECT_NE(Newest(other_seed.checkpoint_dir).parameter(0).SerializeAsString(),
            a.parameter(0).SerializeAsString());
}

// A folder of 28x28 grey PNGs, class c brighter in column band c, made here.
std::string MakeDigitFolder() {
  const std::string dir = ::testing::TempDir() + "/band_folder";
  std::filesystem::remove_all(dir);
  for (const char* split : {"train", "val"}) {
    for (int i = 0; i < (std::string(split) == "train" ? 120 : 30); ++i) {
      const int label = i % 3;
      datasets::DecodedImage image;
      image.width = image.height = 28;
      image.channels = 1;
      for (int p = 0; p < 28 * 28; ++p) {
        const int band = (p % 28) / 10;
        image.pixels.push_back(static_cast<uint8_t>((band == label ? 200 : 30) + (p * i) % 25));
      }
      const std::string class_dir = absl::StrCat(dir, "/", split, "/band", label);
      std::filesystem::create_directories(class_dir);
      EXPECT_TRUE(datasets::WriteWholeFile(absl::StrCat(class_dir, "/", i, ".png"),
                                           *datasets::EncodePng(image))
                      .ok());
    }
  }
  return dir;
}

// An image folder through the decode pipeline: stopping mid-epoch and
// resuming (with another worker count) gives bitwise the straight run.
TEST(Trainer, FolderResumeMatchesUninterruptedRunWithAnyWorkerCount) {
  TrainConfig straight = SmallRun("folder_straight");
  straight.dataset = "folder";
  straight.image_data.dir = MakeDigitFolder();
  straight.image_data.workers = 1;
  straight.batch_size = 10;
  straight.augment_shift = 0;
  straight.schedule.base_lr = 0.005f;
  absl::StatusOr<TrainResult> a = TrainClassifier(straight);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->steps, 24);
  EXPECT_GT(a->test_accuracy, 0.6);  // 3 classes

  TrainConfig first = straight;
  first.checkpoint_dir = ::testing::TempDir() + "/folder_interrupted";
  std::filesystem::remove_all(first.checkpoint_dir);
  first.max_steps = 17;
  first.image_data.workers = 3;
  ASSERT_TRUE(TrainClassifier(first).ok());
  EXPECT_EQ(Newest(first.checkpoint_dir).batch_in_epoch(), 5);
  TrainConfig second = first;
  second.max_steps = 0;
  second.resume = true;
  second.image_data.workers = 2;
  absl::StatusOr<TrainResult> c = TrainClassifier(second);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->test_accuracy, a->test_accuracy);
  const CheckpointProto x = Newest(straight.checkpoint_dir), y = Newest(second.checkpoint_dir);
  ASSERT_EQ(x.parameter_size(), y.parameter_size());
  for (int i = 0; i < x.parameter_size(); ++i) {
    EXPECT_EQ(x.parameter(i).SerializeAsString(), y.parameter(i).SerializeAsString());
  }

  TrainConfig no_dir = straight;
  no_dir.image_data.dir = "";
  EXPECT_NE(TrainClassifier(no_dir).status().message().find("needs --data_dir"), std::string::npos);

  // Three classes, two logits: an error before the first step, not a
  // label out of range inside the loss.
  TrainConfig narrow = straight;
  narrow.graph_path = ::testing::TempDir() + "/two_logits.pbtxt";
  ASSERT_TRUE(datasets::WriteWholeFile(narrow.graph_path, R"(name: "two"
input { name: "image" shape: [ -1, 1, 28, 28 ] }
input { name: "label" shape: [ -1 ] }
parameter { name: "w" shape: [ 2, 784 ] }
node { name: "flat" op: "flatten" input: "image" }
node { name: "logits" op: "matmul" input: "flat" input: "w" }
node { name: "loss" op: "softmax_cross_entropy" input: "logits" input: "label" }
loss: "loss"
output: "logits")")
                  .ok());
  EXPECT_EQ(TrainClassifier(narrow).status().message(),
            "the dataset has 3 classes but the graph's logits 'logits' have 2 columns; give the "
            "graph's last layer 3 outputs");
}

TEST(Trainer, DivergenceStopsWithAClearMessage) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  TrainConfig config = SmallRun("diverge");
  config.schedule.type = "constant";
  config.schedule.base_lr = 1e30f;  // weights overflow to Inf within a few steps
  absl::StatusOr<TrainResult> result = TrainClassifier(config);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("diverged"), std::string::npos) << result.status();
}

// The directory is checked before the first step, not after the first epoch.
TEST(Trainer, UnwritableCheckpointDirectoryFailsBeforeTraining) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  TrainConfig config = SmallRun("unused");
  config.checkpoint_dir = "/proc/nope";  // refused even to root
  testing::internal::CaptureStdout();
  absl::StatusOr<TrainResult> result = TrainClassifier(config);
  const std::string printed = testing::internal::GetCapturedStdout();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition) << result.status();
  EXPECT_NE(result.status().message().find("checkpoint directory /proc/nope"), std::string::npos)
      << result.status();
  EXPECT_EQ(printed.find("step "), std::string::npos) << "it trained first:\n" << printed;
}

// A full disk while saving stops training with the file and bytes named; the
// previous checkpoint stays loadable and a later --resume continues from it.
TEST(Trainer, FullDiskWhileSavingStopsTrainingAndKeepsTheLastCheckpoint) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  TrainConfig config = SmallRun("full_disk");
  config.max_steps = 2;
  ASSERT_TRUE(TrainClassifier(config).ok());
  const std::vector<std::string> good = ListCheckpoints(config.checkpoint_dir);
  ASSERT_EQ(good.size(), 1u);
  const uintmax_t size = std::filesystem::file_size(good[0]);

  config.max_steps = 0;
  config.resume = true;
  config.checkpoint_every_steps = 1;
  absl::StatusOr<TrainResult> full;
  {
    FileSizeLimit limit(size / 2);
    full = TrainClassifier(config);
  }
  ASSERT_FALSE(full.ok());
  const std::string message(full.status().message());
  EXPECT_EQ(full.status().code(), absl::StatusCode::kResourceExhausted) << message;
  const std::string tmp = CheckpointPath(config.checkpoint_dir, 3) + ".tmp";
  EXPECT_NE(message.find(tmp), std::string::npos) << message;
  EXPECT_NE(message.find(absl::StrCat(size, " bytes")), std::string::npos) << message;
  EXPECT_NE(message.find("training stopped at step 3"), std::string::npos) << message;
  EXPECT_NE(message.find(good[0]), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(tmp));
  EXPECT_EQ(ListCheckpoints(config.checkpoint_dir), good);
  EXPECT_EQ(Newest(config.checkpoint_dir).step(), 2);

  config.max_steps = 4;
  config.checkpoint_every_steps = 0;
  absl::StatusOr<TrainResult> resumed = TrainClassifier(config);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->steps, 4);
}

// A batch whose step would not fit stops before the first step, saying what
// was needed and available, what takes most, and the batch that fits; that
// batch then trains.
TEST(Trainer, NotEnoughMemoryStopsBeforeTheFirstStepWithTheBatchThatFits) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  TrainConfig config = SmallRun("memory");
  config.checkpoint_dir.clear();
  config.batch_size = 2000;
  config.max_steps = 1;
  Backend& cpu = *GetBackend(Device::kCpu);
  const size_t previous = cpu.memory_limit();
  cpu.set_memory_limit(8'000'000);  // TESSERA_MEMORY_LIMIT_BYTES=8000000
  testing::internal::CaptureStdout();
  absl::StatusOr<TrainResult> big = TrainClassifier(config);
  const std::string printed = testing::internal::GetCapturedStdout();
  ASSERT_FALSE(big.ok());
  const std::string message(big.status().message());
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted) << message;
  EXPECT_NE(message.find("at batch 2000 on cpu: it needs an estimated"), std::string::npos)
      << message;
  EXPECT_NE(message.find("available (TESSERA_MEMORY_LIMIT_BYTES)"), std::string::npos) << message;
  EXPECT_NE(message.find("Largest at the peak"), std::string::npos) << message;
  EXPECT_NE(message.find("fc1 output"), std::string::npos) << message;
  EXPECT_EQ(printed.find("step "), std::string::npos) << "it trained first:\n" << printed;
  const size_t at = message.find("--batch_size=");
  ASSERT_NE(at, std::string::npos) << message;
  const int fits = std::stoi(message.substr(at + 13));
  EXPECT_GT(fits, 0);
  EXPECT_LT(fits, 2000);

  config.batch_size = fits;
  absl::StatusOr<TrainResult> fitting = TrainClassifier(config);
  cpu.set_memory_limit(previous);
  ASSERT_TRUE(fitting.ok()) << fitting.status();
  EXPECT_EQ(fitting->steps, 1);
}

TEST(Trainer, MissingGraphIsAnError) {
  TrainConfig config = SmallRun("bad");
  config.graph_path = "models/does_not_exist.pbtxt";
  absl::StatusOr<TrainResult> missing = TrainClassifier(config);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("does_not_exist.pbtxt"), std::string::npos);
}

TEST(Trainer, UnknownDatasetAndMissingCheckpointAreErrors) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  TrainConfig config = SmallRun("bad");
  config.dataset = "cifar";
  absl::StatusOr<TrainResult> unknown = TrainClassifier(config);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown dataset 'cifar'"), std::string::npos)
      << unknown.status();
  config = SmallRun("bad");
  config.resume = true;
  absl::StatusOr<TrainResult> none = TrainClassifier(config);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("no checkpoint"), std::string::npos) << none.status();
}

}  // namespace
}  // namespace tessera
