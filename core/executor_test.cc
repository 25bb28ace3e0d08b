#include "core/executor.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/backend.h"
#include "core/graph.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

TEST(Executor, FanOutGradientsAreSummed) {
  absl::StatusOr<Graph> graph =
      Graph::FromText(R"pb(
                        input {
                          name: "x"
                          shape: [ 2 ]
                        }
                        parameter {
                          name: "w"
                          shape: [ 2 ]
                          init { type: "constant" value: 0.5 }
                        }
                        node { name: "xw" op: "test_mul" input: "x" input: "w" }
                        node { name: "sum" op: "test_add" input: "xw" input: "w" }
                        node {
                          name: "scaled"
                          op: "test_scale"
                          input: "sum"
                          attr {
                            key: "factor"
                            value { f: 3 }
                          }
                        }
                        node { name: "loss" op: "test_sum" input: "scaled" }
                        loss: "loss"
                      )pb",
                      "fan_out");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ParameterStore params = ParameterStore::Initialize(*graph, 1, Device::kCpu);
  std::unique_ptr<Executor> executor_ptr = *Executor::Create(*graph, params);
  Executor& executor = *executor_ptr;
  ASSERT_TRUE(executor.Forward({{"x", Tensor::FromVector({2}, {1, -2})}}, true).ok());
  // (1*0.5 + 0.5)*3 + (-2*0.5 + 0.5)*3 = 3 - 1.5.
  EXPECT_FLOAT_EQ(*executor.Loss(), 1.5f);
  ASSERT_TRUE(executor.Backward().ok());
  EXPECT_EQ(params.Find("w")->grad.ToVector(), (std::vector<float>{3 * (1 + 1), 3 * (-2 + 1)}));
}

// The gradient of the parameter "w" of `text` after one forward and
// backward pass, with `add` standing for every "ADD" in it.
std::vector<float> ParameterGradient(std::string text, const std::string& add,
                                     ExecutorHook* hook = nullptr, bool release = false) {
  for (size_t at = text.find("ADD"); at != std::string::npos; at = text.find("ADD"))
    text.replace(at, 3, add);
  absl::StatusOr<Graph> graph = Graph::FromText(text, "pass_through");
  EXPECT_TRUE(graph.ok()) << graph.status();
  if (!graph.ok()) return {};
  ParameterStore params = ParameterStore::Initialize(*graph, 1, Device::kCpu);
  std::unique_ptr<Executor> executor =
      *Executor::Create(*graph, params, {Device::kCpu, false, release});
  if (hook != nullptr) executor->AddHook(hook);
  EXPECT_TRUE(executor->Forward({}, /*training=*/true).ok());
  EXPECT_TRUE(executor->Backward().ok());
  return params.Find("w")->grad.ToVector();
}

// w -> a = 2w, b = 3w, c = 5a; s = a + b; loss = sum(s + c). When s's
// gradient runs, neither a nor b has a gradient yet: only one of them may
// take s's output gradient's buffer, since c's gradient is then added into
// a's (were b holding the same buffer, it would read 6 where 1 is right).
constexpr char kTwoFreshInputs[] = R"pb(
  parameter {
    name: "w"
    shape: [ 3 ]
    init { type: "constant" value: 0.5 }
  }
  node {
    name: "a"
    op: "test_scale"
    input: "w"
    attr {
      key: "factor"
      value { f: 2 }
    }
  }
  node {
    name: "b"
    op: "test_scale"
    input: "w"
    attr {
      key: "factor"
      value { f: 3 }
    }
  }
  node {
    name: "c"
    op: "test_scale"
    input: "a"
    attr {
      key: "factor"
      value { f: 5 }
    }
  }
  node { name: "s" op: "ADD" input: "a" input: "b" }
  node { name: "t" op: "ADD" input: "s" input: "c" }
  node { name: "loss" op: "test_sum" input: "t" }
  loss: "loss"
)pb";

