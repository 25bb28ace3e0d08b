#include <cmath>
#include <limits>

#include "core/backend.h"
#include "core/op_test_case.h"
#include "gtest/gtest.h"

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
  {
    // More classes than a warp's lanes and more rows than a block's warps.
    OpTestCase c;
    c.name = "batch20_classes45";
    std::vector<float> labels;
    for (int i = 0; i < 20; ++i) labels.push_back(static_cast<float>((i * 7) % 45));
    c.inputs = {RandomTensor({20, 45}, 32, -3, 3), Tensor::FromVector({20}, labels)};
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("softmax_cross_entropy", Cases);

// Labels that are not class indices are an InvalidArgument on every device,
// with the CPU's message.
TEST(SoftmaxCrossEntropy, RejectsBadLabelsOnEveryDevice) {
  const Attrs attrs = *OpRegistry::Global().Find("softmax_cross_entropy")->ResolveAttrs({});
  for (float bad : {-1.0f, 3.0f, 1.5f, std::numeric_limits<float>::quiet_NaN()}) {
    const std::vector<Tensor> in = {RandomTensor({2, 3}, 1), Tensor::FromVector({2}, {0, bad})};
    absl::StatusOr<OpRun> cpu =
        RunOpForward("softmax_cross_entropy", attrs, in, Device::kCpu, true, 0);
    ASSERT_EQ(cpu.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(cpu.status().message().find("of example 1"), std::string::npos) << cpu.status();
    for (Device device : AvailableDevices()) {
      absl::StatusOr<OpRun> run = RunOpForward("softmax_cross_entropy", attrs, in, device, true, 0);
      EXPECT_EQ(run.status(), cpu.status()) << DeviceName(device);
    }
  }
}

}  // namespace
}  // namespace tessera
