#include "models/inpainting.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "core/checkpoint.h"
#include "core/graph.h"
#include "datasets/image_codec.h"
#include "datasets/masking.h"
#include "datasets/mnist_digits.h"
#include "datasets/test_data.h"
#include "gtest/gtest.h"
#include "tools/image/png.h"

namespace tessera {
namespace {

// ------------------------------------------------------------ metrics

TEST(MaskedError, CountsOnlyMaskedPixels) {
  const float prediction[] = {0.5f, 0.0f, 1.0f, 0.2f, 0.9f, 0.3f};
  const float target[] = {0.0f, 0.0f, 0.8f, 0.2f, 0.0f, 0.4f};
  const float mask[] = {0.0f, 1.0f, 1.0f, 0.0f, 0.0f, 1.0f};
  MaskedError e;
  e.Add(prediction, target, mask, 6);
  // Masked errors: 0, 0.2, -0.1 -> (0 + 0.04 + 0.01) / 3.
  EXPECT_EQ(e.pixels(), 3);
  EXPECT_NEAR(e.mse(), 0.05 / 3, 1e-7);
  EXPECT_NEAR(e.psnr(), 10 * std::log10(3 / 0.05), 1e-5);
  // Accumulates across calls as one pool of pixels (not a mean of means).
  const float p2[] = {1.0f};
  const float t2[] = {0.0f};
  const float m2[] = {1.0f};
  e.Add(p2, t2, m2, 1);
  EXPECT_EQ(e.pixels(), 4);
  EXPECT_NEAR(e.mse(), 1.05 / 4, 1e-7);
}

TEST(MaskedError, PsnrOfKnownErrors) {
  EXPECT_NEAR(PsnrFromMse(0.01), 20.0, 1e-9);
  EXPECT_NEAR(PsnrFromMse(1.0), 0.0, 1e-9);
  EXPECT_NEAR(PsnrFromMse(0.01, 255.0), 20.0 + 20 * std::log10(255.0), 1e-9);
  EXPECT_EQ(PsnrFromMse(0.0), std::numeric_limits<double>::infinity());
  // A uniform error of 0.1 over the hole is 20 dB.
  std::vector<float> p(16, 0.6f), t(16, 0.5f), m(16, 1.0f);
  MaskedError e;
  e.Add(p.data(), t.data(), m.data(), 16);
  EXPECT_NEAR(e.psnr(), 20.0, 1e-4);
  MaskedError empty;
  EXPECT_EQ(empty.mse(), 0.0);
}

// ------------------------------------------------------------ baselines

datasets::ImageDataset HandMade() {
  datasets::ImageDataset d;
  d.num_images = 3;
  d.height = 2;
  d.width = 2;
  d.images = {0.0f, 0.2f, 0.4f, 0.6f,  //
              1.0f, 0.2f, 0.0f, 0.6f,  //
              0.5f, 0.5f, 0.5f, 0.0f};
  d.labels = {0, 1, 2};
  return d;
}

TEST(Baselines, MeanImageIsThePerPixelMean) {
  const std::vector<float> mean = MeanImage(HandMade());
  ASSERT_EQ(mean.size(), 4u);
  EXPECT_NEAR(mean[0], 0.5f, 1e-7);
  EXPECT_NEAR(mean[1], 0.3f, 1e-7);
  EXPECT_NEAR(mean[2], 0.3f, 1e-7);
  EXPECT_NEAR(mean[3], 0.4f, 1e-7);
}

TEST(Baselines, MeanFillAndCopyInputOnHandMadeHoles) {
  const std::vector<float> mean = {0.5f, 0.3f, 0.3f, 0.4f};
  // Two 2x2 images; holes: image 0 pixels 0 and 3, image 1 pixel 1.
  const std::vector<float> target = {0.1f, 0.9f, 0.8f, 0.2f, 0.7f, 0.6f, 0.5f, 0.4f};
  const std::vector<float> mask = {1, 0, 0, 1, 0, 1, 0, 0};
  std::vector<float> masked = target;
  for (size_t i = 0; i < masked.size(); ++i) masked[i] *= 1 - mask[i];
  std::vector<float> filled(8);
  FillHoleWith(masked.data(), mask.data(), mean, 2, filled.data());
  EXPECT_EQ(filled, (std::vector<float>{0.5f, 0.9f, 0.8f, 0.4f, 0.7f, 0.3f, 0.5f, 0.4f}));

  MaskedError mean_fill, copy_input;
  mean_fill.Add(filled.data(), target.data(), mask.data(), 8);
  copy_input.Add(masked.data(), target.data(), mask.data(), 8);
  // Mean fill: errors 0.4, 0.2, -0.3. Copy input: the hole's values themselves.
  EXPECT_NEAR(mean_fill.mse(), (0.16 + 0.04 + 0.09) / 3, 1e-7);
  EXPECT_NEAR(copy_input.mse(), (0.01 + 0.04 + 0.36) / 3, 1e-7);
}

// ------------------------------------------------------------ the grid

TEST(Grid, LayoutScaleSeparatorsAndHoleTint) {
  const int64_t rows = 2, h = 4, w = 5, size = h * w;
  std::vector<float> target(rows * size), prediction(rows * size, 0.5f), mask(rows * size, 0.0f);
  for (int64_t i = 0; i < rows * size; ++i) target[i] = static_cast<float>(i % 7) / 6.0f;
  prediction[3] = 2.0f;           // clamped to white
  prediction[4] = -1.0f;          // clamped to black
  mask[size + 2 * w + 1] = 1.0f;  // row 1, pixel (y 2, x 1)
  std::vector<float> masked = target;
  for (int64_t i = 0; i < rows * size; ++i) masked[i] *= 1 - mask[i];
  const int scale = 3, border = 2;
  Image image = MakeInpaintingGrid(masked.data(), mask.data(), prediction.data(), target.data(),
                                   rows, 1, h, w, scale, border);
  EXPECT_EQ(image.channels, 3);
  EXPECT_EQ(image.width, border + 3 * (w * scale + border));
  EXPECT_EQ(image.height, border + rows * (h * scale + border));
  auto grey = [&](int x, int y) { return image.at(x, y)[0]; };
  // Separators are mid grey.
  EXPECT_EQ(grey(0, 0), 128);
  EXPECT_EQ(grey(border + w * scale, border), 128);
  // Panel (row r, column c), pixel (x, y), sub-pixel (dx, dy).
  auto at = [&](int r, int c, int x, int y, int d) {
    return image.at(border + c * (w * scale + border) + x * scale + d,
                    border + r * (h * scale + border) + y * scale + d);
  };
  for (int d = 0; d < scale; ++d) {
    EXPECT_EQ(at(0, 2, 1, 0, d)[0], static_cast<uint8_t>(std::lround(target[1] * 255)));
    EXPECT_EQ(at(0, 1, 2, 0, d)[1], 128);  // prediction 0.5, raw
    EXPECT_EQ(at(0, 1, 3, 0, d)[2], 255);
    EXPECT_EQ(at(0, 1, 4, 0, d)[0], 0);
  }
  // The hole is tinted in the masked-input panel only.
  const uint8_t* hole = at(1, 0, 1, 2, 1);
  EXPECT_EQ(hole[0], 0);
  EXPECT_EQ(hole[1], 40);
  EXPECT_EQ(hole[2], 110);
  EXPECT_EQ(at(1, 2, 1, 2, 1)[0],
            static_cast<uint8_t>(std::lround(target[size + 2 * w + 1] * 255)));

  const std::string path = ::testing::TempDir() + "/grid.png";
  ASSERT_TRUE(WritePng(path, image).ok());
  Image back;
  ASSERT_TRUE(ReadPng(path, &back).ok());
  EXPECT_EQ(back.pixels, image.pixels);
}

TEST(Grid, ImagesAreEvenlySpacedAcrossTheTestSet) {
  EXPECT_EQ(GridImageIndices(2000, 4), (std::vector<int64_t>{0, 500, 1000, 1500}));
  EXPECT_EQ(GridImageIndices(3, 16), (std::vector<int64_t>{0, 1, 2}));
  EXPECT_EQ(GridImageIndices(2000, 16).size(), 16u);
}

// ------------------------------------------------------------ graphs

// Every models/inpainting_*.pbtxt, so that a new graph is checked without
// being listed here.
std::vector<std::string> InpaintingGraphs() {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator("models")) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("inpainting_", 0) == 0 && entry.path().extension() == ".pbtxt") {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

TEST(Graphs, EveryInpaintingGraphMapsImagesToImages) {
  const std::vector<std::string> paths = InpaintingGraphs();
  // mlp, conv, conv_mask, unet, unet_fc, unet_weighted (and any added since).
  EXPECT_GE(paths.size(), 6u);
  for (const std::string& path : paths) {
    absl::StatusOr<Graph> graph = Graph::FromTextFile(path);
    ASSERT_TRUE(graph.ok()) << graph.status();
    ASSERT_GE(graph->def().output_size(), 1) << path;
    absl::StatusOr<std::map<std::string, Shape>> shapes = graph->InferShapes(5);
    ASSERT_TRUE(shapes.ok()) << shapes.status();
    EXPECT_EQ(shapes->at(graph->def().output(0)), (Shape{5, 1, 28, 28})) << path;
    EXPECT_EQ(shapes->at(graph->loss()), Shape{}) << path;
  }
  absl::StatusOr<Graph> mlp = Graph::FromTextFile("models/inpainting_mlp.pbtxt");
  ASSERT_TRUE(mlp.ok());
  int64_t total = 0;
  for (const auto& p : mlp->def().parameter()) {
    int64_t n = 1;
    for (int64_t d : p.shape()) n *= d;
    total += n;
  }
  EXPECT_EQ(total, 784 * 512 + 512 + 512 * 784 + 784);
}

// ------------------------------------------------------------ training

InpaintingConfig SmallRun(const std::string& name) {
  InpaintingConfig config;
  config.graph_path = "models/inpainting_mlp.pbtxt";
  config.dataset = "mnist";
  config.epochs = 1;
  config.batch_size = 64;
  config.mask = {12, 12};
  config.optimizer.type = "adam";
  config.schedule.type = "cosine";
  config.schedule.base_lr = 1e-3f;
  config.threads = 2;
  config.verbose = false;
  config.checkpoint_dir = ::testing::TempDir() + "/" + name;
  std::filesystem::remove_all(config.checkpoint_dir);
  return config;
}

CheckpointProto Newest(const std::string& dir) {
  std::vector<std::string> all = ListCheckpoints(dir);
  EXPECT_FALSE(all.empty()) << dir;
  if (all.empty()) return {};
  absl::StatusOr<CheckpointProto> ckpt = ReadCheckpointFile(all.back());
  EXPECT_TRUE(ckpt.ok()) << ckpt.status();
  return ckpt.ok() ? *ckpt : CheckpointProto();
}

// One epoch of the seed's MLP (125 steps) fills holes better than both
// baselines, on the fixed test masks, and draws the grid.
TEST(Training, OneEpochBeatsBothBaselines) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  InpaintingConfig config = SmallRun("one_epoch");
  config.out_grid = ::testing::TempDir() + "/inpainting_grid.png";
  absl::StatusOr<InpaintingResult> result = TrainInpainting(config);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->steps, 125);  // 8,000 / 64
  const InpaintingScores& s = result->test;
  EXPECT_EQ(s.model.pixels(), 2000 * 144);
  EXPECT_EQ(s.copy_input.pixels(), 2000 * 144);
  EXPECT_LT(s.model.mse(), s.copy_input.mse());
  EXPECT_LT(s.model.mse(), s.mean_image.mse());
  EXPECT_LT(s.mean_image.mse(), s.copy_input.mse());
  EXPECT_EQ(s.model_known.pixels(), 2000 * (784 - 144));
  EXPECT_GT(s.model_known.mse(), 0) << "the MLP regenerates the pixels it was given";
  Image grid;
  ASSERT_TRUE(ReadPng(config.out_grid, &grid).ok());
  EXPECT_EQ(grid.height, 2 + 16 * (28 * 3 + 2));
  EXPECT_EQ(grid.width, 2 + 3 * (28 * 3 + 2));
}

