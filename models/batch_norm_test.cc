// Batch norm's running statistics are graph state (ParameterDef.updated_from):
// trained for a few SGD steps from PyTorch's initial weights on the same
// batches, a conv-bn-relu-pool-fc network ends with PyTorch's running
// statistics, and its eval-mode logits are PyTorch's model.eval() output.
// Reference: models/testdata/make_bn_cnn_golden.py (float64).

#include <cmath>
#include <memory>
#include <string>

#include "core/checkpoint.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/npy.h"
#include "core/optimizer.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

constexpr char kDir[] = "models/testdata/bn_cnn/";
constexpr int kSteps = 5;
constexpr float kLr = 0.02f;

Tensor Load(const std::string& name) {
  absl::StatusOr<Tensor> t = ReadNpy(std::string(kDir) + name + ".npy");
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : Tensor();
}

// |got - want| <= rel * |want| + abs, element by element; NaN fails.
void ExpectClose(const Tensor& got, const Tensor& want, double rel, double abs,
                 const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const std::vector<float> g = got.ToVector(), w = want.ToVector();
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_TRUE(std::abs(g[i] - w[i]) <= rel * std::abs(w[i]) + abs)
        << what << "[" << i << "]: tessera " << g[i] << ", pytorch " << w[i];
  }
}

class BatchNormState : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<Graph> graph = Graph::FromTextFile("models/testdata/bn_cnn.pbtxt");
    ASSERT_TRUE(graph.ok()) << graph.status();
    graph_ = std::make_unique<Graph>(*std::move(graph));
    params_ = ParameterStore::Initialize(*graph_, 1, Device::kCpu);
    for (const char* name :
         {"conv1/weight", "conv1/bias", "bn1/gamma", "bn1/beta", "fc/weight", "fc/bias"}) {
      params_.Find(name)->value = Load(std::string("params/") + name);
    }
  }

  // kSteps SGD steps (momentum 0.9, no weight decay) on the reference batches.
  void Train() {
    std::unique_ptr<Executor> executor = *Executor::Create(*graph_, params_);
    OptimizerConfig sgd;
    sgd.momentum = 0.9f;
    std::unique_ptr<Optimizer> optimizer = *Optimizer::Create(sgd, params_, Device::kCpu);
    for (int step = 0; step < kSteps; ++step) {
      const std::string batch = "batch" + std::to_string(step) + "/";
      ASSERT_TRUE(
          executor
              ->Forward({{"image", Load(batch + "image")}, {"label", Load(batch + "label")}},
                        /*training=*/true)
              .ok());
      ASSERT_TRUE(executor->Backward().ok());
      optimizer->Step(kLr);
    }
  }

  Tensor EvalLogits() {
    std::unique_ptr<Executor> executor = *Executor::Create(*graph_, params_);
    const Tensor image = Load("held_out/image");
    absl::Status status =
        executor->Forward({{"image", image}, {"label", Tensor::Zeros({image.dim(0)})}},
                          /*training=*/false);
    EXPECT_TRUE(status.ok()) << status;
    return *executor->Value("logits");
  }

  std::unique_ptr<Graph> graph_;
  ParameterStore params_;
};

TEST_F(BatchNormState, RunningStatisticsMatchPyTorchAfterTraining) {
  Train();
  ExpectClose(params_.Find("bn1/running_mean")->value, Load("golden/running_mean"), 1e-5, 1e-7,
              "running_mean");
  ExpectClose(params_.Find("bn1/running_var")->value, Load("golden/running_var"), 1e-5, 1e-7,
              "running_var");
}

TEST_F(BatchNormState, EvalLogitsMatchPyTorchEvalMode) {
  Train();
  ExpectClose(EvalLogits(), Load("golden/eval_logits"), 1e-4, 1e-4, "eval logits");
}

TEST_F(BatchNormState, EvalForwardLeavesTheStatisticsAlone) {
  Train();
  const std::vector<float> mean = params_.Find("bn1/running_mean")->value.ToVector();
  EvalLogits();
  EXPECT_EQ(params_.Find("bn1/running_mean")->value.ToVector(), mean);
}

TEST_F(BatchNormState, CheckpointsCarryTheStatistics) {
  Train();
  OptimizerConfig sgd;
  std::unique_ptr<Optimizer> optimizer = *Optimizer::Create(sgd, params_, Device::kCpu);
  const CheckpointProto saved = CaptureCheckpoint(params_, *optimizer);
  ParameterStore fresh = ParameterStore::Initialize(*graph_, 7, Device::kCpu);
  std::unique_ptr<Optimizer> fresh_optimizer = *Optimizer::Create(sgd, fresh, Device::kCpu);
  ASSERT_TRUE(RestoreCheckpoint(saved, fresh, fresh_optimizer.get()).ok());
  for (const char* name : {"bn1/running_mean", "bn1/running_var"}) {
    EXPECT_EQ(fresh.Find(name)->value.ToVector(), params_.Find(name)->value.ToVector()) << name;
  }
}

// The graph rejects state it cannot update.
TEST(BatchNormStateGraph, RejectsBadUpdatedFrom) {
  const std::string head = R"pb(
    input {
      name: "x"
      shape: [ -1, 2, 3, 3 ]
    }
    parameter {
      name: "g"
      shape: [ 2 ]
    }
    parameter {
      name: "b"
      shape: [ 2 ]
    }
  )pb";
  const std::string tail = R"pb(
    node { name: "bn" op: "batch_norm2d" input: "x" input: "g" input: "b" input: "m" input: "v" }
    output: "bn"
  )pb";
  struct Case {
    std::string params, message;
  };
  const Case cases[] = {
      {R"pb(parameter {
              name: "m"
              shape: [ 2 ]
              frozen: true
              updated_from: "nope:1"
            }
            parameter {
              name: "v"
              shape: [ 2 ]
              frozen: true
            })pb",
       "not the output of a node"},
      {R"pb(parameter {
              name: "m"
              shape: [ 2 ]
              updated_from: "bn:1"
            }
            parameter {
              name: "v"
              shape: [ 2 ]
              frozen: true
            })pb",
       "must be frozen"},
      {R"pb(parameter {
              name: "m"
              shape: [ 2 ]
              frozen: true
              updated_from: "bn"
            }
            parameter {
              name: "v"
              shape: [ 2 ]
              frozen: true
            })pb",
       "has shape"},
      {R"pb(parameter {
              name: "m"
              shape: [ 2 ]
              frozen: true
              updated_from: "bn:1"
            }
            parameter {
              name: "v"
              shape: [ 2 ]
              frozen: true
              updated_from: "bn:1"
            })pb",
       "is updated from it too"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Graph> graph = Graph::FromText(head + c.params + tail, "bad_state");
    ASSERT_FALSE(graph.ok()) << c.params;
    EXPECT_NE(graph.status().message().find(c.message), std::string::npos) << graph.status();
  }
}

}  // namespace
}  // namespace tessera
