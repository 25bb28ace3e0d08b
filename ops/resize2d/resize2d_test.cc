#include "ops/resize2d/resize2d.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "core/gradient_check.h"
#include "core/op_registry.h"
#include "core/op_test_case.h"
#include "core/thread_pool.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

// The ONNX reference's interpolate_1d_with_x, transcribed the reference's
// way: pad the row by repeating its edges, take the n cells nearest to the
// coordinate (ties: the lower index), weigh them with the mode's
// coefficients of the fraction in (0, 1].
struct Options {
  std::string mode, transform, rounding;
  double a;
  bool exclude;
  double roi_start, roi_end, extrapolation;
};

double Interpolate1d(const std::vector<double>& data, double scale, int64_t o, const Options& p) {
  const int64_t in = data.size();
  const double length = scale * in;
  double x;
  if (p.transform == "align_corners") {
    x = length == 1 ? 0 : o * double(in - 1) / (length - 1);
  } else if (p.transform == "asymmetric") {
    x = o / scale;
  } else if (p.transform == "tf_crop_and_resize") {
    x = length == 1 ? (p.roi_end - p.roi_start) * (in - 1) / 2
                    : o * (p.roi_end - p.roi_start) * (in - 1) / (length - 1);
    x += p.roi_start * (in - 1);
    if (x < 0 || x > in - 1) return p.extrapolation;
  } else if (p.transform == "tf_half_pixel_for_nn") {
    x = (o + 0.5) / scale;
  } else if (p.transform == "pytorch_half_pixel") {
    x = length == 1 ? -0.5 : (o + 0.5) / scale - 0.5;
  } else {
    x = (o + 0.5) / scale - 0.5;
  }
  const double ratio = x == std::floor(x) ? 1.0 : x - std::floor(x);
  std::vector<double> coeffs;
  if (p.mode == "nearest") {
    if (ratio == 1) {
      coeffs = {0, 1};
    } else if (p.rounding == "round_prefer_floor") {
      coeffs = {double(ratio <= 0.5), double(ratio > 0.5)};
    } else if (p.rounding == "round_prefer_ceil") {
      coeffs = {double(ratio < 0.5), double(ratio >= 0.5)};
    } else if (p.rounding == "floor") {
      coeffs = {1, 0};
    } else {
      coeffs = {0, 1};
    }
  } else if (p.mode == "linear") {
    coeffs = {1 - ratio, ratio};
  } else {
    const double A = p.a, r = ratio, s = 1 - ratio;
    coeffs = {((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A,
              ((A + 2) * r - (A + 3)) * r * r + 1, ((A + 2) * s - (A + 3)) * s * s + 1,
              ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A};
  }
  const int64_t n = coeffs.size(), pad = (n + 1) / 2;
  std::vector<int64_t> order(in + 2 * pad);
  std::iota(order.begin(), order.end(), 0);
  const double xp = x + pad;
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t u, int64_t v) { return std::fabs(xp - u) < std::fabs(xp - v); });
  order.resize(n);
  std::sort(order.begin(), order.end());
  if (p.exclude) {
    double sum = 0;
    for (int64_t k = 0; k < n; ++k) {
      const int64_t idx = order[k] - pad;
      if (idx < 0 || idx >= in) coeffs[k] = 0;
      sum += coeffs[k];
    }
    for (double& c : coeffs) c /= sum;
  }
  double y = 0;
  for (int64_t k = 0; k < n; ++k) {
    y += coeffs[k] * data[std::clamp<int64_t>(order[k] - pad, 0, in - 1)];
  }
  return y;
}