// The test masks do not depend on the training seed, so the baselines are
// identical across seeds while the models differ.
TEST(Training, TestMasksAreTheSameWhateverTheSeed) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  InpaintingConfig a = SmallRun("seed_a");
  a.train_images = 640;
  InpaintingConfig b = SmallRun("seed_b");
  b.train_images = 640;
  b.seed = 2;
  absl::StatusOr<InpaintingResult> ra = TrainInpainting(a), rb = TrainInpainting(b);
  ASSERT_TRUE(ra.ok()) << ra.status();
  ASSERT_TRUE(rb.ok()) << rb.status();
  EXPECT_EQ(ra->test.copy_input.mse(), rb->test.copy_input.mse());
  EXPECT_EQ(ra->test.mean_image.mse(), rb->test.mean_image.mse());
  EXPECT_NE(ra->test.model.mse(), rb->test.model.mse());
}

// Stopping mid-epoch and resuming redraws the same training holes: bitwise
// the same parameters and Adam state as the run that never stopped.
TEST(Training, ResumeMidEpochMatchesUninterruptedRunBitwise) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  InpaintingConfig straight = SmallRun("straight");
  straight.train_images = 1280;  // 20 steps per epoch
  straight.epochs = 2;
  absl::StatusOr<InpaintingResult> a = TrainInpainting(straight);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->steps, 40);

  InpaintingConfig first = SmallRun("interrupted");
  first.train_images = 1280;
  first.epochs = 2;
  first.max_steps = 27;
  absl::StatusOr<InpaintingResult> b = TrainInpainting(first);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_TRUE(b->interrupted);
  EXPECT_EQ(Newest(first.checkpoint_dir).step(), 27);

  InpaintingConfig second = first;
  second.max_steps = 0;
  second.resume = true;
  absl::StatusOr<InpaintingResult> c = TrainInpainting(second);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->steps, 40);
  EXPECT_EQ(c->test.model.mse(), a->test.model.mse());

  const CheckpointProto x = Newest(straight.checkpoint_dir), y = Newest(second.checkpoint_dir);
  ASSERT_EQ(x.parameter_size(), y.parameter_size());
  for (int i = 0; i < x.parameter_size(); ++i) {
    EXPECT_EQ(x.parameter(i).SerializeAsString(), y.parameter(i).SerializeAsString())
        << x.parameter(i).name();
  }
  ASSERT_EQ(x.optimizer_state_size(), y.optimizer_state_size());
  for (int i = 0; i < x.optimizer_state_size(); ++i) {
    EXPECT_EQ(x.optimizer_state(i).SerializeAsString(), y.optimizer_state(i).SerializeAsString())
        << x.optimizer_state(i).name();
  }
}

