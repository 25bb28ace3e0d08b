// Conformance cases for mul, plus a plain test of the shape function's
// rejection of mismatched shapes (the harness only runs valid cases).

#include <vector>

#include "absl/status/status.h"
#include "core/backend.h"
#include "core/gradient_check.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/op_test_case.h"
#include "core/tensor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

// Independent of the kernel: one pass over the flat buffers.
std::vector<std::vector<float>> MulReference(const std::vector<Tensor>& in, const Attrs&) {
  const std::vector<float> x = in[0].ToVector();
  const std::vector<float> y = in[1].ToVector();
  std::vector<float> z(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    z[i] = static_cast<float>(static_cast<double>(x[i]) * static_cast<double>(y[i]));
  }
  return {z};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed";
    c.inputs = {Tensor::FromVector({2, 3}, {1.5f, -2, 0.5f, 3, -0.25f, 4}),
                Tensor::FromVector({2, 3}, {2, 0.5f, -4, 0, -2, 1})};
    // 1.5*2, -2*0.5, 0.5*-4, 3*0, -0.25*-2, 4*1
    c.expected = {{3, -1, -2, 0, 0.5f, 4}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "mask_batch1";
    c.inputs = {Tensor::FromVector({1, 1, 2, 3}, {0.3f, -0.7f, 1.25f, -2, 0.9f, 5}),
                Tensor::FromVector({1, 1, 2, 3}, {1, 0, 1, 1, 0, 0})};
    c.expected = {{0.3f, 0, 1.25f, -2, 0, 0}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "random_2x3x5x4";
    c.inputs = {RandomTensor({2, 3, 5, 4}, 11), RandomTensor({2, 3, 5, 4}, 12, -2.0f, 2.0f)};
    c.reference = MulReference;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "random_rank1_odd";
    c.inputs = {RandomTensor({7}, 21), RandomTensor({7}, 22)};
    c.reference = MulReference;
    cases.push_back(c);
  }
  return cases;
}
TESSERA_OP_TEST_CASES("mul", Cases);

TEST(MulShape, RejectsDifferentShapes) {
  const OpSchema* schema = OpRegistry::Global().Find("mul");
  ASSERT_NE(schema, nullptr);
  absl::StatusOr<std::vector<Shape>> shapes = schema->InferShapes({{2, 3}, {3, 2}}, Attrs());
  ASSERT_FALSE(shapes.ok());
  EXPECT_EQ(shapes.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(shapes.status().message()),
              testing::HasSubstr("x has shape [2,3] but y has shape [3,2]"));
}

TEST(MulShape, AcceptsEqualShapes) {
  const OpSchema* schema = OpRegistry::Global().Find("mul");
  ASSERT_NE(schema, nullptr);
  absl::StatusOr<std::vector<Shape>> shapes =
      schema->InferShapes({{2, 3, 5, 4}, {2, 3, 5, 4}}, Attrs());
  ASSERT_TRUE(shapes.ok()) << shapes.status();
  EXPECT_EQ(*shapes, (std::vector<Shape>{{2, 3, 5, 4}}));
}

// The conformance cases are a few hundred values, below the kernels' parallel
// split; run one tensor big enough to be cut into chunks, and ask for only
// dy so that the undefined-dx path is taken too.
TEST(MulKernel, LargeTensorSplitAcrossThreadsAndPartialGradient) {
  const Shape shape = {4, 8, 32, 40};  // 40960 values
  const Tensor x = RandomTensor(shape, 31);
  const Tensor y = RandomTensor(shape, 32);
  const Tensor dz = RandomTensor(shape, 33);
  const std::vector<float> xv = x.ToVector(), yv = y.ToVector(), dzv = dz.ToVector();

  absl::StatusOr<OpRun> run = RunOpForward("mul", Attrs(), {x, y}, Device::kCpu, true, 7);
  ASSERT_TRUE(run.ok()) << run.status();
  const std::vector<float> z = run->outputs[0].ToVector();
  ASSERT_EQ(z.size(), xv.size());
  for (size_t i = 0; i < z.size(); ++i) ASSERT_EQ(z[i], xv[i] * yv[i]) << "element " << i;

  absl::StatusOr<const KernelDef*> kernel = KernelRegistry::Global().Find("mul", Device::kCpu);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  const Attrs attrs;
  std::vector<Tensor> saved = run->saved;
  KernelContext ctx{attrs, *GetBackend(Device::kCpu), true, 7, saved};
  const std::vector<Tensor> inputs = {x, y};
  const std::vector<Tensor> output_grads = {dz};
  std::vector<Tensor> input_grads = {Tensor(), Tensor::Filled(shape, 123.0f)};
  GradientArgs args{inputs, run->outputs, output_grads, input_grads};
  ASSERT_TRUE((*kernel)->gradient(ctx, args).ok());
  EXPECT_FALSE(input_grads[0].defined());
  const std::vector<float> dy = input_grads[1].ToVector();
  for (size_t i = 0; i < dy.size(); ++i) ASSERT_EQ(dy[i], dzv[i] * xv[i]) << "element " << i;
}

}  // namespace
}  // namespace tessera
