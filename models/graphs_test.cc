#include <filesystem>

#include "core/graph.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

TEST(ModelGraphs, EveryPbtxtBuilds) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("models")) {
    if (entry.path().extension() != ".pbtxt") continue;
    ++count;
    absl::StatusOr<Graph> graph = Graph::FromTextFile(entry.path().string());
    EXPECT_TRUE(graph.ok()) << graph.status();
  }
  EXPECT_GE(count, 2);
}

int64_t ParameterCount(const std::string& path) {
  absl::StatusOr<Graph> graph = Graph::FromTextFile(path);
  EXPECT_TRUE(graph.ok()) << graph.status();
  if (!graph.ok()) return -1;
  int64_t total = 0;
  for (const auto& p : graph->def().parameter()) {
    int64_t n = 1;
    for (int64_t d : p.shape()) n *= d;
    total += n;
  }
  return total;
}

TEST(ModelGraphs, ParameterCounts) {
  EXPECT_EQ(ParameterCount("models/mlp.pbtxt"), 784 * 256 + 256 + 256 * 10 + 10);
  // Caffe's bvlc_alexnet, with the two towers: the paper's 60 million.
  EXPECT_EQ(ParameterCount("models/alexnet.pbtxt"), 60965224);
}

TEST(ModelGraphs, AlexNetShapes) {
  absl::StatusOr<Graph> graph = Graph::FromTextFile("models/alexnet.pbtxt");
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto shapes = graph->InferShapes(1);
  ASSERT_TRUE(shapes.ok()) << shapes.status();
  EXPECT_EQ(shapes->at("conv1"), (Shape{1, 96, 55, 55}));
  EXPECT_EQ(shapes->at("pool2"), (Shape{1, 256, 13, 13}));
  EXPECT_EQ(shapes->at("pool5"), (Shape{1, 256, 6, 6}));
  EXPECT_EQ(shapes->at("logits"), (Shape{1, 1000}));
}

}  // namespace
}  // namespace tessera
