#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/checkpoint.h"
#include "core/graph.h"
#include "core/optimizer.h"
#include "datasets/image_codec.h"
#include "gtest/gtest.h"
#include "tools/feature_viz.h"
#include "tools/image/canvas.h"
#include "tools/image/png.h"

namespace tessera {
namespace {

std::string Temp(const std::string& name) { return ::testing::TempDir() + "/" + name; }

// Where pictures worth looking at go: $TEST_UNDECLARED_OUTPUTS_DIR when
// bazel sets it, else the temp dir.
std::string Output(const std::string& name) {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  return dir ? absl::StrCat(dir, "/", name) : Temp(name);
}

// Writes a checkpoint of `graph_path`'s freshly initialised parameters, as
// a trainer would: ParameterStore + SGD + CaptureCheckpoint.
std::string MakeCheckpoint(const std::string& graph_text_or_path, const std::string& file,
                           bool is_text = false, void (*edit)(ParameterStore&) = nullptr) {
  absl::StatusOr<Graph> graph =
      is_text ? Graph::FromText(graph_text_or_path, file) : Graph::FromTextFile(graph_text_or_path);
  EXPECT_TRUE(graph.ok()) << graph.status();
  ParameterStore params = ParameterStore::Initialize(*graph, 7, Device::kCpu);
  if (edit) edit(params);
  std::unique_ptr<Optimizer> sgd = *Optimizer::Create({}, params, Device::kCpu);
  const std::string path = Temp(file);
  absl::Status status = WriteCheckpointFile(path, CaptureCheckpoint(params, *sgd));
  EXPECT_TRUE(status.ok()) << status;
  return path;
}

bool HasColour(const Image& image) {
  for (size_t i = 0; i + 2 < image.pixels.size(); i += 3) {
    if (image.pixels[i] != image.pixels[i + 1] || image.pixels[i + 1] != image.pixels[i + 2])
      return true;
  }
  return false;
}

TEST(Filters, MlpFirstLayerFromACheckpoint) {
  const std::string ckpt = MakeCheckpoint("models/mlp.pbtxt", "mlp.tsr");
  absl::StatusOr<LoadedModel> model = LoadModel("models/mlp.pbtxt", ckpt);
  ASSERT_TRUE(model.ok()) << model.status();
  // The restored values are the checkpoint's (seed 7), not a fresh seed-0 draw.
  absl::StatusOr<Graph> graph = Graph::FromTextFile("models/mlp.pbtxt");
  ParameterStore seven = ParameterStore::Initialize(*graph, 7, Device::kCpu);
  EXPECT_EQ(model->params.Find("fc1/weight")->value.ToVector(),
            seven.Find("fc1/weight")->value.ToVector());

  absl::StatusOr<Image> image = RenderFilters(*model->graph, model->params, "fc1/weight");
  ASSERT_TRUE(image.ok()) << image.status();
  // 256 tiles of 28x28 in 16 columns at scale 3.
  EXPECT_EQ(image->width, 16 * (28 * 3 + kTileSeparator) + kTileSeparator);
  EXPECT_GT(image->height, 16 * (28 * 3 + kTileSeparator));
  EXPECT_FALSE(HasColour(*image));
  ASSERT_TRUE(WritePng(Output("mlp_fc1_filters.png"), *image).ok());

  // Explicit layout.
  image = RenderFilters(*model->graph, model->params, "fc1/weight", TileOptions{32, 1});
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->width, 32 * (28 + kTileSeparator) + kTileSeparator);
}

TEST(Filters, LinearClassifierIsOneRowOfTen) {
  const std::string ckpt =
      MakeCheckpoint("models/linear.pbtxt", "linear.tsr", false, [](ParameterStore& p) {
        std::vector<float> w(10 * 784);
        for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 37) % 101) - 50;
        Tensor::FromVector({10, 784}, w).CopyInto(p.Find("fc/weight")->value);
      });
  absl::StatusOr<LoadedModel> model = LoadModel("models/linear.pbtxt", ckpt);
  ASSERT_TRUE(model.ok()) << model.status();
  absl::StatusOr<Image> image = RenderFilters(*model->graph, model->params, "fc/weight");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->width, 10 * (28 * 3 + kTileSeparator) + kTileSeparator);
}

