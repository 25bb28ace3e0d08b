#include "core/op_test_case.h"

namespace tessera {
namespace {

// y[i][o] = sum_f x[i][f] * w[o][f] + b[o], in double.
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs&) {
  const int64_t batch = in[0].dim(0), features = in[0].dim(1), units = in[1].dim(0);
  const std::vector<float> x = in[0].ToVector(), w = in[1].ToVector();
  const std::vector<float> b = in.size() == 3 ? in[2].ToVector() : std::vector<float>(units, 0.0f);
  std::vector<float> y(batch * units);
  for (int64_t i = 0; i < batch; ++i) {
    for (int64_t o = 0; o < units; ++o) {
      double s = b[o];
      for (int64_t f = 0; f < features; ++f) s += double(x[i * features + f]) * w[o * features + f];
      y[i * units + o] = static_cast<float>(s);
    }
  }
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_2x3_to_2";
    c.inputs = {Tensor::FromVector({2, 3}, {1, 2, 3, -1, 0, 2}),
                Tensor::FromVector({2, 3}, {1, 0, -1, 0.5f, 0.5f, 0.5f}),
                Tensor::FromVector({2}, {0.1f, -0.2f})};
    // Row 0: 1-3+0.1 = -1.9, 0.5+1+1.5-0.2 = 2.8. Row 1: -1-2+0.1 = -2.9, -0.5+1-0.2 = 0.3.
    c.expected = {{-1.9f, 2.8f, -2.9f, 0.3f}};
    cases.push_back(c);
  }
  const int64_t shapes[][3] = {{1, 5, 3}, {4, 7, 9}, {3, 16, 10}};
  for (const auto& s : shapes) {
    for (bool bias : {true, false}) {
      OpTestCase c;
      c.name = "batch" + std::to_string(s[0]) + "_in" + std::to_string(s[1]) + "_out" +
               std::to_string(s[2]) + (bias ? "_bias" : "_nobias");
      c.inputs = {RandomTensor({s[0], s[1]}, 11), RandomTensor({s[2], s[1]}, 12)};
      if (bias) c.inputs.push_back(RandomTensor({s[2]}, 13));
      c.reference = Reference;
      cases.push_back(c);
    }
  }
  return cases;
}

TESSERA_OP_TEST_CASES("matmul", Cases);

}  // namespace
}  // namespace tessera
