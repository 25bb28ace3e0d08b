#include "core/optimizer.h"

#include <cmath>

#include "gtest/gtest.h"

namespace tessera {
namespace {

Graph OneParameterGraph() {
  absl::StatusOr<Graph> graph = Graph::FromText(R"pb(
                                                  parameter {
                                                    name: "w"
                                                    shape: [ 2 ]
                                                    init { type: "constant" value: 1 }
                                                  }
                                                  node { name: "loss" op: "test_sum" input: "w" }
                                                  loss: "loss"
                                                )pb",
                                                "opt");
  EXPECT_TRUE(graph.ok()) << graph.status();
  return *graph;
}

TEST(Sgd, MomentumAndWeightDecayFollowTheFormula) {
  Graph graph = OneParameterGraph();
  ParameterStore params = ParameterStore::Initialize(graph, 0, Device::kCpu);
  OptimizerConfig config;
  config.momentum = 0.9f;
  config.weight_decay = 0.1f;
  auto sgd = Optimizer::Create(config, params, Device::kCpu);
  ASSERT_TRUE(sgd.ok());
  Parameter* w = params.Find("w");
  w->grad = Tensor::FromVector({2}, {1, -1});
  (*sgd)->Step(0.5f);
  // v = g + 0.1*w = {1.1, -0.9}; w = 1 - 0.5 v.
  EXPECT_FLOAT_EQ(w->value.ToVector()[0], 1 - 0.5f * 1.1f);
  EXPECT_FLOAT_EQ(w->value.ToVector()[1], 1 + 0.5f * 0.9f);
  const float w0 = w->value.ToVector()[0];
  (*sgd)->Step(0.5f);
  // v = 0.9*1.1 + (1 + 0.1*w0).
  EXPECT_FLOAT_EQ(w->value.ToVector()[0], w0 - 0.5f * (0.9f * 1.1f + 1 + 0.1f * w0));
  EXPECT_EQ((*sgd)->steps(), 2);
  EXPECT_EQ((*sgd)->State().size(), 1u);
}

TEST(Adam, FirstStepMovesByLearningRate) {
  Graph graph = OneParameterGraph();
  ParameterStore params = ParameterStore::Initialize(graph, 0, Device::kCpu);
  OptimizerConfig config;
  config.type = "adam";
  auto adam = Optimizer::Create(config, params, Device::kCpu);
  ASSERT_TRUE(adam.ok());
  Parameter* w = params.Find("w");
  w->grad = Tensor::FromVector({2}, {4, -0.01f});
  (*adam)->Step(0.1f);
  // Bias-corrected first step is lr * sign(g) (up to epsilon).
  EXPECT_NEAR(w->value.ToVector()[0], 0.9f, 1e-5);
  EXPECT_NEAR(w->value.ToVector()[1], 1.1f, 1e-4);
}

TEST(Optimizer, RejectsBadConfig) {
  Graph graph = OneParameterGraph();
  ParameterStore params = ParameterStore::Initialize(graph, 0, Device::kCpu);
  OptimizerConfig config;
  config.type = "rmsprop";
  EXPECT_FALSE(Optimizer::Create(config, params, Device::kCpu).ok());
  config.type = "sgd";
  config.momentum = 1.5f;
  EXPECT_FALSE(Optimizer::Create(config, params, Device::kCpu).ok());
}

TEST(LrSchedule, StepCosineAndWarmup) {
  LrSchedule s;
  s.base_lr = 1.0f;
  s.type = "step";
  s.step_epochs = 2;
  s.gamma = 0.5f;
  EXPECT_FLOAT_EQ(s.At(0, 10), 1.0f);
  EXPECT_FLOAT_EQ(s.At(25, 10), 0.5f);  // epoch 2
  EXPECT_FLOAT_EQ(s.At(45, 10), 0.25f);
  s.type = "cosine";
  s.total_steps = 100;
  EXPECT_FLOAT_EQ(s.At(0, 10), 1.0f);
  EXPECT_NEAR(s.At(50, 10), 0.5f, 1e-6);
  EXPECT_NEAR(s.At(100, 10), 0.0f, 1e-6);
  s.warmup_steps = 10;
  EXPECT_FLOAT_EQ(s.At(0, 10), 0.1f);
  s.type = "exponential";
  EXPECT_FALSE(s.Validate().ok());
}

}  // namespace
}  // namespace tessera