// Sees, for the gradient of node `name`, which input gradients the kernel
// was asked for and which share the output gradient's buffer afterwards.
struct PassThroughHook : ExecutorHook {
  explicit PassThroughHook(std::string name) : name(std::move(name)) {}
  absl::Status BeforeNode(const NodeCall& call) override {
    if (call.gradient && call.node.name == name) {
      for (const Tensor& g : *call.input_grads) asked.push_back(g.defined());
    }
    return absl::OkStatus();
  }
  absl::Status AfterNode(const NodeCall& call) override {
    if (call.gradient && call.node.name == name) {
      for (const Tensor& g : *call.input_grads) {
        shares.push_back(g.defined() && g.data() == (*call.output_grads)[0].data());
      }
    }
    return absl::OkStatus();
  }
  std::string name;
  std::vector<bool> asked, shares;
};

TEST(Executor, GradientPassingThroughHandsTheBufferToOneInput) {
  PassThroughHook hook("s");
  const std::vector<float> grad = ParameterGradient(kTwoFreshInputs, "test_add", &hook);
  // d/dw sum(2w + 3w + 10w) = 15.
  EXPECT_EQ(grad, (std::vector<float>{15, 15, 15}));
  // a takes dy's buffer; b's gradient the kernel writes.
  EXPECT_EQ(hook.asked, (std::vector<bool>{false, true}));
  EXPECT_EQ(hook.shares, (std::vector<bool>{true, false}));
  // Bitwise what copying kernels give, with and without the memory plan.
  EXPECT_EQ(grad, ParameterGradient(kTwoFreshInputs, "test_add_copying"));
  EXPECT_EQ(grad, ParameterGradient(kTwoFreshInputs, "test_add", nullptr, /*release=*/true));
}

TEST(Executor, GradientPassingThroughAddsIntoAnExistingGradient) {
  // u = a + s reads a after s (the nodes run in an order where u follows
  // s, which it reads): when s's gradient runs, a has u's gradient
  // already, and s's output gradient is added into it (no buffer asked of
  // the kernel); b, with none yet, takes the buffer.
  std::string text = kTwoFreshInputs;
  const std::string t = R"(node { name: "t" op: "ADD" input: "s" input: "c" })";
  text.replace(text.find(t), t.size(), R"(
    node { name: "u" op: "test_add_copying" input: "a" input: "s" }
    node { name: "t" op: "ADD" input: "u" input: "c" })");
  PassThroughHook hook("s");
  const std::vector<float> grad = ParameterGradient(text, "test_add", &hook);
  // d/dw sum(2w + (2w + 3w) + 10w) = 17.
  EXPECT_EQ(grad, (std::vector<float>{17, 17, 17}));
  EXPECT_EQ(hook.asked, (std::vector<bool>{false, false}));
  EXPECT_EQ(hook.shares, (std::vector<bool>{true, true}));
  EXPECT_EQ(grad, ParameterGradient(text, "test_add_copying"));
}

TEST(Executor, GradientPassingThroughAnInputReadTwiceByTheNode) {
  // s = a + a: one input name twice, so the kernel writes both gradients
  // (the sum into the first would write the buffer the second reads).
  std::string text = kTwoFreshInputs;
  const std::string s = R"(input: "a" input: "b" })";
  text.replace(text.find(s), s.size(), R"(input: "a" input: "a" })");
  PassThroughHook hook("s");
  const std::vector<float> grad = ParameterGradient(text, "test_add", &hook);
  // d/dw sum(4w + 10w) = 14.
  EXPECT_EQ(grad, (std::vector<float>{14, 14, 14}));
  EXPECT_EQ(hook.asked, (std::vector<bool>{true, true}));
  EXPECT_EQ(grad, ParameterGradient(text, "test_add_copying"));
}

