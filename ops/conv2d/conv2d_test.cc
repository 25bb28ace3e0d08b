#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/gradient_check.h"
#include "core/op_test_case.h"
#include "core/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ops/common/winograd.h"
#include "ops/conv2d/direct_conv.h"

namespace tessera {
namespace {

// The definition, straight from PyTorch's docs, in double:
// y[n,o,i,j] = b[o] + sum_{c,kh,kw} x[n, g*Cg + c, i*s - p + kh*d, j*s - p + kw*d] w[o,c,kh,kw]
// with g = o / (O/groups) and out-of-range pixels reading 0.
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const std::vector<int64_t> stride = attrs.GetInts("stride"), pad = attrs.GetInts("padding"),
                             dil = attrs.GetInts("dilation");
  const int64_t groups = attrs.GetInt("groups");
  const int64_t batch = in[0].dim(0), channels = in[0].dim(1), height = in[0].dim(2),
                width = in[0].dim(3);
  const int64_t outs = in[1].dim(0), cg = in[1].dim(1), kh_size = in[1].dim(2),
                kw_size = in[1].dim(3);
  const int64_t out_h = (height + 2 * pad[0] - dil[0] * (kh_size - 1) - 1) / stride[0] + 1;
  const int64_t out_w = (width + 2 * pad[1] - dil[1] * (kw_size - 1) - 1) / stride[1] + 1;
  const std::vector<float> x = in[0].ToVector(), w = in[1].ToVector();
  const std::vector<float> b = in.size() == 3 ? in[2].ToVector() : std::vector<float>(outs, 0.0f);
  std::vector<float> y;
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t o = 0; o < outs; ++o) {
      const int64_t g = o / (outs / groups);
      for (int64_t i = 0; i < out_h; ++i) {
        for (int64_t j = 0; j < out_w; ++j) {
          double s = b[o];
          for (int64_t c = 0; c < cg; ++c) {
            for (int64_t kh = 0; kh < kh_size; ++kh) {
              for (int64_t kw = 0; kw < kw_size; ++kw) {
                const int64_t ih = i * stride[0] - pad[0] + kh * dil[0];
                const int64_t iw = j * stride[1] - pad[1] + kw * dil[1];
                if (ih < 0 || ih >= height || iw < 0 || iw >= width) continue;
                s += double(x[((n * channels + g * cg + c) * height + ih) * width + iw]) *
                     w[((o * cg + c) * kh_size + kh) * kw_size + kw];
              }
            }
          }
          y.push_back(static_cast<float>(s));
        }
      }
    }
  }
  return {y};
}

struct Params {
  std::vector<int64_t> stride = {1, 1}, padding = {0, 0}, dilation = {1, 1};
  int64_t groups = 1;
};

std::map<std::string, AttrValue> ToAttrs(const Params& p) {
  return {{"stride", IntsAttr(p.stride)},
          {"padding", IntsAttr(p.padding)},
          {"dilation", IntsAttr(p.dilation)},
          {"groups", IntAttr(p.groups)}};
}