// A folder of colour pictures of another size is decoded once to the
// graph's 1x28x28 input, in [0, 1], and trains like the digits.
TEST(Training, ImageFolderIsDecodedToTheGraphsInput) {
  const std::string dir = ::testing::TempDir() + "/inpainting_folder";
  std::filesystem::remove_all(dir);
  for (const char* split : {"train", "val"}) {
    const int count = std::string(split) == "train" ? 128 : 10;
    for (int i = 0; i < count; ++i) {
      datasets::DecodedImage image;
      image.width = 40;
      image.height = 36;
      image.channels = 3;
      for (int p = 0; p < 40 * 36 * 3; ++p) {
        image.pixels.push_back(static_cast<uint8_t>((p / 3 % 40 > 20 + i % 7 ? 230 : 10) + p % 3));
      }
      const std::string class_dir = absl::StrCat(dir, "/", split, "/c", i % 2);
      std::filesystem::create_directories(class_dir);
      ASSERT_TRUE(datasets::WriteWholeFile(absl::StrCat(class_dir, "/", i, ".png"),
                                           *datasets::EncodePng(image))
                      .ok());
    }
  }
  InpaintingConfig config = SmallRun("folder");
  config.dataset = "folder";
  config.image_data.dir = dir;
  absl::StatusOr<InpaintingResult> result = TrainInpainting(config);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->steps, 2);
  EXPECT_EQ(result->test.model.pixels(), 10 * 144);
  // Pixels in [0, 1]: no error can exceed 1.
  EXPECT_LE(result->test.copy_input.mse(), 1.0);
  EXPECT_GT(result->test.mean_image.mse(), 0.0);

  config.image_data.dir = "";
  EXPECT_NE(TrainInpainting(config).status().message().find("needs --data_dir"), std::string::npos);
}

