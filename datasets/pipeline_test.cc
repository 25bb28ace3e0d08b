#include "datasets/pipeline.h"

#include "datasets/image_test_util.h"
#include "gtest/gtest.h"

namespace tessera::datasets {
namespace {

using testing_util::FreshDir;
using testing_util::MakePicture;
using testing_util::WriteBytes;
using testing_util::WritePicture;

// 3 classes, 23 images of assorted sizes and formats.
std::string MakeFolder(const std::string& name) {
  const std::string dir = FreshDir(name);
  for (int i = 0; i < 23; ++i) {
    const int width = 20 + (i * 7) % 30, height = 16 + (i * 11) % 25;
    WritePicture(absl::StrCat(dir, "/class", i % 3, "/img", i, i % 2 ? ".png" : ".jpg"),
                 MakePicture(width, height, i % 4 == 0 ? 1 : 3, i));
  }
  return dir;
}

PipelineConfig Config(int workers, bool train) {
  PipelineConfig config;
  config.batch_size = 5;
  config.train = train;
  config.seed = 11;
  config.workers = workers;
  config.transform.channels = 3;
  config.transform.height = config.transform.width = 16;
  return config;
}

struct Served {
  std::vector<std::vector<float>> images, labels;
};

// Every batch of epochs [first_epoch, last_epoch], starting at `first_batch`.
Served ServeAll(BatchSource& source, int64_t first_epoch, int64_t first_batch, int64_t last_epoch) {
  Served served;
  for (int64_t epoch = first_epoch; epoch <= last_epoch; ++epoch) {
    source.Seek(epoch, epoch == first_epoch ? first_batch : 0);
    while (true) {
      std::vector<float> images(source.batch_size() * source.image_size());
      std::vector<float> labels(source.batch_size());
      absl::StatusOr<int64_t> n = source.Next(images.data(), labels.data());
      EXPECT_TRUE(n.ok()) << n.status();
      if (!n.ok() || *n == 0) break;
      images.resize(*n * source.image_size());
      labels.resize(*n);
      served.images.push_back(images);
      served.labels.push_back(labels);
    }
  }
  return served;
}

TEST(PipelineTest, SameBatchesForAnyWorkerCount) {
  const std::string dir = MakeFolder("pipeline_workers");
  absl::StatusOr<std::unique_ptr<ImageFolder>> folder = ImageFolder::Open(dir);
  ASSERT_TRUE(folder.ok()) << folder.status();
  Served reference;
  for (int workers : {0, 1, 3}) {
    SCOPED_TRACE(workers);
    auto pipeline = ImagePipeline::Create(**folder, Config(workers, /*train=*/true));
    ASSERT_TRUE(pipeline.ok()) << pipeline.status();
    EXPECT_EQ((*pipeline)->batches_per_epoch(), 4);  // 23 / 5, the rest dropped
    Served served = ServeAll(**pipeline, 0, 0, 1);
    ASSERT_EQ(served.images.size(), 8u);
    if (workers == 0) {
      reference = served;
      // Epochs differ (order and augmentation).
      EXPECT_NE(served.images[0], served.images[4]);
    } else {
      EXPECT_EQ(served.images, reference.images);
      EXPECT_EQ(served.labels, reference.labels);
    }
  }
  // Resuming at epoch 1, batch 2 continues exactly.
  auto resumed = ImagePipeline::Create(**folder, Config(2, true));
  ASSERT_TRUE(resumed.ok());
  Served rest = ServeAll(**resumed, 1, 2, 1);
  ASSERT_EQ(rest.images.size(), 2u);
  EXPECT_EQ(rest.images[0], reference.images[6]);
  EXPECT_EQ(rest.labels[1], reference.labels[7]);
}

TEST(PipelineTest, EvalServesEveryImageInOrder) {
  const std::string dir = MakeFolder("pipeline_eval");
  absl::StatusOr<std::unique_ptr<ImageFolder>> folder = ImageFolder::Open(dir);
  ASSERT_TRUE(folder.ok());
  auto pipeline = ImagePipeline::Create(**folder, Config(2, /*train=*/false));
  ASSERT_TRUE(pipeline.ok());
  Served served = ServeAll(**pipeline, 0, 0, 0);
  ASSERT_EQ(served.labels.size(), 5u);
  EXPECT_EQ(served.labels.back().size(), 3u);
  std::vector<float> labels;
  for (const auto& batch : served.labels) labels.insert(labels.end(), batch.begin(), batch.end());
  for (int64_t i = 0; i < (*folder)->size(); ++i) EXPECT_EQ(labels[i], (*folder)->label(i));
  // Eval images are the eval transform of each file.
  absl::StatusOr<DecodedImage> first = (*folder)->Load(0, 3);
  const TransformConfig& transform = Config(2, false).transform;
  std::vector<float> expected(transform.output_size());
  ResampleNormalize(*first, EvalCropBox(transform, first->width, first->height), transform,
                    expected.data());
  EXPECT_EQ(std::vector<float>(served.images[0].begin(),
                               served.images[0].begin() + transform.output_size()),
            expected);
  EXPECT_GE((*pipeline)->wait_seconds(), 0);
}

TEST(PipelineTest, ReadEpochHoldsTheServedImagesInOrder) {
  const std::string dir = MakeFolder("pipeline_read_epoch");
  absl::StatusOr<std::unique_ptr<ImageFolder>> folder = ImageFolder::Open(dir);
  ASSERT_TRUE(folder.ok());
  auto pipeline = ImagePipeline::Create(**folder, Config(2, /*train=*/false));
  ASSERT_TRUE(pipeline.ok());
  const Served served = ServeAll(**pipeline, 0, 0, 0);
  absl::StatusOr<ImageDataset> first = ReadEpoch(**pipeline, 7);  // crosses a batch
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->num_images, 7);
  EXPECT_EQ(first->num_classes, 3);
  EXPECT_EQ(first->channels, 3);
  EXPECT_EQ(first->height, 16);
  std::vector<float> expected = served.images[0];
  expected.insert(expected.end(), served.images[1].begin(),
                  served.images[1].begin() + 2 * first->image_size());
  EXPECT_EQ(first->images, expected);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(first->labels[i], (*folder)->label(i));
  absl::StatusOr<ImageDataset> all = ReadEpoch(**pipeline, 0);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->num_images, 23);
  EXPECT_EQ(all->labels.size(), 23u);
}

