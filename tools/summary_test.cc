#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/graph.h"
#include "gtest/gtest.h"
#include "tools/flops.h"
#include "tools/model_summary.h"

namespace tessera {
namespace {

const NodeSummary& Find(const GraphSummary& s, const std::string& name) {
  for (const NodeSummary& n : s.nodes) {
    if (n.name == name) return n;
  }
  static NodeSummary none;
  ADD_FAILURE() << "no node " << name;
  return none;
}

TEST(Summary, MlpParametersAndFlops) {
  absl::StatusOr<Graph> graph = Graph::FromTextFile("models/mlp.pbtxt");
  ASSERT_TRUE(graph.ok()) << graph.status();
  for (int64_t batch : {1, 8}) {
    absl::StatusOr<GraphSummary> s = SummarizeGraph(*graph, batch);
    ASSERT_TRUE(s.ok()) << s.status();
    EXPECT_EQ(s->total_params, 784 * 256 + 256 + 256 * 10 + 10);
    EXPECT_EQ(s->trainable_params, s->total_params);
    EXPECT_EQ(s->unused_params, 0);
    EXPECT_EQ(Find(*s, "fc1").params, 784 * 256 + 256);
    EXPECT_EQ(Find(*s, "logits").params, 256 * 10 + 10);
    EXPECT_EQ(Find(*s, "relu1").params, 0);
    EXPECT_EQ(Find(*s, "fc1").flops, 2.0 * 784 * 256 * batch);
    EXPECT_EQ(Find(*s, "logits").flops, 2.0 * 256 * 10 * batch);
    EXPECT_EQ(Find(*s, "fc1").flops + Find(*s, "logits").flops,
              2.0 * (784 * 256 + 256 * 10) * batch);
    EXPECT_EQ(Find(*s, "flat").flops, 0);
    EXPECT_EQ(Find(*s, "relu1").flops, 256.0 * batch);
    EXPECT_EQ(Find(*s, "fc1").output_shapes, (std::vector<Shape>{{batch, 256}}));
    double sum = 0;
    for (const NodeSummary& n : s->nodes) sum += n.flops;
    EXPECT_EQ(s->total_flops, sum);
    EXPECT_TRUE(s->unknown_flop_ops.empty());
    ASSERT_EQ(s->inputs.size(), 2u);
    EXPECT_EQ(s->inputs[0].output_shapes[0], (Shape{batch, 1, 28, 28}));
  }
}

// Known numbers worked out by hand (see the comments).
constexpr char kSmallConv[] = R"(
name: "small_conv"
input { name: "image" shape: [ -1, 3, 8, 8 ] }
input { name: "label" shape: [ -1 ] }
parameter { name: "conv1/weight" shape: [ 4, 3, 3, 3 ] init { type: "he_normal" } }
parameter { name: "conv1/bias" shape: [ 4 ] }
parameter { name: "conv2/weight" shape: [ 6, 2, 3, 3 ] init { type: "he_normal" } }
parameter { name: "up/weight" shape: [ 6, 2, 2, 2 ] init { type: "he_normal" } }
parameter { name: "up/bias" shape: [ 2 ] }
parameter { name: "fc/weight" shape: [ 5, 32 ] init { type: "xavier_uniform" } }
parameter { name: "fc/bias" shape: [ 5 ] }
parameter { name: "unused" shape: [ 7 ] }
# [N,4,8,8]: 2 * (4*8*8) outputs * (3*3*3) = 13824 per image
node { name: "conv1" op: "conv2d" input: "image" input: "conv1/weight" input: "conv1/bias"
       attr { key: "padding" value { ints { v: [ 1, 1 ] } } } }
node { name: "relu1" op: "relu" input: "conv1" }
# [N,4,4,4]: 64 outputs * 4 window = 256
node { name: "pool1" op: "maxpool2d" input: "relu1" attr { key: "kernel" value { ints { v: [ 2, 2 ] } } } }
# groups 2, stride 2, pad 1 -> [N,6,2,2]: 2 * 24 outputs * (2*3*3) = 864
node { name: "conv2" op: "conv2d" input: "pool1" input: "conv2/weight"
       attr { key: "stride" value { ints { v: [ 2, 2 ] } } }
       attr { key: "padding" value { ints { v: [ 1, 1 ] } } }
       attr { key: "groups" value { i: 2 } } }
# [N,6,2,2] -> [N,2,4,4]: 2 * 24 inputs * (2*2*2) = 384
node { name: "up" op: "conv_transpose2d" input: "conv2" input: "up/weight" input: "up/bias"
       attr { key: "stride" value { ints { v: [ 2, 2 ] } } } }
node { name: "flat" op: "flatten" input: "up" }
# 2 * 32 * 5 = 320
node { name: "logits" op: "matmul" input: "flat" input: "fc/weight" input: "fc/bias" }
# 3 * 5 = 15
node { name: "loss" op: "softmax_cross_entropy" input: "logits" input: "label" }
loss: "loss"
output: "logits"
)";

TEST(Summary, SmallConvGraphKnownNumbers) {
  absl::StatusOr<Graph> graph = Graph::FromText(kSmallConv, "small_conv");
  ASSERT_TRUE(graph.ok()) << graph.status();
  absl::StatusOr<GraphSummary> s = SummarizeGraph(*graph, 2);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Find(*s, "conv1").params, 4 * 27 + 4);
  EXPECT_EQ(Find(*s, "conv2").params, 6 * 2 * 9);
  EXPECT_EQ(Find(*s, "up").params, 6 * 2 * 4 + 2);
  EXPECT_EQ(Find(*s, "logits").params, 5 * 32 + 5);
  EXPECT_EQ(s->total_params, 112 + 108 + 50 + 165 + 7);
  EXPECT_EQ(s->unused_params, 7);
  EXPECT_EQ(Find(*s, "conv1").flops, 2 * 13824);
  EXPECT_EQ(Find(*s, "relu1").flops, 2 * 256);
  EXPECT_EQ(Find(*s, "pool1").flops, 2 * 256);
  EXPECT_EQ(Find(*s, "conv2").flops, 2 * 864);
  EXPECT_EQ(Find(*s, "up").output_shapes[0], (Shape{2, 2, 4, 4}));
  EXPECT_EQ(Find(*s, "up").flops, 2 * 384);
  EXPECT_EQ(Find(*s, "logits").flops, 2 * 320);
  EXPECT_EQ(Find(*s, "loss").flops, 2 * 15);
  EXPECT_EQ(s->total_flops, 2.0 * (13824 + 256 + 256 + 864 + 384 + 320 + 15));
  const std::string text = FormatSummary(*s);
  EXPECT_NE(text.find("442 (0.00 M)"), std::string::npos) << text;
  EXPECT_NE(text.find("7 in parameters that no node reads"), std::string::npos) << text;
}