// The U-Nets paste the given pixels back: outside the hole their output is
// the input, exactly, however little they have trained; and ten steps
// already fill the hole better than leaving it at 0.
TEST(Training, UnetsKeepTheKnownPixelsExactly) {
  for (const char* graph : {"models/inpainting_unet.pbtxt", "models/inpainting_unet_fc.pbtxt"}) {
    SCOPED_TRACE(graph);
    InpaintingConfig config = SmallRun("unet");
    config.graph_path = graph;
    config.train_images = 640;
    absl::StatusOr<InpaintingResult> result = TrainInpainting(config);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->steps, 10);
    EXPECT_EQ(result->test.model_known.pixels(), 2000 * (784 - 144));
    EXPECT_EQ(result->test.model_known.mse(), 0.0);
    EXPECT_GT(result->test.model.mse(), 0.0);
    EXPECT_LT(result->test.model.mse(), result->test.copy_input.mse());
  }
}

// --hole_weight reaches the loss through the graph's "pixel_weight" input,
// and needs a graph that has one.
TEST(Training, HoleWeightChangesTrainingAndNeedsAPixelWeightInput) {
  InpaintingConfig plain = SmallRun("weight_1");
  plain.graph_path = "models/inpainting_unet_weighted.pbtxt";
  plain.train_images = 640;
  InpaintingConfig weighted = plain;
  weighted.checkpoint_dir = plain.checkpoint_dir + "_6";
  weighted.hole_weight = 6;
  absl::StatusOr<InpaintingResult> a = TrainInpainting(plain), b = TrainInpainting(weighted);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_NE(a->test.model.mse(), b->test.model.mse());
  EXPECT_GT(b->test.loss, a->test.loss) << "hole errors count 6 times in the weighted loss";

  InpaintingConfig mlp = SmallRun("weight_mlp");
  mlp.hole_weight = 6;
  absl::StatusOr<InpaintingResult> c = TrainInpainting(mlp);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("pixel_weight"), std::string::npos) << c.status();
}

TEST(Training, RejectsAClassifierGraphAndBadHoles) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  InpaintingConfig config = SmallRun("bad");
  config.graph_path = "models/mlp.pbtxt";
  absl::StatusOr<InpaintingResult> result = TrainInpainting(config);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("'masked'"), std::string::npos) << result.status();

  config = SmallRun("bad_hole");
  config.mask = {20, 30};
  result = TrainInpainting(config);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("hole size"), std::string::npos) << result.status();
}

}  // namespace
}  // namespace tessera
