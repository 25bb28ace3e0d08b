// The harness's own checks can fail: a NaN gradient, a 30% error in small
// gradients, an output element left unwritten, and writes past either end of
// an output or an input gradient are all caught. Each uses a deliberately
// broken copy of y = x * x, selected by the attribute "bug".

#include "core/gradient_check.h"

#include <cmath>

#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

enum Bug {
  kNone = 0,
  kNanGradient,
  kGradient30PercentHigh,
  kOutputElementUnwritten,
  kOutputWrittenPastEnd,
  kGradientWrittenPastEnd,
  kGradientWrittenBeforeStart,
};

TESSERA_REGISTER_OP("test_square_with_bug")
    .Input("x")
    .Output("y")
    .Attr("bug", AttrType::kInt, IntAttr(kNone))
    .ShapeFn(SameShapeAsInput(0));

absl::Status SquareForward(KernelContext& ctx, const std::vector<Tensor>& in,
                           std::vector<Tensor>& out) {
  const int64_t bug = ctx.attrs.GetInt("bug");
  const int64_t n = in[0].num_elements();
  for (int64_t i = bug == kOutputElementUnwritten ? 1 : 0; i < n; ++i) {
    out[0].data()[i] = in[0].data()[i] * in[0].data()[i];
  }
  if (bug == kOutputWrittenPastEnd) out[0].data()[n] = 0;
  return absl::OkStatus();
}

absl::Status SquareGradient(KernelContext& ctx, GradientArgs& args) {
  const int64_t bug = ctx.attrs.GetInt("bug");
  const int64_t n = args.inputs[0].num_elements();
  const float factor = bug == kGradient30PercentHigh ? 1.3f : 1.0f;
  float* dx = args.input_grads[0].data();
  for (int64_t i = 0; i < n; ++i) {
    dx[i] = factor * 2 * args.inputs[0].data()[i] * args.output_grads[0].data()[i];
  }
  if (bug == kNanGradient) dx[n / 2] = std::nanf("");
  if (bug == kGradientWrittenPastEnd) dx[n] = 0;
  if (bug == kGradientWrittenBeforeStart) dx[-1] = 0;
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("test_square_with_bug", Device::kCpu, SquareForward, SquareGradient);

Attrs WithBug(Bug bug) {
  absl::StatusOr<Attrs> attrs =
      OpRegistry::Global().Find("test_square_with_bug")->ResolveAttrs({{"bug", IntAttr(bug)}});
  EXPECT_TRUE(attrs.ok()) << attrs.status();
  return *attrs;
}

// x around 1: gradients around 2.
Tensor Ones() { return Tensor::FromVector({2, 3}, {0.5f, -0.7f, 1.1f, -1.3f, 0.9f, 1.6f}); }
// x around 5e-4: every gradient is about 1e-3, where Caffe's absolute 1e-3
// tolerance passes anything.
Tensor Small() { return Tensor::FromVector({5}, {4e-4f, -6e-4f, 5e-4f, 7e-4f, -3e-4f}); }

GradCheckReport Check(Bug bug, const Tensor& x) {
  absl::StatusOr<GradCheckReport> report =
      CheckGradients("test_square_with_bug", WithBug(bug), {x}, Device::kCpu, true, 0, {});
  EXPECT_TRUE(report.ok()) << report.status();
  return report.ok() ? *report : GradCheckReport{};
}

TEST(GradientCheck, CorrectGradientPasses) {
  for (const Tensor& x : {Ones(), Small()}) {
    const GradCheckReport report = Check(kNone, x);
    EXPECT_EQ(report.checked, x.num_elements());
    EXPECT_EQ(report.failed, 0);
    EXPECT_LT(report.max_error_over_tolerance, 0.1);
  }
}

TEST(GradientCheck, NanGradientFailsAndShowsInTheMaxError) {
  const GradCheckReport report = Check(kNanGradient, Ones());
  EXPECT_EQ(report.failed, 1);
  ASSERT_EQ(report.failures.size(), 1u);
  EXPECT_NE(report.failures[0].find("element 3: analytic nan"), std::string::npos)
      << report.failures[0];
  EXPECT_TRUE(std::isnan(report.max_abs_error));
  EXPECT_TRUE(std::isnan(report.max_rel_error));
}

TEST(GradientCheck, ThirtyPercentErrorFailsForLargeAndSmallGradients) {
  EXPECT_EQ(Check(kGradient30PercentHigh, Ones()).failed, 6);
  EXPECT_EQ(Check(kGradient30PercentHigh, Small()).failed, 5);
}

TEST(GradientCheck, ProjectionDependsOnTheSeed) {
  GradCheckOptions a, b;
  b.projection_seed = a.projection_seed + 1;
  auto max_error = [](const GradCheckOptions& options) {
    absl::StatusOr<GradCheckReport> r = CheckGradients("test_square_with_bug", WithBug(kNone),
                                                       {Ones()}, Device::kCpu, true, 0, options);
    EXPECT_TRUE(r.ok());
    return r->max_abs_error;
  };
  EXPECT_NE(max_error(a), max_error(b));
}

TEST(Harness, OutputsStartAsTheUnwrittenMarker) {
  absl::StatusOr<OpRun> run = RunOpForward("test_square_with_bug", WithBug(kOutputElementUnwritten),
                                           {Ones()}, Device::kCpu, true, 0);
  ASSERT_TRUE(run.ok()) << run.status();
  const std::vector<float> y = run->outputs[0].ToVector();
  EXPECT_TRUE(IsUnwrittenMarker(y[0]));
  EXPECT_FLOAT_EQ(y[1], 0.49f);
  EXPECT_FALSE(IsUnwrittenMarker(std::nanf("")));
}

TEST(Harness, WritePastTheEndOfAnOutputIsAnError) {
  absl::StatusOr<OpRun> run = RunOpForward("test_square_with_bug", WithBug(kOutputWrittenPastEnd),
                                           {Ones()}, Device::kCpu, true, 0);
  ASSERT_FALSE(run.ok());
  EXPECT_NE(run.status().message().find("past the end of test_square_with_bug forward output y"),
            std::string::npos)
      << run.status();
}

TEST(Harness, WritesOutsideAnInputGradientAreErrors) {
  for (Bug bug : {kGradientWrittenPastEnd, kGradientWrittenBeforeStart}) {
    absl::StatusOr<std::vector<Tensor>> grads =
        RunOpGradient("test_square_with_bug", WithBug(bug), {Ones()}, Device::kCpu, true, 0,
                      {Tensor::Filled({2, 3}, 1.0f)});
    ASSERT_FALSE(grads.ok()) << "bug " << bug;
    EXPECT_NE(grads.status().message().find("test_square_with_bug gradient of input x"),
              std::string::npos)
        << grads.status();
  }
  EXPECT_TRUE(RunOpGradient("test_square_with_bug", WithBug(kNone), {Ones()}, Device::kCpu, true, 0,
                            {Tensor::Filled({2, 3}, 1.0f)})
                  .ok());
}

}  // namespace
}  // namespace tessera
