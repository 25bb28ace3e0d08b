#include "core/op_test_case.h"

namespace tessera {
namespace {

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed";
    c.inputs = {Tensor::FromVector({2, 3}, {-2, -0.5f, 0.25f, 3, 0.7f, -1e-3f})};
    c.expected = {{0, 0, 0.25f, 3, 0.7f, 0}};
    c.grad.kink = 0.0f;
    c.grad.kink_window = 2e-2f;  // twice the step: no difference straddles 0
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "nchw_3x5x4x3";
    c.inputs = {Tensor::FromVector({3, 5, 4, 3}, SpacedValues(180, 21))};
    c.reference = [](const std::vector<Tensor>& in, const Attrs&) {
      std::vector<float> y = in[0].ToVector();
      for (float& v : y) v = v > 0 ? v : 0;
      return std::vector<std::vector<float>>{y};
    };
    c.grad.kink = 0.0f;
    c.grad.kink_window = 2e-2f;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("relu", Cases);

}  // namespace
}  // namespace tessera
