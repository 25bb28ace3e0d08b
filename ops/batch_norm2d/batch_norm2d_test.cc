#include <cmath>

#include "core/backend.h"
#include "core/gradient_check.h"
#include "core/op_test_case.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

// Plain per-channel loops in double; `training` (or force_training) picks
// batch or running statistics (each case binds its own mode, see
// RandomCase).
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs,
                                          bool training) {
  training = training || attrs.GetBool("force_training");
  const bool unbiased = attrs.GetBool("unbiased_running_var");
  const Shape& s = in[0].shape();
  const int64_t batch = s[0], channels = s[1], plane = s[2] * s[3], count = batch * plane;
  const double m = attrs.GetFloat("momentum"), eps = attrs.GetFloat("epsilon");
  const std::vector<float> x = in[0].ToVector(), gamma = in[1].ToVector(), beta = in[2].ToVector(),
                           rmean = in[3].ToVector(), rvar = in[4].ToVector();
  std::vector<float> y(x.size()), new_mean(channels), new_var(channels);
  for (int64_t c = 0; c < channels; ++c) {
    auto at = [&](int64_t n, int64_t i) { return (n * channels + c) * plane + i; };
    double mean = rmean[c], var = rvar[c];
    new_mean[c] = rmean[c];
    new_var[c] = rvar[c];
    if (training) {
      double sum = 0, sq = 0;
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t i = 0; i < plane; ++i) sum += x[at(n, i)];
      mean = sum / count;
      for (int64_t n = 0; n < batch; ++n)
        for (int64_t i = 0; i < plane; ++i) sq += (x[at(n, i)] - mean) * (x[at(n, i)] - mean);
      var = sq / count;
      new_mean[c] = static_cast<float>((1 - m) * rmean[c] + m * mean);
      new_var[c] = static_cast<float>((1 - m) * rvar[c] + m * sq / (unbiased ? count - 1 : count));
    }
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t i = 0; i < plane; ++i) {
        y[at(n, i)] =
            static_cast<float>(gamma[c] * (x[at(n, i)] - mean) / std::sqrt(var + eps) + beta[c]);
      }
    }
  }
  return {y, new_mean, new_var};
}

OpTestCase RandomCase(const Shape& shape, bool training, uint64_t seed) {
  const int64_t c = shape[1];
  OpTestCase tc;
  tc.name = training ? "training" : "eval";
  for (int64_t d : shape) tc.name += "_" + std::to_string(d);
  tc.training = training;
  tc.inputs = {RandomTensor(shape, seed, -1.5f, 2.5f),  // nonzero mean
               RandomTensor({c}, seed + 1, 0.5f, 1.5f), RandomTensor({c}, seed + 2, -0.5f, 0.5f),
               RandomTensor({c}, seed + 3, -0.5f, 0.5f), RandomTensor({c}, seed + 4, 0.5f, 2.0f)};
  tc.reference = [training](const std::vector<Tensor>& in, const Attrs& attrs) {
    return Reference(in, attrs, training);
  };
  return tc;
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_training";
    // mean 2.5, biased var 1.25: y = 2 (x - 2.5) / sqrt(1.25 + 1e-5) + 0.5.
    // Running: 0.9 * 0 + 0.1 * 2.5 = 0.25; 0.9 * 1 + 0.1 * (5/3) (unbiased).
    c.inputs = {Tensor::FromVector({1, 1, 2, 2}, {1, 2, 3, 4}), Tensor::FromVector({1}, {2}),
                Tensor::FromVector({1}, {0.5f}), Tensor::FromVector({1}, {0}),
                Tensor::FromVector({1}, {1})};
    c.expected = {{-2.18327084f, -0.39442361f, 1.39442361f, 3.18327084f}, {0.25f}, {1.06666667f}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "hand_computed_eval";
    // Running mean 2, var 4: y = (x - 2) / sqrt(4 + 1e-5); stats pass through.
    c.training = false;
    c.inputs = {Tensor::FromVector({1, 1, 2, 2}, {1, 2, 3, 4}), Tensor::FromVector({1}, {1}),
                Tensor::FromVector({1}, {0}), Tensor::FromVector({1}, {2}),
                Tensor::FromVector({1}, {4})};
    c.expected = {{-0.49999938f, 0, 0.49999938f, 0.99999875f}, {2}, {4}};
    cases.push_back(c);
  }
  cases.push_back(RandomCase({1, 3, 3, 4}, true, 800));
  cases.push_back(RandomCase({2, 5, 3, 2}, true, 810));
  cases.back().attrs = {{"momentum", FloatAttr(0.3f)}};
  cases.back().name += "_momentum_0p3";
  cases.push_back(RandomCase({2, 3, 1, 5}, true, 820));
  cases.back().attrs = {{"epsilon", FloatAttr(1e-3f)}};
  cases.back().name += "_epsilon_1em3";
  cases.push_back(RandomCase({2, 3, 2, 3}, false, 830));
  cases.push_back(RandomCase({1, 5, 3, 3}, false, 840));
  // More values per channel than threads in a GPU reduction block.
  cases.push_back(RandomCase({3, 2, 16, 12}, true, 850));
  cases.push_back(RandomCase({3, 2, 16, 12}, false, 860));
  // ONNX's training mode: the running variance takes the biased variance.
  {
    OpTestCase c = cases[0];
    c.name = "hand_computed_training_biased_running_var";
    c.attrs = {{"unbiased_running_var", BoolAttr(false)}};
    c.expected[2] = {1.025f};  // 0.9 * 1 + 0.1 * 1.25
    cases.push_back(c);
  }
  cases.push_back(RandomCase({2, 3, 2, 3}, true, 870));
  cases.back().attrs = {{"unbiased_running_var", BoolAttr(false)}, {"momentum", FloatAttr(0.4f)}};
  cases.back().name += "_biased_running_var";
  // force_training: batch statistics (and the running-stat update) in an
  // evaluation forward, as an ONNX node with training_mode = 1.
  cases.push_back(RandomCase({2, 3, 3, 2}, false, 880));
  cases.back().attrs = {{"force_training", BoolAttr(true)},
                        {"unbiased_running_var", BoolAttr(false)}};
  cases.back().name += "_force_training";
  {
    OpTestCase c = cases[0];
    c.name = "hand_computed_eval_force_training";
    c.training = false;
    c.attrs = {{"force_training", BoolAttr(true)}};
    cases.push_back(c);  // the training values, in an evaluation forward
  }
  // Planes of 35: whole Highway vectors (float and double) and odd tails.
  cases.push_back(RandomCase({2, 2, 5, 7}, true, 890));
  cases.push_back(RandomCase({2, 2, 5, 7}, false, 900));
  return cases;
}