TEST(Summary, SharedParameterCountsOnce) {
  absl::StatusOr<Graph> graph = Graph::FromText(R"(
name: "shared"
input { name: "x" shape: [ -1, 4 ] }
parameter { name: "w" shape: [ 4, 4 ] }
parameter { name: "stat" shape: [ 4 ] frozen: true }
node { name: "a" op: "matmul" input: "x" input: "w" }
node { name: "b" op: "matmul" input: "a" input: "w" input: "stat" }
output: "b"
)",
                                                "shared");
  ASSERT_TRUE(graph.ok()) << graph.status();
  absl::StatusOr<GraphSummary> s = SummarizeGraph(*graph, 1);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Find(*s, "a").params, 16);
  EXPECT_EQ(Find(*s, "b").params, 4);
  EXPECT_EQ(s->total_params, 20);
  EXPECT_EQ(s->trainable_params, 16);
  EXPECT_EQ(s->total_flops, 2.0 * 2 * 16);
}

TEST(Summary, UnknownOpsAndBadBatch) {
  EXPECT_FALSE(ForwardFlops("some_future_op", Attrs(), {{1, 2}}, {{1, 2}}).known);
  EXPECT_TRUE(ForwardFlops("reshape", Attrs(), {{1, 2}}, {{2, 1}}).known);
  // Malformed shapes give "unknown", not a crash.
  EXPECT_FALSE(ForwardFlops("conv2d", Attrs(), {{1, 2}}, {{1, 2}}).known);
  absl::StatusOr<Graph> graph = Graph::FromTextFile("models/mlp.pbtxt");
  ASSERT_TRUE(graph.ok());
  EXPECT_FALSE(SummarizeGraph(*graph, 0).ok());
}

TEST(Summary, Formatting) {
  EXPECT_EQ(WithThousands(0), "0");
  EXPECT_EQ(WithThousands(999), "999");
  EXPECT_EQ(WithThousands(1000), "1,000");
  EXPECT_EQ(WithThousands(203530), "203,530");
  EXPECT_EQ(WithThousands(-1234567), "-1,234,567");
  EXPECT_EQ(HumanFlops(406814), "0.41 MFLOP");
  EXPECT_EQ(HumanFlops(3.2e9), "3.20 GFLOP");
}

std::string RunSummary(const std::string& args, int* status) {
  const std::string out = ::testing::TempDir() + "/summary_out.txt";
  *status = std::system(absl::StrCat("tools/summary ", args, " >", out, " 2>&1").c_str());
  FILE* f = fopen(out.c_str(), "r");
  std::string s;
  for (int c; f && (c = fgetc(f)) != EOF;) s.push_back(static_cast<char>(c));
  if (f) fclose(f);
  return s;
}

TEST(SummaryBinary, PrintsTableAndTotals) {
  int status = 0;
  const std::string out = RunSummary("--graph=models/mlp.pbtxt", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("Parameters: 203,530 (0.20 M)"), std::string::npos) << out;
  EXPECT_NE(out.find("401,408"), std::string::npos) << out;  // fc1's FLOPs
  EXPECT_NE(out.find("MFLOP"), std::string::npos) << out;
  EXPECT_NE(out.find("softmax_cross_entropy"), std::string::npos) << out;
  // The memory estimate the trainers print, for the batch given.
  EXPECT_NE(out.find("memory estimate for a training step at batch 1: "), std::string::npos) << out;
  EXPECT_NE(out.find("optimizer state 814.1 KB"), std::string::npos) << out;
  const std::string adam = RunSummary("--graph=models/mlp.pbtxt --optimizer_state=2", &status);
  EXPECT_NE(adam.find("optimizer state 1.6 MB"), std::string::npos) << adam;
}

TEST(SummaryBinary, BadInputsFailWithAMessage) {
  int status = 0;
  std::string out = RunSummary("--graph=/nonexistent.pbtxt", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("summary: "), std::string::npos) << out;
  EXPECT_NE(out.find("nonexistent.pbtxt"), std::string::npos) << out;
  out = RunSummary("", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("--graph is required"), std::string::npos) << out;
  out = RunSummary("--graph=models/mlp.pbtxt --batch=0", &status);
  EXPECT_NE(status, 0);
  EXPECT_NE(out.find("batch must be at least 1"), std::string::npos) << out;
}

}  // namespace
}  // namespace tessera