std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const std::vector<int64_t> size = attrs.GetInts("size");
  const std::vector<float> scale = attrs.GetFloats("scale"), roi = attrs.GetFloats("roi");
  const int64_t planes = in[0].dim(0) * in[0].dim(1), h = in[0].dim(2), w = in[0].dim(3);
  const double sh = scale.empty() ? double(size[0]) / h : scale[0];
  const double sw = scale.empty() ? double(size[1]) / w : scale[1];
  Options rows{attrs.GetString("mode"),          attrs.GetString("coordinate_transformation_mode"),
               attrs.GetString("nearest_mode"),  attrs.GetFloat("cubic_coeff_a"),
               attrs.GetBool("exclude_outside"), roi.empty() ? 0.0 : roi[0],
               roi.empty() ? 1.0 : roi[2],       attrs.GetFloat("extrapolation_value")};
  Options cols = rows;
  cols.roi_start = roi.empty() ? 0.0 : roi[1];
  cols.roi_end = roi.empty() ? 1.0 : roi[3];
  const std::vector<float> x = in[0].ToVector();
  std::vector<float> y;
  for (int64_t c = 0; c < planes; ++c) {
    // Along the rows first, each output row from the rows resized along W
    // (the reference's interpolate_nd_with_x recursion).
    std::vector<std::vector<double>> resized_rows(h);
    for (int64_t r = 0; r < h; ++r) {
      std::vector<double> row(x.begin() + (c * h + r) * w, x.begin() + (c * h + r + 1) * w);
      for (int64_t j = 0; j < size[1]; ++j) {
        resized_rows[r].push_back(Interpolate1d(row, sw, j, cols));
      }
    }
    for (int64_t i = 0; i < size[0]; ++i) {
      for (int64_t j = 0; j < size[1]; ++j) {
        std::vector<double> column(h);
        for (int64_t r = 0; r < h; ++r) column[r] = resized_rows[r][j];
        y.push_back(static_cast<float>(Interpolate1d(column, sh, i, rows)));
      }
    }
  }
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    // 1 x 4 to 1 x 2, linear half_pixel: sources 0.5 and 2.5.
    OpTestCase c;
    c.name = "hand_computed_linear_downsample";
    c.attrs = {{"size", IntsAttr({1, 2})}, {"mode", StringAttr("linear")}};
    c.inputs = {Tensor::FromVector({1, 1, 1, 4}, {1, 2, 4, 8})};
    c.expected = {{1.5f, 6}};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    // 1 x 2 to 1 x 5, nearest asymmetric ceil: sources 0, 0.4, 0.8, 1.2,
    // 1.6 -> cells 0, 1, 1, 2 (clamped to 1), 2 (clamped).
    OpTestCase c;
    c.name = "hand_computed_nearest_asymmetric_ceil";
    c.attrs = {{"size", IntsAttr({1, 5})},
               {"coordinate_transformation_mode", StringAttr("asymmetric")},
               {"nearest_mode", StringAttr("ceil")}};
    c.inputs = {Tensor::FromVector({1, 1, 1, 2}, {3, 7})};
    c.expected = {{3, 7, 7, 7, 7}};
    c.reference = Reference;
    cases.push_back(c);
  }
  struct Spec {
    const char* name;
    Shape shape;
    std::vector<int64_t> size;
    std::vector<float> scale;
    const char* mode;
    const char* transform;
    const char* rounding;
    bool exclude;
  };
  const Spec specs[] = {
      {"nearest_half_pixel_down_2x3x5x7_to_3x4",
       {2, 3, 5, 7},
       {3, 4},
       {},
       "nearest",
       "half_pixel",
       "round_prefer_floor",
       false},
      {"nearest_tf_half_pixel_up_1x2x3x4_to_7x6",
       {1, 2, 3, 4},
       {7, 6},
       {},
       "nearest",
       "tf_half_pixel_for_nn",
       "round_prefer_ceil",
       false},
      {"nearest_align_corners_floor_c3_4x3_to_9x5",
       {1, 3, 4, 3},
       {9, 5},
       {},
       "nearest",
       "align_corners",
       "floor",
       false},
      {"linear_half_pixel_up_2x2x3x4_to_7x9",
       {2, 2, 3, 4},
       {7, 9},
       {},
       "linear",
       "half_pixel",
       "round_prefer_floor",
       false},
      {"linear_pytorch_half_pixel_down_c2_6x5_to_4x1",
       {1, 2, 6, 5},
       {4, 1},
       {},
       "linear",
       "pytorch_half_pixel",
       "round_prefer_floor",
       false},
      {"linear_align_corners_scale0p6_c2_5x5",
       {1, 2, 5, 5},
       {3, 3},
       {0.6f, 0.6f},
       "linear",
       "align_corners",
       "round_prefer_floor",
       false},
      {"linear_asymmetric_up_c3_3x3_to_8x5",
       {1, 3, 3, 3},
       {8, 5},
       {},
       "linear",
       "asymmetric",
       "round_prefer_floor",
       false},
      {"cubic_half_pixel_up_2x2x4x3_to_9x7",
       {2, 2, 4, 3},
       {9, 7},
       {},
       "cubic",
       "half_pixel",
       "round_prefer_floor",
       false},
      {"cubic_exclude_outside_down_c2_7x6_to_4x5",
       {1, 2, 7, 6},
       {4, 5},
       {},
       "cubic",
       "half_pixel",
       "round_prefer_floor",
       true},
      {"cubic_align_corners_c1_4x4_to_6x3",
       {1, 1, 4, 4},
       {6, 3},
       {},
       "cubic",
       "align_corners",
       "round_prefer_floor",
       false},
      // Output rows of 19 and 21: whole Highway vectors of doubles (8 on
      // AVX-512) and a tail in the forward's row kernels.
      {"linear_half_pixel_up_c2_5x7_to_6x19",
       {1, 2, 5, 7},
       {6, 19},
       {},
       "linear",
       "half_pixel",
       "round_prefer_floor",
       false},
      {"nearest_half_pixel_down_c2_6x40_to_4x19",
       {1, 2, 6, 40},
       {4, 19},
       {},
       "nearest",
       "half_pixel",
       "round_prefer_floor",
       false},
      {"cubic_half_pixel_c1_5x9_to_4x21",
       {1, 1, 5, 9},
       {4, 21},
       {},
       "cubic",
       "half_pixel",
       "round_prefer_floor",
       false},
      // Input rows of 21 and 17: the gradient's rows (along W, from dy)
      // are whole vectors of doubles and a tail, down and up.
      {"linear_half_pixel_down_c2_7x21_to_5x13",
       {1, 2, 7, 21},
       {5, 13},
       {},
       "linear",
       "half_pixel",
       "round_prefer_floor",
       false},
      {"cubic_align_corners_up_c1_3x17_to_5x29",
       {1, 1, 3, 17},
       {5, 29},
       {},
       "cubic",
       "align_corners",
       "round_prefer_floor",
       false},
      // Scale 1 with a larger size: every output past the input reads its
      // last row and column (clamped), so the gradient's last column
      // gathers from 21 outputs, more than its vector slots hold, and its
      // last row from 3 rows.
      {"nearest_asymmetric_clamped_c2_3x20_to_5x40",
       {1, 2, 3, 20},
       {5, 40},
       {1, 1},
       "nearest",
       "asymmetric",
       "floor",
       false},
      {"linear_asymmetric_clamped_c1_4x19_to_6x37",
       {1, 1, 4, 19},
       {6, 37},
       {1, 1},
       "linear",
       "asymmetric",
       "round_prefer_floor",
       false},
  };
  uint64_t seed = 1200;
  for (const Spec& s : specs) {
    OpTestCase c;
    c.name = s.name;
    c.attrs = {{"size", IntsAttr(s.size)},
               {"scale", FloatsAttr(s.scale)},
               {"mode", StringAttr(s.mode)},
               {"coordinate_transformation_mode", StringAttr(s.transform)},
               {"nearest_mode", StringAttr(s.rounding)},
               {"exclude_outside", BoolAttr(s.exclude)}};
    if (std::string(s.mode) == "cubic" && !s.exclude) c.attrs["cubic_coeff_a"] = FloatAttr(-0.5f);
    c.inputs = {RandomTensor(s.shape, ++seed)};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    // ONNX's test_resize_tf_crop_and_resize geometry, on a batch: cells
    // outside the input take the extrapolation value.
    OpTestCase c;
    c.name = "tf_crop_and_resize_linear_extrapolated_2x1x4x4_to_3x3";
    c.attrs = {{"size", IntsAttr({3, 3})},
               {"mode", StringAttr("linear")},
               {"coordinate_transformation_mode", StringAttr("tf_crop_and_resize")},
               {"roi", FloatsAttr({0.4f, 0.6f, 0.6f, 1.4f})},
               {"extrapolation_value", FloatAttr(10.0f)}};
    c.inputs = {RandomTensor({2, 1, 4, 4}, 1300)};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    // A crop wider than the input on both sides: extrapolated rows and
    // columns at both ends, which the gradient skips (its gathers along W
    // read zeros in their spare slots), over a row of 11.
    OpTestCase c;
    c.name = "tf_crop_and_resize_linear_wide_roi_c2_5x11_to_6x13";
    c.attrs = {{"size", IntsAttr({6, 13})},
               {"mode", StringAttr("linear")},
               {"coordinate_transformation_mode", StringAttr("tf_crop_and_resize")},
               {"roi", FloatsAttr({-0.2f, -0.15f, 1.3f, 1.2f})},
               {"extrapolation_value", FloatAttr(-2.0f)}};
    c.inputs = {RandomTensor({1, 2, 5, 11}, 1301)};
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("resize2d", Cases);

std::string ShapeError(const Shape& x, const std::map<std::string, AttrValue>& given) {
  const OpSchema* schema = OpRegistry::Global().Find("resize2d");
  absl::StatusOr<Attrs> attrs = schema->ResolveAttrs(given);
  if (!attrs.ok()) return std::string(attrs.status().message());
  return std::string(schema->InferShapes({x}, *attrs).status().message());
}

// resize2d.h's Axis for one axis of a case, as the kernel file builds it.
resize2d::Axis AxisOf(const Tensor& x, const Attrs& attrs, int k) {
  const auto index = [](const std::string& value, const std::vector<std::string>& names) {
    return static_cast<int>(std::find(names.begin(), names.end(), value) - names.begin());
  };
  const std::vector<float> scale = attrs.GetFloats("scale"), roi = attrs.GetFloats("roi");
  resize2d::Axis a;
  a.in = x.dim(2 + k);
  a.out = attrs.GetInts("size")[k];
  a.scale = scale.empty() ? double(a.out) / a.in : scale[k];
  a.mode = index(attrs.GetString("mode"), {"nearest", "linear", "cubic"});
  a.transform = index(attrs.GetString("coordinate_transformation_mode"),
                      {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                       "tf_half_pixel_for_nn", "tf_crop_and_resize"});
  a.rounding = index(attrs.GetString("nearest_mode"),
                     {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"});
  a.cubic_a = attrs.GetFloat("cubic_coeff_a");
  a.exclude_outside = attrs.GetBool("exclude_outside");
  a.roi_start = roi.empty() ? 0.0 : roi[k];
  a.roi_end = roi.empty() ? 1.0 : roi[2 + k];
  return a;
}

void ExpectClose(const std::vector<float>& got, const std::vector<float>& want,
                 const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  int reported = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!(std::fabs(double(got[i]) - want[i]) <= 1e-6 * (1 + std::fabs(double(want[i])))) &&
        reported++ < 5) {
      ADD_FAILURE() << what << " [" << i << "]: " << got[i] << " vs " << want[i];
    }
  }
}

// The CPU kernels against ForwardAt and GradientAt, the per-element sums
// the GPU kernels compute, for every case: the gradient is the forward's
// exact transpose (the harness checks it only by finite differences, to
// 1e-3). Both add in double in one order, so they differ only where a
// compiler fuses a multiply-add on one side: 1e-6, not the harness's 1e-5.
// And the kernels give the same bits on 1 thread and on 4 with small chunks
// (several blocks of kept rows per chunk).
TEST(Resize2dKernels, MatchForwardAtAndGradientAtOnAnyThreadCount) {
  const OpSchema* schema = OpRegistry::Global().Find("resize2d");
  ASSERT_NE(schema, nullptr);
  for (const OpTestCase& c : Cases()) {
    absl::StatusOr<Attrs> attrs = schema->ResolveAttrs(c.attrs);
    ASSERT_TRUE(attrs.ok()) << attrs.status();
    const Tensor& x = c.inputs[0];
    const resize2d::Axis rows = AxisOf(x, *attrs, 0), cols = AxisOf(x, *attrs, 1);
    const int64_t planes = x.dim(0) * x.dim(1);
    const std::vector<float> xv = x.ToVector();
    std::vector<float> y_at, dx_at;
    const Tensor dy = RandomTensor({x.dim(0), x.dim(1), rows.out, cols.out}, 1400);
    const std::vector<float> dyv = dy.ToVector();
    for (int64_t p = 0; p < planes; ++p) {
      for (int64_t i = 0; i < rows.out; ++i) {
        for (int64_t j = 0; j < cols.out; ++j) {
          y_at.push_back(resize2d::ForwardAt(xv.data() + p * rows.in * cols.in, i, j, cols.in, rows,
                                             cols, attrs->GetFloat("extrapolation_value")));
        }
      }
      for (int64_t i = 0; i < rows.in; ++i) {
        for (int64_t j = 0; j < cols.in; ++j) {
          int64_t i0, i1, j0, j1;
          resize2d::Readers(i, rows, &i0, &i1);
          resize2d::Readers(j, cols, &j0, &j1);
          dx_at.push_back(resize2d::GradientAt(dyv.data() + p * rows.out * cols.out, i, j, cols.out,
                                               rows, cols, i0, i1, j0, j1));
        }
      }
    }
    std::vector<std::vector<float>> y(2), dx(2);
    for (int run = 0; run < 2; ++run) {
      SetNumCpuThreads(run == 0 ? 1 : 4);
      SetSmallChunksForTesting(run == 1);
      absl::StatusOr<OpRun> fwd = RunOpForward("resize2d", *attrs, c.inputs, Device::kCpu, true, 1);
      absl::StatusOr<std::vector<Tensor>> grads =
          RunOpGradient("resize2d", *attrs, c.inputs, Device::kCpu, true, 1, {dy});
      SetSmallChunksForTesting(false);
      const unsigned cores = std::thread::hardware_concurrency();
      SetNumCpuThreads(cores == 0 ? 1 : static_cast<int>(cores));
      ASSERT_TRUE(fwd.ok()) << fwd.status();
      ASSERT_TRUE(grads.ok()) << grads.status();
      y[run] = fwd->outputs[0].ToVector();
      dx[run] = (*grads)[0].ToVector();
    }
    ExpectClose(y[0], y_at, c.name + " y");
    ExpectClose(dx[0], dx_at, c.name + " dx");
    EXPECT_EQ(y[1], y[0]) << c.name;
    EXPECT_EQ(dx[1], dx[0]) << c.name;
  }
}

TEST(Resize2dShape, RejectsBadAttributes) {
  using ::testing::HasSubstr;
  EXPECT_THAT(ShapeError({1, 1, 2, 2}, {{"size", IntsAttr({0, 2})}}),
              HasSubstr("'size' must be 2 positive integers"));
  EXPECT_THAT(ShapeError({1, 1, 2, 2}, {{"size", IntsAttr({2, 2})}, {"mode", StringAttr("area")}}),
              HasSubstr("'mode' must be one of nearest, linear, cubic, got \"area\""));
  EXPECT_THAT(
      ShapeError({1, 1, 2, 2}, {{"size", IntsAttr({2, 2})}, {"scale", FloatsAttr({1, -1})}}),
      HasSubstr("'scale' must be empty or 2 positive numbers"));
  EXPECT_THAT(ShapeError({1, 1, 2, 2},
                         {{"size", IntsAttr({2, 2})},
                          {"coordinate_transformation_mode", StringAttr("tf_crop_and_resize")}}),
              HasSubstr("needs attribute 'roi'"));
  EXPECT_THAT(
      ShapeError({1, 1, 2, 2}, {{"size", IntsAttr({2, 2})}, {"exclude_outside", BoolAttr(true)}}),
      HasSubstr("exclude_outside applies to mode \"cubic\" only"));
  EXPECT_THAT(ShapeError({1, 1, 0, 2}, {{"size", IntsAttr({2, 2})}}), HasSubstr("empty image"));
}

}  // namespace
}  // namespace tessera
