#include "core/optimizer.h"

#include <cmath>
#include <map>

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

// A weight matrix (decayed fully) and a bias with weight_decay_scale 0.5:
// the shapes of a real layer, since decay must reach parameters of every
// rank and honour each parameter's scale.
Graph WeightAndBiasGraph() {
  absl::StatusOr<Graph> graph = Graph::FromText(R"pb(
                                                  parameter {
                                                    name: "w"
                                                    shape: [ 2, 3 ]
                                                    init { type: "uniform" low: -1 high: 1 }
                                                  }
                                                  parameter {
                                                    name: "b"
                                                    shape: [ 3 ]
                                                    init { type: "uniform" low: -1 high: 1 }
                                                    weight_decay_scale: 0.5
                                                  }
                                                  node { name: "sw" op: "test_sum" input: "w" }
                                                  node { name: "sb" op: "test_sum" input: "b" }
                                                  node {
                                                    name: "loss"
                                                    op: "test_add"
                                                    input: [ "sw", "sb" ]
                                                  }
                                                  loss: "loss"
                                                )pb",
                                                "layer");
  EXPECT_TRUE(graph.ok()) << graph.status();
  return *graph;
}

// Gradients that differ per element and per step.
std::vector<float> StepGradient(int64_t n, int step) {
  std::vector<float> g(n);
  for (int64_t i = 0; i < n; ++i) g[i] = std::sin(1.7 * i + 0.9 * step) * (1 + step);
  return g;
}

std::map<std::string, std::vector<double>> ValuesOf(ParameterStore& params) {
  std::map<std::string, std::vector<double>> values;
  for (auto& [name, p] : params.all()) {
    const std::vector<float> v = p.value.ToVector();
    values[name].assign(v.begin(), v.end());
  }
  return values;
}

std::map<std::string, std::vector<double>> ZerosLike(
    const std::map<std::string, std::vector<double>>& values) {
  std::map<std::string, std::vector<double>> zeros;
  for (const auto& [name, v] : values) zeros[name].assign(v.size(), 0.0);
  return zeros;
}

void ExpectValuesNear(ParameterStore& params,
                      const std::map<std::string, std::vector<double>>& expected) {
  for (auto& [name, p] : params.all()) {
    const std::vector<float> got = p.value.ToVector();
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], expected.at(name)[i], 1e-5) << name << "[" << i << "]";
    }
  }
}

// Three steps of SGD with momentum and decay against a plain double loop,
// for a rank-2 weight (decay 0.1) and a bias (decay 0.1 * 0.5).
TEST(Sgd, DecayReachesEveryRankAndFollowsEachParametersScale) {
  Graph graph = WeightAndBiasGraph();
  ParameterStore params = ParameterStore::Initialize(graph, 3, Device::kCpu);
  OptimizerConfig config;
  config.momentum = 0.8f;
  config.weight_decay = 0.1f;
  auto sgd = Optimizer::Create(config, params, Device::kCpu);
  ASSERT_TRUE(sgd.ok());
  std::map<std::string, std::vector<double>> w = ValuesOf(params), v = ZerosLike(w);
  const std::map<std::string, double> decay = {{"w", 0.1}, {"b", 0.05}};
  for (int step = 0; step < 3; ++step) {
    for (auto& [name, p] : params.all()) {
      const std::vector<float> g = StepGradient(p.value.num_elements(), step);
      p.grad = Tensor::FromVector(p.value.shape(), g);
      for (size_t i = 0; i < g.size(); ++i) {
        v[name][i] = 0.8 * v[name][i] + g[i] + decay.at(name) * w[name][i];
        w[name][i] -= 0.3 * v[name][i];
      }
    }
    (*sgd)->Step(0.3f);
  }
  ExpectValuesNear(params, w);
}

// Four Adam steps with non-default betas and decay against a plain double
// loop: at step 1 any betas give lr * sign(g), so later steps are where the
// moments and the bias correction show.
TEST(Adam, SeveralStepsFollowTheFormula) {
  Graph graph = WeightAndBiasGraph();
  ParameterStore params = ParameterStore::Initialize(graph, 4, Device::kCpu);
  OptimizerConfig config;
  config.type = "adam";
  config.beta1 = 0.7f;
  config.beta2 = 0.9f;
  config.epsilon = 1e-6f;
  config.weight_decay = 0.2f;
  auto adam = Optimizer::Create(config, params, Device::kCpu);
  ASSERT_TRUE(adam.ok());
  std::map<std::string, std::vector<double>> w = ValuesOf(params), m = ZerosLike(w),
                                             v = ZerosLike(w);
  const std::map<std::string, double> decay = {{"w", 0.2}, {"b", 0.1}};
  const double lr = 0.05;
  for (int step = 0; step < 4; ++step) {
    const double t = step + 1;
    const double lr_t = lr * std::sqrt(1 - std::pow(0.9, t)) / (1 - std::pow(0.7, t));
    for (auto& [name, p] : params.all()) {
      const std::vector<float> g = StepGradient(p.value.num_elements(), step);
      p.grad = Tensor::FromVector(p.value.shape(), g);
      for (size_t i = 0; i < g.size(); ++i) {
        const double gi = g[i] + decay.at(name) * w[name][i];
        m[name][i] = 0.7 * m[name][i] + 0.3 * gi;
        v[name][i] = 0.9 * v[name][i] + 0.1 * gi * gi;
        w[name][i] -= lr_t * m[name][i] / (std::sqrt(v[name][i]) + 1e-6);
      }
    }
    (*adam)->Step(static_cast<float>(lr));
  }
  ExpectValuesNear(params, w);
  EXPECT_EQ((*adam)->State().size(), 4u);
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
