#include <cmath>

#include "core/backend.h"
#include "core/executor.h"
#include "core/gradient_check.h"
#include "core/graph.h"
#include "core/op_test_case.h"
#include "core/thread_pool.h"
#include "gtest/gtest.h"
#include "hwy/targets.h"
#include "ops/dropout/dropout_mask.h"

namespace tessera {
namespace {

constexpr uint64_t kSeed = 7;  // OpTestCase's default seed

// The mask the op documents (dropout.cc): element i is kept when the top 24
// bits of the i-th splitmix64 output for `seed`, as a fraction, are >= rate.
// Written out again here so that the test pins the documented stream,
// which other backends must reproduce.
std::vector<bool> DocumentedKeep(uint64_t seed, int64_t n, double rate) {
  std::vector<bool> keep(n);
  for (int64_t i = 0; i < n; ++i) {
    uint64_t z = seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(i + 1);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    keep[i] = double(z >> 40) / double(1 << 24) >= rate;
  }
  return keep;
}

// The keep mask is an optional output (OpSchema::OptionalOutput): a graph
// that does not read it gets the same y and dx without it being computed;
// one that outputs it gets 1 where y kept x and 0 where it dropped it. On
// every device.
TEST(Dropout, MaskIsComputedOnlyForAReader) {
  const std::string graph = R"pb(
    input {
      name: "x"
      shape: [ -1, 3, 50 ]
    }
    node {
      name: "drop"
      op: "dropout"
      input: "x"
      attr {
        key: "rate"
        value { f: 0.5 }
      }
    }
    output: "drop"
  )pb";
  const Shape shape = {4, 3, 50};
  const std::vector<float> x = RandomTensor(shape, 3).ToVector();
  for (Device device : AvailableDevices()) {
    SCOPED_TRACE(DeviceName(device));
    const absl::StatusOr<OptionalOutputRun> unread_or =
        RunWithOptionalOutput(graph, "drop", shape, device, 11);
    ASSERT_TRUE(unread_or.ok()) << unread_or.status();
    const OptionalOutputRun& unread = *unread_or;
    const absl::StatusOr<OptionalOutputRun> read_or =
        RunWithOptionalOutput(graph + "output: \"drop:1\"", "drop", shape, device, 11);
    ASSERT_TRUE(read_or.ok()) << read_or.status();
    const OptionalOutputRun& read = *read_or;
    EXPECT_FALSE(unread.output1_computed);
    EXPECT_TRUE(read.output1_computed);
    ASSERT_EQ(unread.values.size(), 2u);  // y, dx
    ASSERT_EQ(read.values.size(), 3u);    // y, mask, dx
    EXPECT_EQ(unread.values[0], read.values[0]);
    EXPECT_EQ(unread.values[1], read.values[2]);
    const std::vector<float>& y = read.values[0];
    const std::vector<float>& mask = read.values[1];
    int kept = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      ASSERT_TRUE(mask[i] == 0.0f || mask[i] == 1.0f) << i;
      EXPECT_EQ(y[i], mask[i] * 2.0f * x[i]) << i;
      kept += mask[i] == 1.0f;
    }
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, static_cast<int>(x.size()));
  }
}

