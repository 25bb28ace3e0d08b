#include "core/op_test_case.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const double slope = attrs.GetFloat("negative_slope");
  std::vector<float> y = in[0].ToVector();
  for (float& v : y) v = v > 0 ? v : static_cast<float>(slope * v);
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_default_slope";
    c.inputs = {Tensor::FromVector({2, 3}, {-2, -0.5f, 0.25f, 3, 0, -100})};
    c.expected = {{-0.02f, -0.005f, 0.25f, 3, 0, -1}};
    c.grad.kink = 0.0f;
    c.grad.kink_window = 2e-2f;  // twice the step: no difference straddles 0
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "hand_computed_slope_0p2";
    c.attrs = {{"negative_slope", FloatAttr(0.2f)}};
    c.inputs = {Tensor::FromVector({1, 4}, {-1, 2, -0.5f, 0.1f})};
    c.expected = {{-0.2f, 2, -0.1f, 0.1f}};
    c.grad.kink = 0.0f;
    c.grad.kink_window = 2e-2f;
    cases.push_back(c);
  }
  // SpacedValues keep every input at least a quarter gap (0.0125) from 0.
  {
    OpTestCase c;
    c.name = "nchw_2x3x4x5_default";
    c.inputs = {Tensor::FromVector({2, 3, 4, 5}, SpacedValues(120, 501))};
    c.reference = Reference;
    c.grad.kink = 0.0f;
    c.grad.kink_window = 2e-2f;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "nchw_1x5x3x3_slope_0p3";
    c.attrs = {{"negative_slope", FloatAttr(0.3f)}};
    c.inputs = {Tensor::FromVector({1, 5, 3, 3}, SpacedValues(45, 502))};
    c.reference = Reference;
    c.grad.kink = 0.0f;
    c.grad.kink_window = 2e-2f;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("leaky_relu", Cases);

TEST(LeakyReluShape, RejectsNonFiniteSlope) {
  const OpSchema* schema = OpRegistry::Global().Find("leaky_relu");
  absl::StatusOr<Attrs> attrs = schema->ResolveAttrs({{"negative_slope", FloatAttr(NAN)}});
  ASSERT_TRUE(attrs.ok());
  EXPECT_FALSE(schema->InferShapes({{2, 3}}, *attrs).ok());
}

}  // namespace
}  // namespace tessera
