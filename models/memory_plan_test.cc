// The executor's memory plan (ExecutorOptions::release_values): training
// with it gives bitwise the same parameters as without, values nothing
// needs are released (Value() says so), and relu runs in place on the
// convolution's output, which its gradient does not read.

#include <memory>
#include <string>

#include "core/executor.h"
#include "core/graph.h"
#include "core/optimizer.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

constexpr char kGraph[] = R"pb(
  name: "plan"
  input {
    name: "image"
    shape: [ -1, 2, 6, 6 ]
  }
  input {
    name: "label"
    shape: [ -1 ]
  }
  parameter {
    name: "w"
    shape: [ 3, 2, 3, 3 ]
    init { type: "he_normal" }
  }
  parameter {
    name: "b"
    shape: [ 3 ]
  }
  parameter {
    name: "fc"
    shape: [ 4, 12 ]
    init { type: "xavier_uniform" }
  }
  node { name: "conv" op: "conv2d" input: "image" input: "w" input: "b" }
  node { name: "act" op: "relu" input: "conv" }
  node {
    name: "pool"
    op: "maxpool2d"
    input: "act"
    attr {
      key: "kernel"
      value { ints { v: [ 2, 2 ] } }
    }
  }
  node { name: "flat" op: "flatten" input: "pool" }
  node { name: "logits" op: "matmul" input: "flat" input: "fc" }
  node { name: "loss" op: "softmax_cross_entropy" input: "logits" input: "label" }
  loss: "loss"
  output: "logits"
)pb";

std::map<std::string, Tensor> Batch(int step) {
  std::vector<float> image(4 * 2 * 6 * 6), label(4);
  for (size_t i = 0; i < image.size(); ++i) image[i] = 0.01f * ((i * 37 + step * 11) % 101) - 0.5f;
  for (size_t i = 0; i < label.size(); ++i) label[i] = static_cast<float>((i + step) % 4);
  return {{"image", Tensor::FromVector({4, 2, 6, 6}, image)},
          {"label", Tensor::FromVector({4}, label)}};
}

// An executor after training, with the parameters it refers to (declared
// first, so destroyed last).
struct Trained {
  std::unique_ptr<ParameterStore> params;
  std::unique_ptr<Executor> executor;
};

// Three optimizer steps; returns the parameters and the optimizer's state.
// `fused`: the update runs in the backward pass (Optimizer::fused_update).
// With `keep`, also runs one more training forward and hands over the
// executor and its parameters.
std::map<std::string, std::vector<float>> Train(const Graph& graph, bool release,
                                                Trained* keep = nullptr, bool fused = false,
                                                const std::string& optimizer = "sgd") {
  auto params =
      std::make_unique<ParameterStore>(ParameterStore::Initialize(graph, 5, Device::kCpu));
  std::unique_ptr<Executor> executor =
      *Executor::Create(graph, *params, {Device::kCpu, false, release});
  OptimizerConfig config;
  config.type = optimizer;
  config.weight_decay = 0.01f;
  std::unique_ptr<Optimizer> opt = *Optimizer::Create(config, *params, Device::kCpu);
  if (fused) executor->AddHook(opt->fused_update());
  for (int step = 0; step < 3; ++step) {
    const float lr = 0.1f / (step + 1);
    if (fused) opt->BeginFusedStep(lr);
    EXPECT_TRUE(executor->Forward(Batch(step), /*training=*/true).ok());
    EXPECT_TRUE(executor->Backward().ok());
    if (fused) {  // every gradient was applied and released in the backward pass
      for (const auto& [name, p] : params->all()) EXPECT_FALSE(p.grad.defined()) << name;
    }
    opt->Step(lr);
  }
  std::map<std::string, std::vector<float>> values;
  for (const auto& [name, p] : params->all()) values[name] = p.value.ToVector();
  for (const auto& [name, t] : opt->State()) values[name] = t->ToVector();
  if (keep != nullptr) {
    EXPECT_TRUE(executor->Forward(Batch(9), /*training=*/true).ok());
    keep->executor = std::move(executor);
    keep->params = std::move(params);
  }
  return values;
}

TEST(MemoryPlan, ReleasingGivesBitwiseTheSameTraining) {
  absl::StatusOr<Graph> graph = Graph::FromText(kGraph, "plan");
  ASSERT_TRUE(graph.ok()) << graph.status();
  EXPECT_EQ(Train(*graph, /*release=*/true), Train(*graph, /*release=*/false));
}

