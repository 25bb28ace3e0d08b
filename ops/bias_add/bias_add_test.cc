#include "core/op_test_case.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

// y[n][c][i] = x[n][c][i] + b[c], indexing x as [N, C, inner].
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs&) {
  const Shape& s = in[0].shape();
  int64_t inner = 1;
  for (size_t d = 2; d < s.size(); ++d) inner *= s[d];
  const std::vector<float> x = in[0].ToVector(), b = in[1].ToVector();
  std::vector<float> y(x.size());
  for (int64_t n = 0; n < s[0]; ++n) {
    for (int64_t c = 0; c < s[1]; ++c) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t at = (n * s[1] + c) * inner + i;
        y[at] = static_cast<float>(double(x[at]) + b[c]);
      }
    }
  }
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_1x2x3";
    c.inputs = {Tensor::FromVector({1, 2, 3}, {1, 2, 3, 4, 5, 6}),
                Tensor::FromVector({2}, {10, -1})};
    c.expected = {{11, 12, 13, 3, 4, 5}};
    cases.push_back(c);
  }
  // {2, 3, 9, 11}: planes of 99 floats take the Highway rows (>= 64), with a tail.
  const Shape shapes[] = {{1, 3, 4, 5}, {2, 5, 3, 2}, {3, 5}, {2, 3, 7}, {2, 3, 9, 11}};
  uint64_t seed = 100;
  for (const Shape& s : shapes) {
    OpTestCase c;
    c.name = "shape";
    for (int64_t d : s) c.name += "_" + std::to_string(d);
    c.inputs = {RandomTensor(s, seed++), RandomTensor({s[1]}, seed++)};
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("bias_add", Cases);

absl::Status ShapeStatus(const std::vector<Shape>& shapes) {
  const OpSchema* schema = OpRegistry::Global().Find("bias_add");
  absl::StatusOr<Attrs> attrs = schema->ResolveAttrs({});
  if (!attrs.ok()) return attrs.status();
  return schema->InferShapes(shapes, *attrs).status();
}

TEST(BiasAddShape, RejectsBadShapes) {
  EXPECT_TRUE(ShapeStatus({{2, 3, 4, 4}, {3}}).ok());
  EXPECT_FALSE(ShapeStatus({{5}, {5}}).ok());              // no channel dimension
  EXPECT_FALSE(ShapeStatus({{2, 3, 4, 4}, {4}}).ok());     // bias size != channels
  EXPECT_FALSE(ShapeStatus({{2, 3, 4, 4}, {1, 3}}).ok());  // bias not rank 1
}

}  // namespace
}  // namespace tessera
