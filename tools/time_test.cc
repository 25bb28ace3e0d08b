#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/backend.h"
#include "core/graph.h"
#include "gtest/gtest.h"
#include "tools/node_timing.h"

namespace tessera {
namespace {

TEST(Time, OneIterationOnTheMlp) {
  absl::StatusOr<Graph> graph = Graph::FromTextFile("models/mlp.pbtxt");
  ASSERT_TRUE(graph.ok()) << graph.status();
  TimingOptions options;
  options.batch = 4;
  options.iterations = 1;
  options.warmup = 0;
  absl::StatusOr<TimingReport> report = TimeGraph(*graph, options);
  ASSERT_TRUE(report.ok()) << report.status();
  ASSERT_EQ(report->nodes.size(), 5u);
  EXPECT_EQ(report->nodes[1].name, "fc1");
  EXPECT_EQ(report->nodes[1].op, "matmul");
  // No parameter feeds 'flat', so no gradient goes through it; fc1 and the
  // loss have one.
  EXPECT_FALSE(report->nodes[0].has_backward);
  EXPECT_TRUE(report->nodes[1].has_backward);
  EXPECT_TRUE(report->nodes[4].has_backward);
  // Every node's forward was timed (an untimed one stays exactly 0), a
  // backward only where there is one, and the per-node times, taken inside
  // the passes, add up to no more than the passes.
  double node_forward = 0, node_backward = 0;
  for (const NodeTiming& n : report->nodes) {
    EXPECT_GT(n.forward_ms, 0) << n.name;
    if (n.has_backward) {
      EXPECT_GT(n.backward_ms, 0) << n.name;
    } else {
      EXPECT_EQ(n.backward_ms, 0) << n.name;
    }
    node_forward += n.forward_ms;
    node_backward += n.backward_ms;
  }
  EXPECT_LE(node_forward, report->forward_ms * (1 + 1e-9));
  EXPECT_LE(node_backward, report->backward_ms * (1 + 1e-9));
  EXPECT_GT(report->step_ms, 0);
  EXPECT_GE(report->step_ms, report->forward_ms + report->backward_ms - 1e-9);
  EXPECT_GT(report->images_per_second, 0);
  const std::string text = FormatTimingReport(*report);
  EXPECT_NE(text.find("images/s"), std::string::npos) << text;
  EXPECT_NE(text.find("fc1"), std::string::npos) << text;
}

TEST(Time, RandomLabelsAreValidClassIndices) {
  absl::StatusOr<Graph> graph = Graph::FromTextFile("models/mlp.pbtxt");
  ASSERT_TRUE(graph.ok());
  absl::StatusOr<std::map<std::string, Tensor>> feeds = RandomFeeds(*graph, 500, 3);
  ASSERT_TRUE(feeds.ok()) << feeds.status();
  bool saw_zero = false, saw_nine = false;
  for (float v : feeds->at("label").ToVector()) {
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 10);
    EXPECT_EQ(v, std::floor(v));
    saw_zero |= v == 0;
    saw_nine |= v == 9;
  }
  EXPECT_TRUE(saw_zero && saw_nine);
  for (float v : feeds->at("image").ToVector()) {
    EXPECT_GE(v, 0);
    EXPECT_LE(v, 1);
  }
  EXPECT_EQ(feeds->at("image").shape(), (Shape{500, 1, 28, 28}));
}

TEST(Time, GraphWithoutALossGoesBackFromItsOutputs) {
  absl::StatusOr<Graph> graph = Graph::FromText(R"(
name: "no_loss"
input { name: "x" shape: [ -1, 3 ] }
parameter { name: "w" shape: [ 2, 3 ] init { type: "xavier_uniform" } }
node { name: "y" op: "matmul" input: "x" input: "w" }
node { name: "z" op: "relu" input: "y" }
output: "z"
)",
                                                "no_loss");
  ASSERT_TRUE(graph.ok()) << graph.status();
  TimingOptions options;
  options.batch = 2;
  options.iterations = 2;
  absl::StatusOr<TimingReport> report = TimeGraph(*graph, options);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->nodes[0].has_backward);
  EXPECT_NE(report->backward_from.find("outputs"), std::string::npos);
}

TEST(Time, BadOptionsAndDevices) {
  absl::StatusOr<Graph> graph = Graph::FromTextFile("models/mlp.pbtxt");
  ASSERT_TRUE(graph.ok());
  TimingOptions options;
  options.iterations = 0;
  EXPECT_FALSE(TimeGraph(*graph, options).ok());
  options.iterations = 1;
  options.batch = 0;
  EXPECT_FALSE(TimeGraph(*graph, options).ok());
  EXPECT_TRUE(ParseDevice("cpu").ok());
  EXPECT_FALSE(ParseDevice("tpu").ok());
  absl::StatusOr<Device> gpu = ParseDevice("gpu");
  if (GetBackend(Device::kCuda) == nullptr) {
    ASSERT_FALSE(gpu.ok());
    EXPECT_NE(gpu.status().message().find("no CUDA backend"), std::string::npos) << gpu.status();
  } else {
    EXPECT_TRUE(gpu.ok());
  }
}

std::string RunTime(const std::string& args, int* status) {
  const std::string out = ::testing::TempDir() + "/time_out.txt";
  *status = std::system(absl::StrCat("tools/time ", args, " >", out, " 2>&1").c_str());
  FILE* f = fopen(out.c_str(), "r");
  std::string s;
  for (int c; f && (c = fgetc(f)) != EOF;) s.push_back(static_cast<char>(c));
  if (f) fclose(f);
  return s;
}

TEST(TimeBinary, RunsAndFailsClearly) {
  int status = 0;
  std::string out =
      RunTime("--graph=models/mlp.pbtxt --batch=8 --iterations=1 --threads=1", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("images/s"), std::string::npos) << out;
  EXPECT_NE(out.find("(1 threads)"), std::string::npos) << out;
  if (GetBackend(Device::kCuda) == nullptr) {
    out = RunTime("--graph=models/mlp.pbtxt --device=gpu", &status);
    EXPECT_NE(status, 0);
    EXPECT_NE(out.find("time: --device=gpu: no CUDA backend"), std::string::npos) << out;
  }
  out = RunTime("--graph=models/mlp.pbtxt --iterations=0", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("--iterations must be at least 1"), std::string::npos) << out;
}

}  // namespace
}  // namespace tessera