OpTestCase RandomCase(const std::string& name, const Shape& x, const Shape& w, bool bias,
                      const Params& p, uint64_t seed) {
  OpTestCase c;
  c.name = name + (bias ? "_bias" : "_nobias");
  c.attrs = ToAttrs(p);
  c.inputs = {RandomTensor(x, seed), RandomTensor(w, seed + 1)};
  if (bias) c.inputs.push_back(RandomTensor({w[0]}, seed + 2));
  c.reference = Reference;
  return c;
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  const Tensor nine = Tensor::FromVector({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  {
    OpTestCase c;
    c.name = "hand_computed_difference_kernel";
    // w = [[1, 0], [0, -1]]: y[i,j] = x[i,j] - x[i+1,j+1] = -4 everywhere, plus 0.5.
    c.inputs = {nine, Tensor::FromVector({1, 1, 2, 2}, {1, 0, 0, -1}),
                Tensor::FromVector({1}, {0.5f})};
    c.expected = {{-3.5f, -3.5f, -3.5f, -3.5f}};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "hand_computed_stride2_pad1";
    // Padded input is 5x5, windows start at -1 and 1 on each axis; w = [[1, 2], [3, 4]].
    // (0,0): 1*4 = 4.  (0,1): 2*3 + 3*4 = 18.  (1,0): 4*2 + 7*4 = 36.
    // (1,1): 5*1 + 6*2 + 8*3 + 9*4 = 77.
    c.attrs = ToAttrs({{2, 2}, {1, 1}, {1, 1}, 1});
    c.inputs = {nine, Tensor::FromVector({1, 1, 2, 2}, {1, 2, 3, 4})};
    c.expected = {{4, 18, 36, 77}};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "hand_computed_two_channels_two_outputs";
    // 1x1 kernels mix channels: o0 = x0 + 2 x1 + 1, o1 = -x0 + 0.5 x1 - 1.
    c.inputs = {Tensor::FromVector({1, 2, 1, 2}, {1, 2, 10, 20}),
                Tensor::FromVector({2, 2, 1, 1}, {1, 2, -1, 0.5f}),
                Tensor::FromVector({2}, {1, -1})};
    c.expected = {{22, 43, 3, 7}};
    cases.push_back(c);
  }
  for (bool bias : {true, false}) {
    cases.push_back(RandomCase("batch2_c3_o4_k3x3_pad1", {2, 3, 5, 6}, {4, 3, 3, 3}, bias,
                               {{1, 1}, {1, 1}, {1, 1}, 1}, 100));
    cases.push_back(RandomCase("batch1_c5_o3_k2x3_stride2_pad1x0", {1, 5, 7, 6}, {3, 5, 2, 3}, bias,
                               {{2, 2}, {1, 0}, {1, 1}, 1}, 110));
    cases.push_back(RandomCase("batch2_c3_o2_k3x3_dilation2_pad2", {2, 3, 7, 6}, {2, 3, 3, 3}, bias,
                               {{1, 1}, {2, 2}, {2, 2}, 1}, 120));
    cases.push_back(RandomCase("batch2_c4_o6_groups2_stride2x1", {2, 4, 5, 5}, {6, 2, 3, 3}, bias,
                               {{2, 1}, {1, 1}, {1, 1}, 2}, 130));
    cases.push_back(RandomCase("batch1_depthwise_c5", {1, 5, 6, 5}, {5, 1, 3, 3}, bias,
                               {{1, 1}, {1, 1}, {1, 1}, 5}, 140));
  }
  cases.push_back(RandomCase("batch2_depthwise_c3_multiplier2_stride2", {2, 3, 5, 7}, {6, 1, 3, 2},
                             true, {{2, 2}, {0, 1}, {1, 1}, 3}, 150));
  cases.push_back(RandomCase("batch2_c6_o3_groups3_k2x3_stride2x3_pad1x2_dilation2x1", {2, 6, 5, 6},
                             {3, 2, 2, 3}, false, {{2, 3}, {1, 2}, {2, 1}, 3}, 160));
  cases.push_back(RandomCase("batch2_c5_o3_k1x1", {2, 5, 3, 4}, {3, 5, 1, 1}, true, {}, 170));
  // The kernel covers the whole padded input: a single output pixel.
  cases.push_back(RandomCase("batch1_c3_o2_kernel_fills_padded_input", {1, 3, 3, 2}, {2, 3, 5, 4},
                             true, {{1, 1}, {1, 1}, {1, 1}, 1}, 180));
  // Stride larger than the kernel skips pixels, which must get zero gradient.
  cases.push_back(RandomCase("batch2_c3_o2_stride3_skips_pixels", {2, 3, 7, 8}, {2, 3, 2, 2}, true,
                             {{3, 3}, {0, 0}, {1, 1}, 1}, 190));
  // Images of 1024 pixels or more get one GEMM each, written straight into
  // y; 10 and 3 output channels leave partial register tiles.
  cases.push_back(RandomCase("batch1_c1_o10_k3x3_pad1_32x33_one_gemm_per_image", {1, 1, 32, 33},
                             {10, 1, 3, 3}, true, {{1, 1}, {1, 1}, {1, 1}, 1}, 200));
  // The direct convolution (direct_conv.h) under its automatic choice, so
  // that the harness reruns it on every SIMD target (small, for the
  // finite-difference check over every weight): stride 4 on odd sizes with
  // 33 outputs (a partial channel block), odd batch; a 5x5 with groups and
  // 32 outputs per group, batch 1; a padded stride-1 kernel whose input
  // gradient runs as a direct convolution too.
  cases.push_back(RandomCase("batch3_c3_o33_k7x7_stride4_pad2_direct", {3, 3, 13, 11},
                             {33, 3, 7, 7}, true, {{4, 4}, {2, 2}, {1, 1}, 1}, 210));
  cases.push_back(RandomCase("batch1_c6_o64_groups2_k5x5_pad2_direct", {1, 6, 7, 6}, {64, 3, 5, 5},
                             true, {{1, 1}, {2, 2}, {1, 1}, 2}, 220));
  cases.push_back(RandomCase("batch3_c32_o32_k2x1_pad1x0_direct_dx", {3, 32, 4, 3}, {32, 32, 2, 1},
                             false, {{1, 1}, {1, 0}, {1, 1}, 1}, 230));
  return cases;
}

TESSERA_OP_TEST_CASES("conv2d", Cases);

// Shape inference: the output size and every rejection.
absl::StatusOr<std::vector<Shape>> Infer(const std::vector<Shape>& shapes, const Params& p) {
  const OpSchema* schema = OpRegistry::Global().Find("conv2d");
  if (schema == nullptr) return absl::NotFoundError("conv2d is not registered");
  TS_ASSIGN_OR_RETURN(const Attrs attrs, schema->ResolveAttrs(ToAttrs(p)));
  return schema->InferShapes(shapes, attrs);
}

void ExpectRejected(const std::vector<Shape>& shapes, const Params& p, const std::string& message) {
  absl::StatusOr<std::vector<Shape>> result = Infer(shapes, p);
  ASSERT_FALSE(result.ok()) << "accepted, inferred " << ShapeToString((*result)[0]);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  EXPECT_THAT(std::string(result.status().message()), testing::HasSubstr(message));
}

TEST(Conv2dShape, FollowsPyTorchFormula) {
  // floor((7 + 2 - 2*2 - 1) / 2) + 1 = 3; floor((10 + 0 - 2 - 1) / 3) + 1 = 3.
  absl::StatusOr<std::vector<Shape>> y =
      Infer({{2, 4, 7, 10}, {6, 2, 3, 3}, {6}}, {{2, 3}, {1, 0}, {2, 1}, 2});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ((*y)[0], (Shape{2, 6, 3, 3}));
}

TEST(Conv2dShape, RejectsBadShapes) {
  ExpectRejected({{3, 5, 5}, {2, 3, 3, 3}}, {}, "input x");
  ExpectRejected({{1, 3, 5, 5}, {2, 3, 3}}, {}, "weight");
  ExpectRejected({{1, 3, 0, 5}, {2, 3, 3, 3}}, {}, "positive dimensions");
  ExpectRejected({{1, 3, 5, 5}, {0, 3, 3, 3}}, {}, "positive dimensions");
  ExpectRejected({{1, 4, 5, 5}, {2, 3, 3, 3}}, {}, "input channels");
  ExpectRejected({{1, 3, 5, 5}, {2, 3, 3, 3}, {3}}, {}, "bias must have shape [2]");
  ExpectRejected({{1, 3, 5, 5}, {2, 3, 3, 3}, {2, 1}}, {}, "bias must have shape [2]");
  ExpectRejected({{1, 3, 4, 5}, {2, 3, 5, 3}}, {}, "kernel height 5");
  ExpectRejected({{1, 3, 4, 4}, {2, 3, 3, 3}}, {{1, 1}, {0, 0}, {1, 2}, 1}, "kernel width 3");
  ExpectRejected({{1, 3, 5, 5}, {2, 3, 3, 3}, {2}, {2}}, {}, "inputs");
}

TEST(Conv2dShape, RejectsBadGroups) {
  ExpectRejected({{1, 4, 5, 5}, {2, 2, 3, 3}}, {{1, 1}, {0, 0}, {1, 1}, 0}, "groups must be >= 1");
  ExpectRejected({{1, 3, 5, 5}, {2, 1, 3, 3}}, {{1, 1}, {0, 0}, {1, 1}, 2}, "not divisible");
  ExpectRejected({{1, 4, 5, 5}, {3, 2, 3, 3}}, {{1, 1}, {0, 0}, {1, 1}, 2}, "not divisible");
  ExpectRejected({{1, 4, 5, 5}, {2, 4, 3, 3}}, {{1, 1}, {0, 0}, {1, 1}, 2}, "per group");
}

TEST(Conv2dShape, RejectsBadAttributes) {
  const std::vector<Shape> ok = {{1, 3, 5, 5}, {2, 3, 3, 3}};
  ExpectRejected(ok, {{1}, {0, 0}, {1, 1}, 1}, "stride must have 2 entries");
  ExpectRejected(ok, {{1, 1}, {0, 0, 0}, {1, 1}, 1}, "padding must have 2 entries");
  ExpectRejected(ok, {{0, 1}, {0, 0}, {1, 1}, 1}, "stride must be >= 1");
  ExpectRejected(ok, {{1, 1}, {0, -1}, {1, 1}, 1}, "padding must be >= 0");
  ExpectRejected(ok, {{1, 1}, {0, 0}, {1, 0}, 1}, "dilation must be >= 1");
}

// Winograd F(4x4, 3x3), forced on shapes that cut its 4x4 tiles at every
// edge: odd sizes, padding 0 to 3 (3: the input gradient's padding 2 - 3
// crops), groups, odd batches, more tiles than one block. The forward
// against the double reference, dx and dW against the plain path's, and the
// finite-difference gradient check through it. Tolerances are the golden
// data's (1e-4 + 1e-4 |b|): F(4x4, 3x3)'s transforms scale values up and
// back down by up to ~100, so its rounding errors exceed a direct sum's
// (the conformance cases' 1e-5, which the plain path keeps).
class ForceWinograd {
 public:
  explicit ForceWinograd(conv::WinogradUse use) { conv::SetWinogradUseForTesting(use); }
  ~ForceWinograd() { conv::SetWinogradUseForTesting(conv::WinogradUse::kAuto); }
};

void ExpectNear(const std::vector<float>& got, const std::vector<float>& want, double tol,
                const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(double(got[i]) - want[i]);
    if (!(err <= tol * (1 + std::fabs(double(want[i])))) && reported++ < 5) {
      ADD_FAILURE() << what << " [" << i << "]: " << got[i] << " vs " << want[i];
    }
  }
}

// A convolution that a test forces down one path.
struct ForcedCase {
  Shape x, w;
  Params p;
};

// One forced path over `cases`: with Force(never) the plain path's input
// gradients; with Force(always) the forward against the double reference
// and the input gradients against the plain ones (both within `tol`), y and
// dx bitwise the same over small work items on 4 threads, and the
// finite-difference check through it (the cases small enough for it).
template <class Force, class Use>
void ExpectForcedPathMatches(const std::vector<ForcedCase>& cases, Use never, Use always,
                             uint64_t seed, double tol) {
  const OpSchema* schema = OpRegistry::Global().Find("conv2d");
  ASSERT_NE(schema, nullptr);
  for (const ForcedCase& fc : cases) {
    const std::string name =
        absl::StrCat(ShapeToString(fc.x), " * ", ShapeToString(fc.w), " stride ", fc.p.stride[0],
                     "x", fc.p.stride[1], " pad ", fc.p.padding[0], "x", fc.p.padding[1]);
    absl::StatusOr<Attrs> attrs = schema->ResolveAttrs(ToAttrs(fc.p));
    ASSERT_TRUE(attrs.ok()) << attrs.status();
    const std::vector<Tensor> inputs = {RandomTensor(fc.x, seed), RandomTensor(fc.w, seed + 1),
                                        RandomTensor({fc.w[0]}, seed + 2)};
    absl::StatusOr<std::vector<Tensor>> plain_grads;
    std::vector<Tensor> dy;
    {
      const Force plain(never);
      absl::StatusOr<OpRun> run = RunOpForward("conv2d", *attrs, inputs, Device::kCpu, true, 1);
      ASSERT_TRUE(run.ok()) << run.status();
      dy = {RandomTensor(run->outputs[0].shape(), seed + 3)};
      plain_grads = RunOpGradient("conv2d", *attrs, inputs, Device::kCpu, true, 1, dy);
      ASSERT_TRUE(plain_grads.ok()) << plain_grads.status();
    }
    const Force forced(always);
    absl::StatusOr<OpRun> run = RunOpForward("conv2d", *attrs, inputs, Device::kCpu, true, 1);
    ASSERT_TRUE(run.ok()) << run.status();
    ExpectNear(run->outputs[0].ToVector(), Reference(inputs, *attrs)[0], tol, name + " y");
    absl::StatusOr<std::vector<Tensor>> grads =
        RunOpGradient("conv2d", *attrs, inputs, Device::kCpu, true, 1, dy);
    ASSERT_TRUE(grads.ok()) << grads.status();
    for (int i = 0; i < 3; ++i) {
      ExpectNear((*grads)[i].ToVector(), (*plain_grads)[i].ToVector(), tol,
                 absl::StrCat(name, " gradient of input ", i));
    }
    // Each tile's or work item's arithmetic is the same whatever block and
    // lane it lands in, so y and dx are bitwise equal.
    SetNumCpuThreads(4);
    SetSmallChunksForTesting(true);
    absl::StatusOr<OpRun> small = RunOpForward("conv2d", *attrs, inputs, Device::kCpu, true, 1);
    absl::StatusOr<std::vector<Tensor>> small_grads =
        RunOpGradient("conv2d", *attrs, inputs, Device::kCpu, true, 1, dy);
    SetSmallChunksForTesting(false);
    const unsigned cores = std::thread::hardware_concurrency();
    SetNumCpuThreads(cores == 0 ? 1 : static_cast<int>(cores));
    ASSERT_TRUE(small.ok()) << small.status();
    ASSERT_TRUE(small_grads.ok()) << small_grads.status();
    EXPECT_EQ(small->outputs[0].ToVector(), run->outputs[0].ToVector()) << name;
    // dx, dW and db: every gradient is the same on any thread count.
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ((*small_grads)[i].ToVector(), (*grads)[i].ToVector()) << name << " input " << i;
    }
    // Finite differences cost two forwards per input value: the small cases.
    if (NumElements(fc.x) + NumElements(fc.w) > 3000) continue;
    absl::StatusOr<GradCheckReport> check =
        CheckGradients("conv2d", *attrs, inputs, Device::kCpu, true, 1, GradCheckOptions());
    ASSERT_TRUE(check.ok()) << check.status();
    EXPECT_EQ(check->failed, 0) << name << ": " << check->failures[0];
  }
}