constexpr char kConvGraph[] = R"(
name: "convs"
input { name: "image" shape: [ -1, 3, 8, 8 ] }
input { name: "label" shape: [ -1 ] }
parameter { name: "rgb/weight" shape: [ 6, 3, 3, 3 ] init { type: "he_normal" } }
parameter { name: "deep/weight" shape: [ 5, 6, 3, 3 ] init { type: "he_normal" } }
parameter { name: "fc/weight" shape: [ 4, 80 ] init { type: "he_normal" } }
parameter { name: "fc/bias" shape: [ 4 ] }
node { name: "rgb" op: "conv2d" input: "image" input: "rgb/weight" }
node { name: "relu" op: "relu" input: "rgb" }
node { name: "deep" op: "conv2d" input: "relu" input: "deep/weight" }
node { name: "flat" op: "flatten" input: "deep" }
node { name: "logits" op: "matmul" input: "flat" input: "fc/weight" input: "fc/bias" }
node { name: "loss" op: "softmax_cross_entropy" input: "logits" input: "label" }
loss: "loss"
output: "logits"
)";

TEST(Filters, ConvWeights) {
  const std::string ckpt = MakeCheckpoint(kConvGraph, "convs.tsr", true);
  const std::string graph_path = Temp("convs.pbtxt");
  FILE* f = fopen(graph_path.c_str(), "w");
  fputs(kConvGraph, f);
  fclose(f);
  absl::StatusOr<LoadedModel> model = LoadModel(graph_path, ckpt);
  ASSERT_TRUE(model.ok()) << model.status();
  // C = 3: colour tiles, 6 filters in 3 columns.
  absl::StatusOr<Image> rgb = RenderFilters(*model->graph, model->params, "rgb/weight");
  ASSERT_TRUE(rgb.ok()) << rgb.status();
  EXPECT_TRUE(HasColour(*rgb));
  EXPECT_GE(rgb->width,
            3 * (3 * 28 + kTileSeparator) + kTileSeparator);  // the caption may be wider
  ASSERT_TRUE(WritePng(Output("conv_rgb_filters.png"), *rgb).ok());
  // C = 6: a row per filter, a grey tile per input channel.
  absl::StatusOr<Image> deep = RenderFilters(*model->graph, model->params, "deep/weight");
  ASSERT_TRUE(deep.ok()) << deep.status();
  EXPECT_FALSE(HasColour(*deep));
  EXPECT_GE(deep->width, 6 * (3 * 28 + kTileSeparator) + kTileSeparator);
  // Rows of 80 = 5x4x4 values: neither the image's C*H*W nor a square.
  absl::StatusOr<Image> fc = RenderFilters(*model->graph, model->params, "fc/weight");
  ASSERT_FALSE(fc.ok());
  EXPECT_NE(fc.status().message().find("neither C*H*W"), std::string::npos) << fc.status();
}

TEST(Filters, BadInputsAreClearErrors) {
  const std::string ckpt = MakeCheckpoint("models/mlp.pbtxt", "mlp2.tsr");
  // Missing checkpoint file, empty directory, checkpoint of another graph.
  absl::StatusOr<LoadedModel> missing = LoadModel("models/mlp.pbtxt", Temp("nope.tsr"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos)
      << missing.status();
  std::filesystem::create_directories(Temp("empty_dir"));
  absl::StatusOr<LoadedModel> empty = LoadModel("models/mlp.pbtxt", Temp("empty_dir"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no checkpoint"), std::string::npos) << empty.status();
  absl::StatusOr<LoadedModel> other = LoadModel("models/linear.pbtxt", ckpt);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("does not fit graph 'linear'"), std::string::npos)
      << other.status();
  EXPECT_FALSE(LoadModel("models/mlp.pbtxt", "").ok());
  // A directory: its newest checkpoint.
  std::filesystem::create_directories(Temp("ckpts"));
  std::filesystem::copy_file(ckpt, CheckpointPath(Temp("ckpts"), 5),
                             std::filesystem::copy_options::overwrite_existing);
  absl::StatusOr<LoadedModel> model = LoadModel("models/mlp.pbtxt", Temp("ckpts"));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->checkpoint_path, CheckpointPath(Temp("ckpts"), 5));

  absl::StatusOr<Image> image = RenderFilters(*model->graph, model->params, "fc3/weight");
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.status().message().find("no parameter 'fc3/weight'"), std::string::npos)
      << image.status();
  EXPECT_NE(image.status().message().find("fc1/weight"), std::string::npos) << image.status();
  image = RenderFilters(*model->graph, model->params, "fc1/bias");
  ASSERT_FALSE(image.ok());
  EXPECT_NE(image.status().message().find("2-D [out, in] or 4-D"), std::string::npos)
      << image.status();
}

// 30 28x28 images; image i is uniformly i / 30, with label i % 10.
datasets::ImageDataset Brightness() {
  datasets::ImageDataset data;
  data.num_images = 30;
  data.height = data.width = 28;
  for (int i = 0; i < 30; ++i) {
    data.images.insert(data.images.end(), 784, i / 30.0f);
    data.labels.push_back(i % 10);
  }
  return data;
}

