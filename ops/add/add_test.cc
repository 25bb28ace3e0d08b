#include "core/op_test_case.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs&) {
  const std::vector<float> x = in[0].ToVector(), y = in[1].ToVector();
  std::vector<float> z(x.size());
  for (size_t i = 0; i < x.size(); ++i) z[i] = static_cast<float>(double(x[i]) + y[i]);
  return {z};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_2x2";
    c.inputs = {Tensor::FromVector({2, 2}, {1, -2, 0.5f, 3}),
                Tensor::FromVector({2, 2}, {0.25f, 2, -1, 4})};
    c.expected = {{1.25f, 0, -0.5f, 7}};
    cases.push_back(c);
  }
  const Shape shapes[] = {{1, 3, 4, 5}, {2, 5, 3, 3}, {7}};
  uint64_t seed = 200;
  for (const Shape& s : shapes) {
    OpTestCase c;
    c.name = "shape";
    for (int64_t d : s) c.name += "_" + std::to_string(d);
    c.inputs = {RandomTensor(s, seed++), RandomTensor(s, seed++)};
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("add", Cases);

TEST(AddShape, RejectsMismatchedShapes) {
  const OpSchema* schema = OpRegistry::Global().Find("add");
  absl::StatusOr<Attrs> attrs = schema->ResolveAttrs({});
  ASSERT_TRUE(attrs.ok());
  EXPECT_TRUE(schema->InferShapes({{2, 3}, {2, 3}}, *attrs).ok());
  EXPECT_FALSE(schema->InferShapes({{2, 3}, {3, 2}}, *attrs).ok());
  EXPECT_FALSE(schema->InferShapes({{2, 3}, {1, 3}}, *attrs).ok());  // no broadcasting
  EXPECT_FALSE(schema->InferShapes({{6}, {2, 3}}, *attrs).ok());
}

}  // namespace
}  // namespace tessera