// test_double's optional output "d:1" (x + 1): computed only for a reader.
std::string OptionalOutputGraph(const std::string& extra) {
  return absl::StrCat(R"pb(
    input {
      name: "x"
      shape: [ 2 ]
    }
    parameter {
      name: "w"
      shape: [ 2 ]
      init { type: "constant" value: 3 }
    }
    node { name: "xw" op: "test_mul" input: "x" input: "w" }
    node { name: "d" op: "test_double" input: "xw" }
  )pb",
                      extra);
}

struct OptionalOutputHook : ExecutorHook {
  absl::Status AfterNode(const NodeCall& call) override {
    if (call.node.name != "d") return absl::OkStatus();
    if (call.gradient) {
      extra_grad_defined = (*call.output_grads)[1].defined();
    } else {
      extra_computed = call.outputs[1].defined();
    }
    return absl::OkStatus();
  }
  bool extra_computed = true, extra_grad_defined = true;
};

TEST(Executor, OptionalOutputNothingReadsIsNotComputed) {
  for (bool release : {false, true}) {
    absl::StatusOr<Graph> graph = Graph::FromText(
        OptionalOutputGraph(R"(node { name: "loss" op: "test_sum" input: "d" } loss: "loss")"),
        "optional");
    ASSERT_TRUE(graph.ok()) << graph.status();
    ParameterStore params = ParameterStore::Initialize(*graph, 1, Device::kCpu);
    std::unique_ptr<Executor> executor =
        *Executor::Create(*graph, params, {Device::kCpu, /*check_numerics=*/true, release});
    OptionalOutputHook hook;
    executor->AddHook(&hook);
    ASSERT_TRUE(executor->Forward({{"x", Tensor::FromVector({2}, {1, -2})}}, true).ok());
    EXPECT_FALSE(hook.extra_computed);
    absl::StatusOr<Tensor> extra = executor->Value("d:1");
    ASSERT_FALSE(extra.ok());
    EXPECT_NE(extra.status().message().find("optional output that nothing in the graph reads"),
              std::string::npos)
        << extra.status();
    ASSERT_TRUE(executor->Backward().ok());
    EXPECT_FALSE(hook.extra_grad_defined) << "no zeros are made for its gradient";
    // loss = sum(2 x w): dw = 2x.
    EXPECT_EQ(params.Find("w")->grad.ToVector(), (std::vector<float>{2, -4}));
  }
}

TEST(Executor, OptionalOutputWithAReaderIsComputed) {
  // Read by a node: computed, and its gradient flows back.
  absl::StatusOr<Graph> graph = Graph::FromText(OptionalOutputGraph(R"(
    node { name: "both" op: "test_add" input: "d" input: "d:1" }
    node { name: "loss" op: "test_sum" input: "both" }
    loss: "loss")"),
                                                "optional_read");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ParameterStore params = ParameterStore::Initialize(*graph, 1, Device::kCpu);
  std::unique_ptr<Executor> executor = *Executor::Create(*graph, params);
  OptionalOutputHook hook;
  executor->AddHook(&hook);
  ASSERT_TRUE(executor->Forward({{"x", Tensor::FromVector({2}, {1, -2})}}, true).ok());
  EXPECT_TRUE(hook.extra_computed);
  EXPECT_EQ(executor->Value("d:1")->ToVector(), (std::vector<float>{4, -5}));
  ASSERT_TRUE(executor->Backward().ok());
  EXPECT_TRUE(hook.extra_grad_defined);
  // loss = sum(2xw + xw + 1): dw = 3x.
  EXPECT_EQ(params.Find("w")->grad.ToVector(), (std::vector<float>{3, -6}));

  // A graph output: computed; no gradient flows back into it.
  graph = Graph::FromText(OptionalOutputGraph(R"(
    node { name: "loss" op: "test_sum" input: "d" }
    loss: "loss"
    output: "d:1")"),
                          "optional_output");
  ASSERT_TRUE(graph.ok()) << graph.status();
  params = ParameterStore::Initialize(*graph, 1, Device::kCpu);
  executor = *Executor::Create(*graph, params, {Device::kCpu, false, /*release_values=*/true});
  OptionalOutputHook output_hook;
  executor->AddHook(&output_hook);
  ASSERT_TRUE(executor->Forward({{"x", Tensor::FromVector({2}, {1, -2})}}, true).ok());
  EXPECT_TRUE(output_hook.extra_computed);
  EXPECT_EQ(executor->Value("d:1")->ToVector(), (std::vector<float>{4, -5}));
  ASSERT_TRUE(executor->Backward().ok());
  EXPECT_FALSE(output_hook.extra_grad_defined);
  EXPECT_EQ(params.Find("w")->grad.ToVector(), (std::vector<float>{2, -4}));
}