TEST(Activations, MlpHiddenLayerAndErrors) {
  absl::StatusOr<LoadedModel> model =
      LoadModel("models/mlp.pbtxt", MakeCheckpoint("models/mlp.pbtxt", "mlp3.tsr"));
  ASSERT_TRUE(model.ok()) << model.status();
  const datasets::ImageDataset data = Brightness();
  absl::StatusOr<Image> image = RenderActivations(*model->graph, model->params, data, 17, "relu1");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_GT(image->width, 112 + 16 + 16 * 16);
  ASSERT_TRUE(WritePng(Output("mlp_relu1_activations.png"), *image).ok());
  EXPECT_TRUE(RenderActivations(*model->graph, model->params, data, 0, "logits").ok());

  absl::StatusOr<Image> bad = RenderActivations(*model->graph, model->params, data, 30, "relu1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("out of range"), std::string::npos) << bad.status();
  bad = RenderActivations(*model->graph, model->params, data, -1, "relu1");
  EXPECT_FALSE(bad.ok());
  bad = RenderActivations(*model->graph, model->params, data, 0, "relu9");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(
      bad.status().message().find("no node 'relu9'; its nodes are: flat, fc1, relu1, logits, loss"),
      std::string::npos)
      << bad.status();
  bad = RenderActivations(*model->graph, model->params, data, 0, "loss");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("[1, C, H, W] or [1, D]"), std::string::npos)
      << bad.status();
  bad = RenderActivations(*model->graph, model->params, data, 0, "fc1/weight");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("is a graph parameter, not a node"), std::string::npos)
      << bad.status();
}

TEST(Activations, ConvChannelsAndShapeMismatch) {
  const std::string graph_path = Temp("convs2.pbtxt");
  FILE* f = fopen(graph_path.c_str(), "w");
  fputs(kConvGraph, f);
  fclose(f);
  absl::StatusOr<LoadedModel> model =
      LoadModel(graph_path, MakeCheckpoint(kConvGraph, "convs2.tsr", true));
  ASSERT_TRUE(model.ok()) << model.status();
  datasets::ImageDataset data;
  data.num_images = 3;
  data.channels = 3;
  data.height = data.width = 8;
  for (int i = 0; i < 3 * 3 * 64; ++i) data.images.push_back((i * 7 % 13) / 13.0f);
  data.labels = {0, 1, 2};
  absl::StatusOr<Image> image = RenderActivations(*model->graph, model->params, data, 1, "relu");
  ASSERT_TRUE(image.ok()) << image.status();
  absl::StatusOr<TopImages> top = RenderTopImages(*model->graph, model->params, data, "deep", 4, 2);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->indices.size(), 2u);
  EXPECT_GE(top->scores[0], top->scores[1]);
  // 28x28 grey images do not fit a [-1, 3, 8, 8] input.
  absl::StatusOr<Image> bad =
      RenderActivations(*model->graph, model->params, Brightness(), 0, "relu");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("dataset's images are 1x28x28"), std::string::npos)
      << bad.status();
}

TEST(TopImages, RanksByActivation) {
  // logits[0] = sum of the pixels: the brightest images rank first.
  const std::string ckpt =
      MakeCheckpoint("models/linear.pbtxt", "linear_sum.tsr", false, [](ParameterStore& p) {
        std::vector<float> w(10 * 784, 0.0f);
        for (int i = 0; i < 784; ++i) w[i] = 1.0f;
        Tensor::FromVector({10, 784}, w).CopyInto(p.Find("fc/weight")->value);
      });
  absl::StatusOr<LoadedModel> model = LoadModel("models/linear.pbtxt", ckpt);
  ASSERT_TRUE(model.ok()) << model.status();
  const datasets::ImageDataset data = Brightness();
  absl::StatusOr<TopImages> top = RenderTopImages(*model->graph, model->params, data, "logits", 0,
                                                  5, TileOptions{}, /*batch_size=*/7);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->indices, (std::vector<int64_t>{29, 28, 27, 26, 25}));
  EXPECT_NEAR(top->scores[0], 784 * 29 / 30.0f, 1e-2);
  ASSERT_TRUE(WritePng(Output("linear_top_images.png"), top->image).ok());
  // More than there are: all of them.
  top = RenderTopImages(*model->graph, model->params, data, "logits", 0, 100);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ(top->indices.size(), 30u);

  absl::StatusOr<TopImages> bad =
      RenderTopImages(*model->graph, model->params, data, "logits", 10, 5);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(
      bad.status().message().find("--channel=10 is out of range: 'logits' has 10 units (0..9)"),
      std::string::npos)
      << bad.status();
  EXPECT_FALSE(RenderTopImages(*model->graph, model->params, data, "logits", -1, 5).ok());
  EXPECT_FALSE(RenderTopImages(*model->graph, model->params, data, "logits", 0, 0).ok());
  EXPECT_FALSE(RenderTopImages(*model->graph, model->params, data, "nothing", 0, 5).ok());
}

