#include <cmath>

#include "core/op_test_case.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const double alpha = attrs.GetFloat("alpha");
  std::vector<float> y = in[0].ToVector();
  for (float& v : y) v = v > 0 ? v : static_cast<float>(alpha * std::expm1(static_cast<double>(v)));
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_default_alpha";
    c.inputs = {Tensor::FromVector({2, 3}, {-2, -0.5f, 0.25f, 3, 0, -100})};
    // alpha * (exp(x) - 1): exp(-2) = 0.135335, exp(-0.5) = 0.606531.
    c.expected = {{-0.8646647f, -0.3934693f, 0.25f, 3, 0, -1}};
    c.grad.kink = 0.0f;  // the slope jumps at 0 unless alpha == 1
    c.grad.kink_window = 2e-2f;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "hand_computed_alpha_0p5";
    c.attrs = {{"alpha", FloatAttr(0.5f)}};
    c.inputs = {Tensor::FromVector({1, 4}, {-1, 2, -0.5f, 0.1f})};
    // 0.5 * (exp(-1) - 1) = -0.3160603, 0.5 * (exp(-0.5) - 1) = -0.1967347.
    c.expected = {{-0.3160603f, 2, -0.1967347f, 0.1f}};
    c.grad.kink = 0.0f;
    c.grad.kink_window = 2e-2f;
    cases.push_back(c);
  }
  // SpacedValues keep every input at least a quarter gap (0.0125) from 0.
  {
    OpTestCase c;
    c.name = "nchw_2x3x4x5_default";
    c.inputs = {Tensor::FromVector({2, 3, 4, 5}, SpacedValues(120, 601))};
    c.reference = Reference;
    c.grad.kink = 0.0f;
    c.grad.kink_window = 2e-2f;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "nchw_1x5x3x3_alpha_2p5";
    c.attrs = {{"alpha", FloatAttr(2.5f)}};
    c.inputs = {Tensor::FromVector({1, 5, 3, 3}, SpacedValues(45, 602))};
    c.reference = Reference;
    c.grad.kink = 0.0f;
    c.grad.kink_window = 2e-2f;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "odd_7x3_random";
    c.inputs = {RandomTensor({7, 3}, 603)};
    c.reference = Reference;
    c.grad.kink = 0.0f;
    c.grad.kink_window = 2e-2f;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("elu", Cases);

TEST(EluShape, RejectsNonFiniteAlpha) {
  const OpSchema* schema = OpRegistry::Global().Find("elu");
  absl::StatusOr<Attrs> attrs = schema->ResolveAttrs({{"alpha", FloatAttr(NAN)}});
  ASSERT_TRUE(attrs.ok());
  EXPECT_FALSE(schema->InferShapes({{2, 3}}, *attrs).ok());
}

}  // namespace
}  // namespace tessera
