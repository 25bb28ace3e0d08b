#include <cmath>

#include "core/op_test_case.h"

namespace tessera {
namespace {

// (e^2x - 1) / (e^2x + 1) in double, written via exp so it does not just
// call the kernel's std::tanh again; fine for |x| < 300.
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs&) {
  std::vector<float> y = in[0].ToVector();
  for (float& v : y) {
    const double e = std::exp(2.0 * v);
    v = static_cast<float>((e - 1) / (e + 1));
  }
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed";
    // tanh(ln 2) = (4 - 1) / (4 + 1) = 0.6; large |x| saturates to +-1.
    c.inputs = {Tensor::FromVector({1, 5}, {0, std::log(2.0f), -std::log(2.0f), 1000, -1000})};
    c.expected = {{0, 0.6f, -0.6f, 1, -1}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "nchw_2x5x3x3";
    c.inputs = {RandomTensor({2, 5, 3, 3}, 401, -4, 4)};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "rows_1x3";
    c.inputs = {RandomTensor({1, 3}, 402, -1, 1)};
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("tanh", Cases);

}  // namespace
}  // namespace tessera