std::string RunVisualize(const std::string& args, int* status) {
  const std::string out = Temp("visualize_out.txt");
  *status = std::system(absl::StrCat("tools/visualize ", args, " >", out, " 2>&1").c_str());
  FILE* f = fopen(out.c_str(), "r");
  std::string s;
  for (int c; f && (c = fgetc(f)) != EOF;) s.push_back(static_cast<char>(c));
  if (f) fclose(f);
  return s;
}

TEST(VisualizeBinary, FiltersModeWritesAPng) {
  const std::string ckpt = MakeCheckpoint("models/mlp.pbtxt", "mlp4.tsr");
  const std::string png = Temp("filters.png");
  int status = 0;
  std::string out =
      RunVisualize(absl::StrCat("--mode=filters --graph=models/mlp.pbtxt --checkpoint=", ckpt,
                                " --param=fc1/weight --out=", png),
                   &status);
  ASSERT_EQ(status, 0) << out;
  Image image;
  ASSERT_TRUE(ReadPng(png, &image).ok());
  EXPECT_EQ(image.width, 16 * (28 * 3 + kTileSeparator) + kTileSeparator);

  out = RunVisualize(absl::StrCat("--mode=filters --graph=models/mlp.pbtxt --checkpoint=",
                                  Temp("missing.tsr"), " --param=fc1/weight --out=", png),
                     &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("visualize: checkpoint"), std::string::npos) << out;
  EXPECT_NE(out.find("does not exist"), std::string::npos) << out;
  out = RunVisualize(absl::StrCat("--mode=filters --graph=models/mlp.pbtxt --checkpoint=", ckpt,
                                  " --param=fc1/bias --out=", png),
                     &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("2-D [out, in] or 4-D"), std::string::npos) << out;
  out = RunVisualize("--mode=pictures --out=x.png", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("--mode must be filters, activations or top_images"), std::string::npos)
      << out;
  out = RunVisualize(absl::StrCat("--mode=top_images --graph=models/mlp.pbtxt --checkpoint=", ckpt,
                                  " --out=", png),
                     &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("--node is required"), std::string::npos) << out;
  out = RunVisualize(absl::StrCat("--mode=top_images --graph=models/mlp.pbtxt --checkpoint=", ckpt,
                                  " --node=relu1 --dataset=cifar --out=", png),
                     &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("--dataset must be mnist, fashion, folder, cifar10 or cifar100"),
            std::string::npos)
      << out;
}

// A folder's val/ images, decoded through the eval transform to the
// graph's input, rank like any test set.
TEST(VisualizeBinary, TopImagesOfAnImageFolder) {
  const std::string dir = Temp("viz_folder");
  std::filesystem::remove_all(dir);
  for (const char* split : {"train", "val"}) {
    for (int i = 0; i < 6; ++i) {
      datasets::DecodedImage image;
      image.width = image.height = 28;
      image.channels = 1;
      for (int p = 0; p < 28 * 28; ++p) image.pixels.push_back(static_cast<uint8_t>(p * (i + 1)));
      const std::string class_dir = absl::StrCat(dir, "/", split, "/class", i % 2);
      std::filesystem::create_directories(class_dir);
      ASSERT_TRUE(datasets::WriteWholeFile(absl::StrCat(class_dir, "/", i, ".png"),
                                           *datasets::EncodePng(image))
                      .ok());
    }
  }
  const std::string ckpt = MakeCheckpoint("models/mlp.pbtxt", "mlp5.tsr");
  const std::string png = Temp("folder_top.png");
  int status = 0;
  const std::string common =
      absl::StrCat("--mode=top_images --graph=models/mlp.pbtxt --checkpoint=", ckpt,
                   " --node=relu1 --count=4 --mean=0 --std=1 --resize_ratio=1 --out=", png);
  std::string out =
      RunVisualize(absl::StrCat(common, " --dataset=folder --data_dir=", dir), &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("rank  test image  label  activation"), std::string::npos) << out;
  Image image;
  ASSERT_TRUE(ReadPng(png, &image).ok());
  // --max_images bounds the set the images are ranked from.
  out = RunVisualize(absl::StrCat(common, " --dataset=folder --max_images=3 --data_dir=", dir),
                     &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_EQ(out.find("\n   4 "), std::string::npos) << out;  // 3 ranked, not 4
  out = RunVisualize(absl::StrCat(common, " --dataset=folder"), &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("--dataset=folder needs --data_dir"), std::string::npos) << out;
}

}  // namespace
}  // namespace tessera