TESSERA_OP_TEST_CASES("batch_norm2d", Cases);

Attrs BnAttrs(std::map<std::string, AttrValue> given = {}) {
  return *OpRegistry::Global().Find("batch_norm2d")->ResolveAttrs(given);
}

bool ShapeOk(const std::vector<Shape>& shapes, const Attrs& attrs) {
  return OpRegistry::Global().Find("batch_norm2d")->InferShapes(shapes, attrs).ok();
}

TEST(BatchNorm2dShape, RejectsBadShapesAndAttrs) {
  const Attrs ok = BnAttrs();
  EXPECT_TRUE(ShapeOk({{2, 3, 4, 4}, {3}, {3}, {3}, {3}}, ok));
  EXPECT_FALSE(ShapeOk({{2, 3, 4}, {3}, {3}, {3}, {3}}, ok));        // not NCHW
  EXPECT_FALSE(ShapeOk({{2, 3, 4, 4}, {4}, {3}, {3}, {3}}, ok));     // gamma
  EXPECT_FALSE(ShapeOk({{2, 3, 4, 4}, {3}, {3}, {3}, {1, 3}}, ok));  // running_var
  EXPECT_FALSE(
      ShapeOk({{2, 3, 4, 4}, {3}, {3}, {3}, {3}}, BnAttrs({{"momentum", FloatAttr(1.5f)}})));
  EXPECT_FALSE(
      ShapeOk({{2, 3, 4, 4}, {3}, {3}, {3}, {3}}, BnAttrs({{"epsilon", FloatAttr(0.0f)}})));
}

TEST(BatchNorm2d, TrainingRejectsOneValuePerChannel) {
  const std::vector<Tensor> in = {Tensor::FromVector({1, 2, 1, 1}, {1, 2}), Tensor::Filled({2}, 1),
                                  Tensor::Zeros({2}), Tensor::Zeros({2}), Tensor::Filled({2}, 1)};
  for (Device device : AvailableDevices()) {
    absl::StatusOr<OpRun> training = RunOpForward("batch_norm2d", BnAttrs(), in, device, true, 0);
    EXPECT_EQ(training.status().code(), absl::StatusCode::kInvalidArgument) << DeviceName(device);
    // Evaluation uses the running statistics and is fine.
    EXPECT_TRUE(RunOpForward("batch_norm2d", BnAttrs(), in, device, false, 0).ok())
        << DeviceName(device);
    // ...unless forced to train.
    EXPECT_EQ(RunOpForward("batch_norm2d", BnAttrs({{"force_training", BoolAttr(true)}}), in,
                           device, false, 0)
                  .status()
                  .code(),
              absl::StatusCode::kInvalidArgument)
        << DeviceName(device);
    // The biased running variance (ONNX) is defined for one value: 0.
    absl::StatusOr<OpRun> biased = RunOpForward(
        "batch_norm2d", BnAttrs({{"unbiased_running_var", BoolAttr(false)}}), in, device, true, 0);
    ASSERT_TRUE(biased.ok()) << DeviceName(device) << biased.status();
  }
}

}  // namespace
}  // namespace tessera