// An allocation over the backend's limit (TESSERA_MEMORY_LIMIT_BYTES, or
// set_memory_limit as here) is a ResourceExhausted status naming the node,
// the bytes and the device, not a std::bad_alloc that ends the process; the
// executor works again once memory is there.
TEST(Executor, AllocationFailureIsAStatusNamingTheNode) {
  absl::StatusOr<Graph> graph =
      Graph::FromText(R"pb(
                        input {
                          name: "x"
                          shape: [ -1, 1000 ]
                        }
                        parameter {
                          name: "w"
                          shape: [ 1000 ]
                          init { type: "constant" value: 1 }
                        }
                        node { name: "scaled" op: "test_scale" input: "x" }
                        node { name: "loss" op: "test_sum" input: "scaled" }
                        loss: "loss"
                      )pb",
                      "oom");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ParameterStore params = ParameterStore::Initialize(*graph, 1, Device::kCpu);
  std::unique_ptr<Executor> executor = *Executor::Create(*graph, params);
  const Tensor x = Tensor::Filled({1000, 1000}, 1.0f);  // 4 MB
  Backend& cpu = *GetBackend(Device::kCpu);
  const size_t previous = cpu.memory_limit();
  cpu.set_memory_limit(1);  // less than is held already: every allocation fails
  absl::Status status = executor->Forward({{"x", x}}, /*training=*/true);
  cpu.set_memory_limit(previous);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_NE(status.message().find("node 'scaled' (op test_scale)"), std::string::npos) << status;
  EXPECT_NE(status.message().find("out of memory on cpu"), std::string::npos) << status;
  EXPECT_NE(status.message().find("(4000000 bytes)"), std::string::npos) << status;
  EXPECT_NE(status.message().find("TESSERA_MEMORY_LIMIT_BYTES"), std::string::npos) << status;

  ASSERT_TRUE(executor->Forward({{"x", x}}, /*training=*/true).ok());
  EXPECT_FLOAT_EQ(*executor->Loss(), 2e6f);
}

TEST(Executor, BackwardFromAnOutputGivesInputGradients) {
  absl::StatusOr<Graph> graph =
      Graph::FromText(R"pb(
                        input {
                          name: "x"
                          shape: [ 3 ]
                        }
                        parameter {
                          name: "w"
                          shape: [ 3 ]
                          init { type: "constant" value: 2 }
                        }
                        node { name: "y" op: "test_mul" input: "x" input: "w" }
                        output: "y"
                      )pb",
                      "from_output");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ParameterStore params = ParameterStore::Initialize(*graph, 1, Device::kCpu);
  std::unique_ptr<Executor> executor_ptr = *Executor::Create(*graph, params);
  Executor& executor = *executor_ptr;
  ASSERT_TRUE(executor.Forward({{"x", Tensor::FromVector({3}, {1, 2, 3})}}, false).ok());
  auto grads = executor.BackwardFrom({{"y", Tensor::FromVector({3}, {1, 0, -1})}}, {"x"});
  ASSERT_TRUE(grads.ok()) << grads.status();
  EXPECT_EQ(grads->at("x").ToVector(), (std::vector<float>{2, 0, -2}));
  EXPECT_EQ(params.Find("w")->grad.ToVector(), (std::vector<float>{1, 0, -3}));
  EXPECT_FALSE(executor.BackwardFrom({{"y", Tensor::Zeros({4})}}, {}).ok()) << "wrong shape";
  EXPECT_FALSE(executor.BackwardFrom({{"y", Tensor::Zeros({3})}}, {"w"}).ok()) << "not an input";
}