TEST(Conv2dWinograd, ForcedPathMatchesReferenceAndPlainGradients) {
  const std::vector<ForcedCase> cases = {
      {{1, 1, 4, 4}, {1, 1, 3, 3}, {{1, 1}, {1, 1}, {1, 1}, 1}},
      {{3, 5, 7, 9}, {6, 5, 3, 3}, {{1, 1}, {1, 1}, {1, 1}, 1}},
      {{2, 3, 5, 6}, {4, 3, 3, 3}, {{1, 1}, {0, 0}, {1, 1}, 1}},
      {{1, 4, 11, 5}, {3, 4, 3, 3}, {{1, 1}, {2, 0}, {1, 1}, 1}},
      {{3, 4, 6, 13}, {6, 2, 3, 3}, {{1, 1}, {1, 2}, {1, 1}, 2}},
      {{2, 3, 5, 5}, {2, 3, 3, 3}, {{1, 1}, {3, 1}, {1, 1}, 1}},
      {{1, 2, 37, 35}, {3, 2, 3, 3}, {{1, 1}, {1, 1}, {1, 1}, 1}},
  };
  ExpectForcedPathMatches<ForceWinograd>(cases, conv::WinogradUse::kNever,
                                         conv::WinogradUse::kAlways, 300, 1e-4);
}

