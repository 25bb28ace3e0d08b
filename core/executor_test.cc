#include "core/executor.h"

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