TEST(PipelineTest, BadImagesStopWithTheirNameOrAreSkipped) {
  const std::string dir = MakeFolder("pipeline_bad");
  WriteBytes(dir + "/class1/zero.jpg", "");
  WriteBytes(dir + "/class2/text.png", "just text");
  const std::string good = *EncodeJpeg(MakePicture(30, 30, 3, 9), 90);
  WriteBytes(dir + "/class0/truncated.jpg", good.substr(0, good.size() / 3));
  absl::StatusOr<std::unique_ptr<ImageFolder>> folder = ImageFolder::Open(dir);
  ASSERT_TRUE(folder.ok());
  ASSERT_EQ((*folder)->size(), 26);

  auto strict = ImagePipeline::Create(**folder, Config(2, false));
  ASSERT_TRUE(strict.ok());
  std::vector<float> images(5 * (*strict)->image_size()), labels(5);
  absl::Status error;
  for (int i = 0; i < 6 && error.ok(); ++i)
    error = (*strict)->Next(images.data(), labels.data()).status();
  EXPECT_NE(error.message().find("truncated.jpg: corrupt or truncated JPEG"), std::string::npos)
      << error;
  EXPECT_NE(error.message().find("--skip_bad_images"), std::string::npos);

  Served reference;
  for (int workers : {0, 2}) {
    PipelineConfig config = Config(workers, true);
    config.skip_bad_images = true;
    auto lenient = ImagePipeline::Create(**folder, config);
    ASSERT_TRUE(lenient.ok());
    Served served = ServeAll(**lenient, 0, 0, 1);
    EXPECT_EQ(served.images.size(), 10u);
    EXPECT_EQ((*lenient)->skipped_images(), 3);
    if (workers == 0) reference = served;
    EXPECT_EQ(served.images, reference.images);
  }
}

TEST(PipelineTest, BadSettingsAreErrors) {
  const std::string dir = MakeFolder("pipeline_settings");
  absl::StatusOr<std::unique_ptr<ImageFolder>> folder = ImageFolder::Open(dir);
  ASSERT_TRUE(folder.ok());
  PipelineConfig config = Config(2, true);
  config.batch_size = 0;
  EXPECT_FALSE(ImagePipeline::Create(**folder, config).ok());
  config = Config(-1, true);
  EXPECT_FALSE(ImagePipeline::Create(**folder, config).ok());
  config = Config(2, true);
  config.transform.channels = 4;
  EXPECT_FALSE(ImagePipeline::Create(**folder, config).ok());
}

TEST(InMemoryBatchesTest, SeekMatchesTheBatcher) {
  ImageDataset data;
  data.num_images = 10;
  data.height = data.width = 1;
  for (int i = 0; i < 10; ++i) {
    data.images.push_back(static_cast<float>(i));
    data.labels.push_back(i % 3);
  }
  InMemoryBatches batches(data, 3, /*shuffle=*/true, 5, /*drop_last=*/true);
  Served all = ServeAll(batches, 0, 0, 1);
  ASSERT_EQ(all.images.size(), 6u);
  Served rest = ServeAll(batches, 1, 1, 1);
  ASSERT_EQ(rest.images.size(), 2u);
  EXPECT_EQ(rest.images[0], all.images[4]);
}

}  // namespace
}  // namespace tessera::datasets
