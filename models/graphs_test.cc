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

TEST(ModelGraphs, MlpHasTheExpectedParameterCount) {
  absl::StatusOr<Graph> graph = Graph::FromTextFile("models/mlp.pbtxt");
  ASSERT_TRUE(graph.ok()) << graph.status();
  int64_t total = 0;
  for (const auto& p : graph->def().parameter()) {
    int64_t n = 1;
    for (int64_t d : p.shape()) n *= d;
    total += n;
  }
  EXPECT_EQ(total, 784 * 256 + 256 + 256 * 10 + 10);
}

}  // namespace
}  // namespace tessera
