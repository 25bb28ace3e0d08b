#include <cmath>

#include "core/op_test_case.h"

namespace tessera {
namespace {

std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs&) {
  const int64_t batch = in[0].dim(0), classes = in[0].dim(1);
  const std::vector<float> z = in[0].ToVector(), labels = in[1].ToVector();
  double total = 0;
  for (int64_t i = 0; i < batch; ++i) {
    double sum = 0;
    for (int64_t c = 0; c < classes; ++c) sum += std::exp(double(z[i * classes + c]));
    total += std::log(sum) - z[i * classes + static_cast<int64_t>(labels[i])];
  }
  return {{static_cast<float>(total / batch)}};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "uniform_logits";
    // Equal logits: loss is log(classes) whatever the label.
    c.inputs = {Tensor::FromVector({2, 4}, std::vector<float>(8, 0.3f)),
                Tensor::FromVector({2}, {0, 3})};
    c.expected = {{std::log(4.0f)}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "huge_logits_stay_finite";
    // exp(1000) overflows float; the stable form gives log(1 + e^-1) exactly.
    c.inputs = {Tensor::FromVector({1, 2}, {1000, 999}), Tensor::FromVector({1}, {0})};
    c.expected = {{std::log1p(std::exp(-1.0f))}};
    c.grad.step = 1e-2f;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "batch5_classes7";
    c.inputs = {RandomTensor({5, 7}, 31, -3, 3), Tensor::FromVector({5}, {0, 6, 3, 3, 1})};
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("softmax_cross_entropy", Cases);

}  // namespace
}  // namespace tessera