TEST(MemoryPlan, TheFusedUpdateGivesBitwiseTheSameTraining) {
  absl::StatusOr<Graph> graph = Graph::FromText(kGraph, "plan");
  ASSERT_TRUE(graph.ok()) << graph.status();
  for (const char* optimizer : {"sgd", "adam"}) {
    EXPECT_EQ(Train(*graph, /*release=*/true, nullptr, /*fused=*/true, optimizer),
              Train(*graph, /*release=*/false, nullptr, /*fused=*/false, optimizer))
        << optimizer;
  }
}

TEST(MemoryPlan, ReleasesWhatNothingNeedsAndKeepsOutputs) {
  absl::StatusOr<Graph> graph = Graph::FromText(kGraph, "plan");
  ASSERT_TRUE(graph.ok()) << graph.status();
  Trained trained;
  Train(*graph, /*release=*/true, &trained);
  Executor* executor = trained.executor.get();
  // conv's output: relu's gradient reads y, conv's reads x and w.
  absl::StatusOr<Tensor> conv = executor->Value("conv");
  ASSERT_FALSE(conv.ok());
  EXPECT_NE(conv.status().message().find("was released"), std::string::npos) << conv.status();
  // flatten's gradient reads nothing, so pool's output goes too.
  EXPECT_FALSE(executor->Value("pool").ok());
  // What gradients read, and what the caller reads, stays.
  EXPECT_TRUE(executor->Value("act").ok());
  EXPECT_TRUE(executor->Value("flat").ok());
  EXPECT_TRUE(executor->Value("logits").ok());
  EXPECT_TRUE(executor->Loss().ok());
  // Input gradients need every value.
  EXPECT_FALSE(executor->BackwardFrom({}, {"image"}).ok());
}

TEST(MemoryPlan, ReluRunsInPlaceOnTheConvolutionOutput) {
  absl::StatusOr<Graph> graph = Graph::FromText(kGraph, "plan");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ParameterStore params = ParameterStore::Initialize(*graph, 5, Device::kCpu);
  std::unique_ptr<Executor> executor =
      *Executor::Create(*graph, params, {Device::kCpu, false, /*release_values=*/true});
  // A hook sees relu's input and output share storage.
  struct SameStorage : ExecutorHook {
    bool in_place = false;
    absl::Status AfterNode(const NodeCall& call) override {
      if (!call.gradient && call.node.name == "act") {
        in_place = call.inputs[0].data() == call.outputs[0].data();
      }
      return absl::OkStatus();
    }
  } hook;
  executor->AddHook(&hook);
  ASSERT_TRUE(executor->Forward(Batch(0), /*training=*/true).ok());
  EXPECT_TRUE(hook.in_place);
  ASSERT_TRUE(executor->Backward().ok());
}

// Whether node `name`'s forward wrote its output into its input's storage.
struct InPlaceHook : ExecutorHook {
  explicit InPlaceHook(std::string name) : name(std::move(name)) {}
  std::string name;
  bool in_place = false;
  absl::Status AfterNode(const NodeCall& call) override {
    if (!call.gradient && call.node.name == name)
      in_place = call.inputs[0].data() == call.outputs[0].data();
    return absl::OkStatus();
  }
};

TEST(MemoryPlan, AnotherReaderOfTheInputKeepsTheOpOutOfPlace) {
  // relu is InPlace, but "sum" still reads conv after it: relu must write
  // a buffer of its own. The sum, conv's last reader, then runs in place on
  // conv's output (no gradient reads it).
  std::string text = kGraph;
  const std::string pool = "input: \"act\"\n    attr";
  text.replace(text.find(pool), pool.size(), "input: \"sum\"\n    attr");
  const std::string pool_node = "  node {\n    name: \"pool\"";
  text.insert(text.find(pool_node),
              "  node { name: \"sum\" op: \"add\" input: \"conv\" input: \"act\" }\n");
  absl::StatusOr<Graph> graph = Graph::FromText(text, "plan");
  ASSERT_TRUE(graph.ok()) << graph.status() << text;
  ParameterStore params = ParameterStore::Initialize(*graph, 5, Device::kCpu);
  std::unique_ptr<Executor> executor =
      *Executor::Create(*graph, params, {Device::kCpu, false, /*release_values=*/true});
  InPlaceHook relu("act"), sum("sum");
  executor->AddHook(&relu);
  executor->AddHook(&sum);
  ASSERT_TRUE(executor->Forward(Batch(0), /*training=*/true).ok());
  EXPECT_FALSE(relu.in_place);
  EXPECT_TRUE(sum.in_place);
  ASSERT_TRUE(executor->Backward().ok());
  // And the result is the one without the plan, bit for bit.
  EXPECT_EQ(Train(*graph, /*release=*/true), Train(*graph, /*release=*/false));
}

}  // namespace
}  // namespace tessera