// At a real layer's channel count the transforms' rounding adds up over 64
// channels: the error, against a double reference, must stay within the
// golden tolerance (|a - b| <= 1e-4 + 1e-4 |b|, ops/golden).
TEST(Conv2dWinograd, ErrorAtSixtyFourChannelsWithinGoldenTolerance) {
  const OpSchema* schema = OpRegistry::Global().Find("conv2d");
  ASSERT_NE(schema, nullptr);
  absl::StatusOr<Attrs> attrs = schema->ResolveAttrs(ToAttrs({{1, 1}, {1, 1}, {1, 1}, 1}));
  ASSERT_TRUE(attrs.ok()) << attrs.status();
  const std::vector<Tensor> inputs = {RandomTensor({2, 64, 14, 13}, 310),
                                      RandomTensor({16, 64, 3, 3}, 311)};
  ForceWinograd always(conv::WinogradUse::kAlways);
  absl::StatusOr<OpRun> run = RunOpForward("conv2d", *attrs, inputs, Device::kCpu, true, 1);
  ASSERT_TRUE(run.ok()) << run.status();
  const std::vector<float> got = run->outputs[0].ToVector();
  const std::vector<float> want = Reference(inputs, *attrs)[0];
  double max_err = 0, max_ref = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::fabs(double(got[i]) - want[i]);
    max_err = std::max(max_err, err);
    max_ref = std::max(max_ref, std::fabs(double(want[i])));
    EXPECT_LE(err, 1e-4 + 1e-4 * std::fabs(double(want[i]))) << "y[" << i << "]";
  }
  std::printf("Winograd F(4x4,3x3), 64 channels: max |error| %.3g, max |y| %.3g\n", max_err,
              max_ref);
}

