#include "core/op_test_case.h"

namespace tessera {
namespace {

// 0.5 * sum((y - t)^2) / batch, summed in double in plain order.
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs&) {
  const std::vector<float> y = in[0].ToVector(), t = in[1].ToVector();
  double s = 0;
  for (size_t i = 0; i < y.size(); ++i) s += (double(y[i]) - t[i]) * (double(y[i]) - t[i]);
  return {{static_cast<float>(0.5 * s / in[0].dim(0))}};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed";
    // Differences 1, -2, 0, 3 over a batch of 2: 0.5 * 14 / 2 = 3.5.
    c.inputs = {Tensor::FromVector({2, 2}, {1, 0, 5, 4}), Tensor::FromVector({2, 2}, {0, 2, 5, 1})};
    c.expected = {{3.5f}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "images_3x1x4x5";
    c.inputs = {RandomTensor({3, 1, 4, 5}, 41), RandomTensor({3, 1, 4, 5}, 42)};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    // More than two of the forward's 64K-float blocks, the last one partial
    // (the gradient is the elementwise loop checked above).
    OpTestCase c;
    c.name = "blocks_2x70001";
    c.inputs = {RandomTensor({2, 70001}, 43), RandomTensor({2, 70001}, 44)};
    c.reference = Reference;
    c.check_gradient = false;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("l2_loss", Cases);

}  // namespace
}  // namespace tessera
