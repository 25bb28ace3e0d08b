#include <cmath>

#include "core/op_test_case.h"

namespace tessera {
namespace {

// 1 / (1 + e^-x) in double: exp(-x) only overflows a double for x < -709,
// beyond the inputs used here.
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs&) {
  std::vector<float> y = in[0].ToVector();
  for (float& v : y) v = static_cast<float>(1.0 / (1.0 + std::exp(-double(v))));
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed";
    // sigmoid(ln 3) = 3/4, sigmoid(-ln 3) = 1/4.
    c.inputs = {Tensor::FromVector({1, 3}, {0, std::log(3.0f), -std::log(3.0f)})};
    c.expected = {{0.5f, 0.75f, 0.25f}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "huge_inputs_saturate_without_nan";
    // The naive 1 / (1 + exp(-x)) gives exp(1000) = inf for x = -1000 (fine,
    // 1/inf = 0) but e^x / (1 + e^x) gives inf/inf = NaN for x = 1000; the
    // stable form must give exactly 1 and 0 (and a tiny value for -100).
    c.inputs = {Tensor::FromVector({2, 3}, {1000, -1000, 100, -100, 88.8f, -88.8f})};
    c.expected = {{1, 0, 1, 0, 1, 0}};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "nchw_2x3x4x5";
    c.inputs = {RandomTensor({2, 3, 4, 5}, 301, -6, 6)};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "rows_1x7";
    c.inputs = {RandomTensor({1, 7}, 302, -3, 3)};
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("sigmoid", Cases);

}  // namespace
}  // namespace tessera