TEST(Executor, RejectsMissingOrMisshapenFeeds) {
  absl::StatusOr<Graph> graph = Graph::FromText(R"pb(
                                                  input {
                                                    name: "x"
                                                    shape: [ -1, 2 ]
                                                  }
                                                  node { name: "loss" op: "test_sum" input: "x" }
                                                  loss: "loss"
                                                )pb",
                                                "feeds");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ParameterStore params = ParameterStore::Initialize(*graph, 1, Device::kCpu);
  std::unique_ptr<Executor> executor_ptr = *Executor::Create(*graph, params);
  Executor& executor = *executor_ptr;
  absl::Status missing = executor.Forward({}, false);
  EXPECT_NE(missing.message().find("'x' was not fed"), std::string::npos) << missing;
  absl::Status shape = executor.Forward({{"x", Tensor::Zeros({4, 3})}}, false);
  EXPECT_NE(shape.message().find("[4,3]"), std::string::npos) << shape;
  EXPECT_FALSE(executor.Backward().ok()) << "backward before any successful forward must fail";
  EXPECT_TRUE(executor.Forward({{"x", Tensor::Zeros({4, 2})}}, false).ok());
}

TEST(Executor, CheckNumericsNamesTheNode) {
  absl::StatusOr<Graph> graph =
      Graph::FromText(R"pb(
                        input {
                          name: "x"
                          shape: [ 2 ]
                        }
                        node {
                          name: "big"
                          op: "test_scale"
                          input: "x"
                          attr {
                            key: "factor"
                            value { f: 1e30 }
                          }
                        }
                        node {
                          name: "bigger"
                          op: "test_scale"
                          input: "big"
                          attr {
                            key: "factor"
                            value { f: 1e30 }
                          }
                        }
                        node { name: "loss" op: "test_sum" input: "bigger" }
                        loss: "loss"
                      )pb",
                      "numerics");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ParameterStore params = ParameterStore::Initialize(*graph, 1, Device::kCpu);
  std::unique_ptr<Executor> executor_ptr =
      *Executor::Create(*graph, params, {Device::kCpu, /*check_numerics=*/true});
  Executor& executor = *executor_ptr;
  absl::Status status = executor.Forward({{"x", Tensor::FromVector({2}, {1, 2})}}, false);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("node 'bigger'"), std::string::npos) << status;
  EXPECT_NE(status.message().find("Inf"), std::string::npos) << status;
}

TEST(Executor, MissingKernelIsAnErrorNamingOpAndDevice) {
  absl::StatusOr<Graph> graph = Graph::FromText(R"pb(
                                                  input {
                                                    name: "x"
                                                    shape: [ 2 ]
                                                  }
                                                  node { name: "n" op: "test_no_kernel" input: "x" }
                                                  output: "n"
                                                )pb",
                                                "nokernel");
  ASSERT_TRUE(graph.ok()) << graph.status();
  ParameterStore params = ParameterStore::Initialize(*graph, 1, Device::kCpu);
  absl::StatusOr<std::unique_ptr<Executor>> executor = Executor::Create(*graph, params);
  ASSERT_FALSE(executor.ok());
  const absl::Status status = executor.status();
  EXPECT_NE(status.message().find("no cpu kernel registered for op 'test_no_kernel'"),
            std::string::npos)
      << status;
}

}  // namespace
}  // namespace tessera
