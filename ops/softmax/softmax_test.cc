#include <algorithm>
#include <cmath>

#include "core/op_test_case.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

// Plain nested loops over (outer, inner) with the axis innermost, in double.
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const Shape& s = in[0].shape();
  int64_t axis = attrs.GetInt("axis");
  if (axis < 0) axis += static_cast<int64_t>(s.size());
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= s[d];
  for (size_t d = axis + 1; d < s.size(); ++d) inner *= s[d];
  const int64_t n = s[axis];
  const std::vector<float> x = in[0].ToVector();
  std::vector<float> y(x.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      auto at = [&](int64_t j) { return (o * n + j) * inner + i; };
      double max = x[at(0)], sum = 0;
      for (int64_t j = 1; j < n; ++j) max = std::max(max, double(x[at(j)]));
      for (int64_t j = 0; j < n; ++j) sum += std::exp(x[at(j)] - max);
      for (int64_t j = 0; j < n; ++j) y[at(j)] = static_cast<float>(std::exp(x[at(j)] - max) / sum);
    }
  }
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_1x3";
    // e^-2, e^-1, 1 over their sum 1.5032147.
    c.inputs = {Tensor::FromVector({1, 3}, {1, 2, 3})};
    c.expected = {{0.09003057f, 0.24472847f, 0.66524096f}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "huge_logits_stay_finite";
    // exp(1000) overflows float; max-subtracted it is 1 / (1 + e^-1).
    c.inputs = {Tensor::FromVector({1, 3}, {1000, 999, -1000})};
    c.expected = {{0.73105858f, 0.26894142f, 0}};
    cases.push_back(c);
  }
  struct Config {
    Shape shape;
    int64_t axis;
  };
  const Config configs[] = {{{2, 3, 2, 3}, 1},
                            {{1, 5, 3, 2}, 1},
                            {{2, 3, 5}, -1},
                            {{3, 4}, 0},
                            {{1, 5, 3, 2}, 2},
                            {{2, 5}, 1},
                            {{2, 3, 2, 3}, -3},
                            // Longer and more vectors than one warp / block.
                            {{3, 70}, -1},
                            {{300, 7}, 1},
                            {{4, 6, 10, 10}, 1}};
  uint64_t seed = 600;
  for (const Config& cfg : configs) {
    OpTestCase c;
    c.name = "shape";
    for (int64_t d : cfg.shape) c.name += "_" + std::to_string(d);
    c.name += "_axis" + (cfg.axis < 0 ? "m" + std::to_string(-cfg.axis) : std::to_string(cfg.axis));
    c.attrs = {{"axis", IntAttr(cfg.axis)}};
    c.inputs = {RandomTensor(cfg.shape, seed++, -3, 3)};
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("softmax", Cases);

bool ShapeOk(const Shape& shape, int64_t axis) {
  const OpSchema* schema = OpRegistry::Global().Find("softmax");
  absl::StatusOr<Attrs> attrs = schema->ResolveAttrs({{"axis", IntAttr(axis)}});
  return attrs.ok() && schema->InferShapes({shape}, *attrs).ok();
}

TEST(SoftmaxShape, AxisRange) {
  EXPECT_TRUE(ShapeOk({2, 3}, 1));
  EXPECT_TRUE(ShapeOk({2, 3}, -2));
  EXPECT_FALSE(ShapeOk({2, 3}, 2));
  EXPECT_FALSE(ShapeOk({2, 3}, -3));
  EXPECT_FALSE(ShapeOk({5}, 1));  // the default axis needs rank >= 2
  EXPECT_FALSE(ShapeOk({}, 0));
}

}  // namespace
}  // namespace tessera
