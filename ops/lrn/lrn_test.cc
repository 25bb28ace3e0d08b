#include <cmath>

#include "core/op_test_case.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

// PyTorch's recipe, literally: pad the squares with size/2 zero channels in
// front and (size-1)/2 behind, average `size` consecutive padded channels,
// then y = x / (k + alpha * average)^beta. In double.
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const Shape& s = in[0].shape();
  const int64_t batch = s[0], channels = s[1], size = attrs.GetInt("size");
  int64_t inner = 1;
  for (size_t d = 2; d < s.size(); ++d) inner *= s[d];
  const double alpha = attrs.GetFloat("alpha"), beta = attrs.GetFloat("beta"),
               k = attrs.GetFloat("k");
  const std::vector<float> x = in[0].ToVector();
  std::vector<float> y(x.size());
  const int64_t front = size / 2, padded_channels = channels + size / 2 + (size - 1) / 2;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t i = 0; i < inner; ++i) {
      std::vector<double> padded(padded_channels, 0.0);
      for (int64_t c = 0; c < channels; ++c) {
        const double v = x[(n * channels + c) * inner + i];
        padded[c + front] = v * v;
      }
      for (int64_t c = 0; c < channels; ++c) {
        double avg = 0;
        for (int64_t q = 0; q < size; ++q) avg += padded[c + q];
        avg /= size;
        const int64_t at = (n * channels + c) * inner + i;
        y[at] = static_cast<float>(x[at] / std::pow(k + alpha * avg, beta));
      }
    }
  }
  return {y};
}

OpTestCase RandomCase(const std::string& name, const Shape& shape, int64_t size, float alpha,
                      uint64_t seed) {
  OpTestCase c;
  c.name = name;
  c.attrs = {{"size", IntAttr(size)}, {"alpha", FloatAttr(alpha)}};
  c.inputs = {RandomTensor(shape, seed, -2, 2)};
  c.reference = Reference;
  return c;
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  // More elements than one GPU block of threads.
  cases.push_back(RandomCase("size5_batch2_c7_12x11", {2, 7, 12, 11}, 5, 0.5f, 950));
  {
    OpTestCase c;
    c.name = "hand_computed_size3";
    // alpha / size = 1, k = 1, beta = 1: s = 1 + window sum of squares.
    // c0: 1 + 1 + 4 = 6; c1: 1 + 1 + 4 + 9 = 15; c2: 1 + 4 + 9 = 14.
    c.attrs = {
        {"size", IntAttr(3)}, {"alpha", FloatAttr(3)}, {"beta", FloatAttr(1)}, {"k", FloatAttr(1)}};
    c.inputs = {Tensor::FromVector({1, 3, 1, 1}, {1, 2, 3})};
    c.expected = {{1.0f / 6, 2.0f / 15, 3.0f / 14}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "hand_computed_size2_window_reaches_back";
    // Even size: W(c) = [c - 1, c]. c0: 1 + 1 = 2; c1: 1 + 1 + 4 = 6;
    // c2: 1 + 4 + 9 = 14.
    c.attrs = {
        {"size", IntAttr(2)}, {"alpha", FloatAttr(2)}, {"beta", FloatAttr(1)}, {"k", FloatAttr(1)}};
    c.inputs = {Tensor::FromVector({1, 3, 1, 1}, {1, 2, 3})};
    c.expected = {{1.0f / 2, 2.0f / 6, 3.0f / 14}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "hand_computed_defaults_beta_0p75";
    // One channel, default size 5: s = 2 + 1e-4 / 5 * 4 = 2.00008, y = 2 / s^0.75.
    c.inputs = {Tensor::FromVector({1, 1, 1, 1}, {2})};
    c.expected = {{static_cast<float>(2 / std::pow(2.00008, 0.75))}};
    cases.push_back(c);
  }
  cases.push_back(RandomCase("defaults_2x5x3x3", {2, 5, 3, 3}, 5, 1e-4f, 900));
  // alpha 0.5 makes the normalization matter numerically (s up to ~3).
  cases.push_back(RandomCase("alpha_0p5_size5_1x5x3x4", {1, 5, 3, 4}, 5, 0.5f, 901));
  cases.push_back(RandomCase("alpha_0p5_size5_wider_than_3_channels", {2, 3, 2, 3}, 5, 0.5f, 902));
  cases.push_back(RandomCase("alpha_0p5_size4_2x5x2x2", {2, 5, 2, 2}, 4, 0.5f, 903));
  cases.push_back(RandomCase("alpha_0p5_size3_rank3_2x7x3", {2, 7, 3}, 3, 0.5f, 904));
  cases.push_back(RandomCase("alpha_0p5_size1_1x3x2x2", {1, 3, 2, 2}, 1, 0.5f, 905));
  {
    OpTestCase c = RandomCase("alpha_1_beta_1p5_k_1_2x5x2x1", {2, 5, 2, 1}, 3, 1.0f, 906);
    c.attrs["beta"] = FloatAttr(1.5f);
    c.attrs["k"] = FloatAttr(1.0f);
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("lrn", Cases);

bool ShapeOk(const Shape& shape, std::map<std::string, AttrValue> given = {}) {
  const OpSchema* schema = OpRegistry::Global().Find("lrn");
  absl::StatusOr<Attrs> attrs = schema->ResolveAttrs(given);
  return attrs.ok() && schema->InferShapes({shape}, *attrs).ok();
}

TEST(LrnShape, RejectsBadShapesAndAttrs) {
  EXPECT_TRUE(ShapeOk({2, 3, 4, 4}));
  EXPECT_TRUE(ShapeOk({2, 3, 4}));
  EXPECT_FALSE(ShapeOk({2, 3}));  // no spatial dimension, as in PyTorch
  EXPECT_FALSE(ShapeOk({2, 3, 4, 4}, {{"size", IntAttr(0)}}));
  EXPECT_FALSE(ShapeOk({2, 3, 4, 4}, {{"k", FloatAttr(0)}}));
  EXPECT_FALSE(ShapeOk({2, 3, 4, 4}, {{"alpha", FloatAttr(-1)}}));
  EXPECT_FALSE(ShapeOk({2, 3, 4, 4}, {{"beta", FloatAttr(INFINITY)}}));
}

}  // namespace
}  // namespace tessera
