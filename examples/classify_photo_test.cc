#include "examples/classify_photo.h"

#include <cmath>

#include "core/checkpoint.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/optimizer.h"
#include "datasets/image_codec.h"
#include "gtest/gtest.h"

namespace tessera::example {
namespace {

// A linear classifier whose answer is known: class 2's logit is 10 x the
// mean brightness, class 1's bias is 1, everything else 0.
std::string WriteCheckpoint(const Graph& graph) {
  ParameterStore params = ParameterStore::Initialize(graph, 0, Device::kCpu);
  Tensor& weight = params.all().at("fc/weight").value;
  Tensor& bias = params.all().at("fc/bias").value;
  std::fill(weight.data(), weight.data() + weight.num_elements(), 0.f);
  std::fill(bias.data(), bias.data() + bias.num_elements(), 0.f);
  for (int i = 0; i < 784; ++i) weight.data()[2 * 784 + i] = 10.f / 784;
  bias.data()[1] = 1;
  absl::StatusOr<std::unique_ptr<Optimizer>> optimizer =
      Optimizer::Create(OptimizerConfig(), params, Device::kCpu);
  EXPECT_TRUE(optimizer.ok());
  const std::string path = ::testing::TempDir() + "/linear.tsr";
  EXPECT_TRUE(WriteCheckpointFile(path, CaptureCheckpoint(params, **optimizer)).ok());
  return path;
}

std::string WritePhoto(const std::string& name, uint8_t value) {
  datasets::DecodedImage photo;
  photo.width = 60;
  photo.height = 40;
  photo.channels = 3;
  photo.pixels.assign(60 * 40 * 3, value);
  const std::string path = ::testing::TempDir() + "/" + name;
  EXPECT_TRUE(datasets::WriteWholeFile(path, *datasets::EncodeJpeg(photo, 95)).ok());
  return path;
}

TEST(ClassifyPhotoTest, GivesTheModelsProbabilities) {
  const std::string graph_path = "models/linear.pbtxt";
  absl::StatusOr<Graph> graph = Graph::FromTextFile(graph_path);
  ASSERT_TRUE(graph.ok()) << graph.status();
  const std::string checkpoint = WriteCheckpoint(*graph);

  // Black: logits (0, 1, 0, ...): p1 = e / (e + 9).
  absl::StatusOr<std::vector<float>> black =
      ClassifyPhoto(graph_path, checkpoint, WritePhoto("black.jpg", 0), {0}, {1});
  ASSERT_TRUE(black.ok()) << black.status();
  ASSERT_EQ(black->size(), 10u);
  EXPECT_NEAR((*black)[1], std::exp(1.0) / (std::exp(1.0) + 9), 1e-5);
  EXPECT_NEAR((*black)[0], 1 / (std::exp(1.0) + 9), 1e-5);

  // White: class 2's logit is 10.
  absl::StatusOr<std::vector<float>> white =
      ClassifyPhoto(graph_path, checkpoint, WritePhoto("white.jpg", 255), {0}, {1});
  ASSERT_TRUE(white.ok()) << white.status();
  const double others = std::exp(1.0) + 8;
  EXPECT_NEAR((*white)[2], std::exp(10.0) / (std::exp(10.0) + others), 1e-4);

  EXPECT_FALSE(ClassifyPhoto(graph_path, checkpoint, "/nonexistent.jpg", {0}, {1}).ok());
}

}  // namespace
}  // namespace tessera::example