// Every SIMD target this CPU runs (AVX-512 multiplies 64-bit lanes, AVX2
// and SSE4 build the product from 32-bit halves) draws the documented mask,
// for a range that starts at an odd element and ends with a partial vector.
TEST(DropoutMask, EverySimdTargetDrawsTheDocumentedMask) {
  constexpr int64_t kBegin = 13, kEnd = 1000;
  constexpr float kRate = 0.3f;
  const std::vector<bool> keep = DocumentedKeep(kSeed, kEnd, kRate);
  const std::vector<float> x(kEnd - kBegin, 2.0f);
  for (const int64_t target : hwy::SupportedAndGeneratedTargets()) {
    hwy::SetSupportedTargetsForTest(target);
    std::vector<float> mask(x.size(), -1.0f), y(x.size(), -1.0f);
    dropout::ForwardRange(kSeed, kBegin, kEnd, dropout::KeepThreshold(kRate), 2.0f, x.data(),
                          mask.data(), y.data());
    for (int64_t i = kBegin; i < kEnd; ++i) {
      ASSERT_EQ(mask[i - kBegin], keep[i] ? 2.0f : 0.0f)
          << "element " << i << " on " << hwy::TargetName(target);
      ASSERT_EQ(y[i - kBegin], keep[i] ? 4.0f : 0.0f) << hwy::TargetName(target);
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

std::vector<std::vector<float>> TrainingReference(const std::vector<Tensor>& in,
                                                  const Attrs& attrs) {
  const double rate = attrs.GetFloat("rate");
  std::vector<float> y = in[0].ToVector(), mask(y.size());
  const std::vector<bool> keep = DocumentedKeep(kSeed, y.size(), rate);
  for (size_t i = 0; i < y.size(); ++i) {
    y[i] = keep[i] ? static_cast<float>(y[i] / (1 - rate)) : 0;
    mask[i] = keep[i] ? 1 : 0;
  }
  return {y, mask};
}

// y = x, and the mask keeps everything.
std::vector<std::vector<float>> Identity(const std::vector<Tensor>& in, const Attrs&) {
  return {in[0].ToVector(), std::vector<float>(in[0].num_elements(), 1.0f)};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "eval_is_identity";
    c.training = false;
    c.inputs = {Tensor::FromVector({1, 4}, {1, -2, 0.5f, 3})};
    c.expected = {{1, -2, 0.5f, 3}, {1, 1, 1, 1}};
    c.reference = Identity;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "eval_is_identity_rate_90pct_nchw";
    c.training = false;
    c.attrs = {{"rate", FloatAttr(0.9f)}};
    c.inputs = {RandomTensor({2, 3, 4, 5}, 701)};
    c.reference = Identity;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "training_rate_0_is_identity";
    c.attrs = {{"rate", FloatAttr(0.0f)}};
    c.inputs = {RandomTensor({2, 5, 3}, 702)};
    c.reference = Identity;
    cases.push_back(c);
  }
  // Training with a fixed seed: the mask is fixed, so y is linear in x and
  // central differences check dy * mask exactly.
  const struct {
    Shape shape;
    float rate;
  } configs[] = {{{2, 3, 4, 5}, 0.5f}, {{1, 5, 3, 3}, 0.2f}, {{2, 3, 5}, 0.75f}};
  uint64_t seed = 710;
  for (const auto& cfg : configs) {
    OpTestCase c;
    c.name = "training_rate_" + std::to_string(static_cast<int>(cfg.rate * 100)) + "pct";
    for (int64_t d : cfg.shape) c.name += "_" + std::to_string(d);
    c.attrs = {{"rate", FloatAttr(cfg.rate)}};
    c.inputs = {RandomTensor(cfg.shape, seed++)};
    c.seed = kSeed;
    c.reference = TrainingReference;
    cases.push_back(c);
  }
  // force_training (ONNX training_mode = true): the training mask in an
  // evaluation forward.
  {
    OpTestCase c;
    c.name = "force_training_in_eval_rate_40pct";
    c.training = false;
    c.attrs = {{"rate", FloatAttr(0.4f)}, {"force_training", BoolAttr(true)}};
    c.inputs = {RandomTensor({3, 4, 5}, seed++)};
    c.seed = kSeed;
    c.reference = TrainingReference;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "force_training_rate_0_is_identity";
    c.training = false;
    c.attrs = {{"rate", FloatAttr(0.0f)}, {"force_training", BoolAttr(true)}};
    c.inputs = {RandomTensor({3, 4, 5}, seed++)};
    c.reference = Identity;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("dropout", Cases);

Attrs RateAttrs(float rate) {
  return *OpRegistry::Global().Find("dropout")->ResolveAttrs({{"rate", FloatAttr(rate)}});
}

// x in [0.5, 1.5] so that a kept element is never 0.
std::vector<float> RunTraining(const Tensor& x, float rate, uint64_t seed) {
  absl::StatusOr<OpRun> run =
      RunOpForward("dropout", RateAttrs(rate), {x}, Device::kCpu, true, seed);
  EXPECT_TRUE(run.ok()) << run.status();
  return run.ok() ? run->outputs[0].ToVector() : std::vector<float>();
}

TEST(Dropout, KeepsAboutOneMinusRateAndScalesKeptValues) {
  const int64_t n = 100000;
  const Tensor x = RandomTensor({10, 10, 1000}, 720, 0.5f, 1.5f);
  const std::vector<float> xv = x.ToVector();
  for (float rate : {0.1f, 0.5f, 0.8f}) {
    const std::vector<float> y = RunTraining(x, rate, 12345);
    ASSERT_EQ(y.size(), static_cast<size_t>(n));
    int64_t kept = 0, bad = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (y[i] == 0) continue;
      ++kept;
      const float want = xv[i] / (1 - rate);
      if (std::fabs(y[i] - want) > 1e-6f * want) ++bad;
    }
    EXPECT_EQ(bad, 0) << "kept values differ from x / (1 - rate) at rate " << rate;
    // Binomial: the standard deviation of the kept fraction is at most
    // sqrt(0.25 / n) = 0.0016, so 0.01 is over six sigmas.
    EXPECT_NEAR(double(kept) / n, 1.0 - rate, 0.01) << "rate " << rate;
  }
}

// The mask output is 1 exactly where y = x / (1 - rate), 0 where y = 0.
TEST(Dropout, MaskOutputMarksTheKeptElements) {
  const Tensor x = RandomTensor({4, 5, 100}, 723, 0.5f, 1.5f);
  for (Device device : AvailableDevices()) {
    absl::StatusOr<OpRun> run = RunOpForward("dropout", RateAttrs(0.3f), {x}, device, true, 3);
    ASSERT_TRUE(run.ok()) << run.status();
    const std::vector<float> y = run->outputs[0].ToVector(), mask = run->outputs[1].ToVector();
    int64_t kept = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_TRUE(mask[i] == 0.0f || mask[i] == 1.0f) << i;
      ASSERT_EQ(mask[i] == 1.0f, y[i] != 0.0f) << i << " on " << DeviceName(device);
      kept += mask[i] == 1.0f;
    }
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, static_cast<int64_t>(y.size()));
  }
}

TEST(Dropout, SameSeedSameMaskOtherSeedOtherMask) {
  const Tensor x = RandomTensor({2, 3, 50}, 721, 0.5f, 1.5f);
  const std::vector<float> a = RunTraining(x, 0.5f, 99);
  EXPECT_EQ(a, RunTraining(x, 0.5f, 99));
  EXPECT_NE(a, RunTraining(x, 0.5f, 100));
}

TEST(Dropout, MaskDoesNotDependOnThreadCount) {
  // Large enough to be split across threads (chunks of at least 16384).
  const Tensor x = RandomTensor({4, 5, 10000}, 722, 0.5f, 1.5f);
  const int original = CpuThreadPool().num_threads();
  SetNumCpuThreads(1);
  const std::vector<float> one = RunTraining(x, 0.3f, 5);
  SetNumCpuThreads(4);
  const std::vector<float> four = RunTraining(x, 0.3f, 5);
  SetNumCpuThreads(original);
  EXPECT_EQ(one, four);
}

TEST(DropoutShape, RejectsRateOutsideZeroToOne) {
  const OpSchema* schema = OpRegistry::Global().Find("dropout");
  EXPECT_TRUE(schema->InferShapes({{2, 3}}, RateAttrs(0.0f)).ok());
  EXPECT_FALSE(schema->InferShapes({{2, 3}}, RateAttrs(1.0f)).ok());
  EXPECT_FALSE(schema->InferShapes({{2, 3}}, RateAttrs(-0.1f)).ok());
  EXPECT_FALSE(schema->InferShapes({{2, 3}}, RateAttrs(NAN)).ok());
}

}  // namespace
}  // namespace tessera