// The direct convolution, forced on shapes that cut its register tiles
// (R pixels x V vectors of output channels) at every edge: odd sizes and
// channel counts, padding, stride 2 to 4, groups, batch 1 and odd batches,
// a 1x1 kernel, and a stride-1 padding that its input gradient (a
// convolution too) takes. The forward against the double reference, dx and
// dW against the implicit-GEMM path's, bitwise the same over small work
// items on 4 threads, and the finite-difference check through it.
class ForceDirect {
 public:
  explicit ForceDirect(conv::DirectConvUse use) { conv::SetDirectConvUseForTesting(use); }
  ~ForceDirect() { conv::SetDirectConvUseForTesting(conv::DirectConvUse::kAuto); }
};

TEST(Conv2dDirect, ForcedPathMatchesReferenceAndPlainGradients) {
  const ForceWinograd no_winograd(conv::WinogradUse::kNever);
  const std::vector<ForcedCase> cases = {
      {{1, 1, 4, 4}, {1, 1, 3, 3}, {{1, 1}, {1, 1}, {1, 1}, 1}},
      {{3, 3, 23, 21}, {35, 3, 11, 11}, {{4, 4}, {2, 2}, {1, 1}, 1}},
      {{2, 3, 19, 17}, {17, 3, 11, 11}, {{4, 4}, {0, 0}, {1, 1}, 1}},
      {{2, 3, 13, 11}, {9, 3, 7, 7}, {{4, 4}, {2, 2}, {1, 1}, 1}},
      {{1, 4, 6, 5}, {10, 2, 5, 5}, {{1, 1}, {2, 2}, {1, 1}, 2}},
      {{1, 6, 9, 7}, {70, 3, 5, 5}, {{1, 1}, {2, 2}, {1, 1}, 2}},
      {{3, 5, 7, 9}, {50, 5, 3, 3}, {{1, 1}, {1, 1}, {1, 1}, 1}},
      {{2, 4, 8, 11}, {9, 4, 3, 2}, {{2, 3}, {1, 0}, {1, 1}, 1}},
      {{3, 8, 5, 6}, {68, 2, 1, 1}, {{1, 1}, {0, 0}, {1, 1}, 4}},
      {{1, 7, 13, 13}, {20, 7, 3, 3}, {{1, 1}, {0, 0}, {1, 1}, 1}},
      {{2, 33, 6, 5}, {34, 33, 5, 3}, {{1, 1}, {2, 1}, {1, 1}, 1}},
  };
  ExpectForcedPathMatches<ForceDirect>(cases, conv::DirectConvUse::kNever,
                                       conv::DirectConvUse::kAlways, 400, 1e-5);
}

}  // namespace
}  // namespace tessera
