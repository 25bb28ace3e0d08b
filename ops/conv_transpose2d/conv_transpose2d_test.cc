#include <cmath>
#include <map>
#include <string>

#include "core/gradient_check.h"
#include "core/op_test_case.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

// The definition as a scatter, in double: every input pixel x[n, ci, h, w]
// adds x * weight[ci, co, kh, kw] to y[n, g*Cout_g + co, h*s - p + kh*d, w*s - p + kw*d]
// (dropped when outside y), g = ci / Cin_g; then the bias is added.
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const std::vector<int64_t> stride = attrs.GetInts("stride"), pad = attrs.GetInts("padding"),
                             dil = attrs.GetInts("dilation"),
                             out_pad = attrs.GetInts("output_padding");
  const int64_t groups = attrs.GetInt("groups");
  const int64_t batch = in[0].dim(0), in_c = in[0].dim(1), height = in[0].dim(2),
                width = in[0].dim(3);
  const int64_t cout_g = in[1].dim(1), kh_size = in[1].dim(2), kw_size = in[1].dim(3);
  const int64_t out_c = cout_g * groups, cin_g = in_c / groups;
  const int64_t out_h =
      (height - 1) * stride[0] - 2 * pad[0] + dil[0] * (kh_size - 1) + out_pad[0] + 1;
  const int64_t out_w =
      (width - 1) * stride[1] - 2 * pad[1] + dil[1] * (kw_size - 1) + out_pad[1] + 1;
  const std::vector<float> x = in[0].ToVector(), w = in[1].ToVector();
  std::vector<double> y(batch * out_c * out_h * out_w, 0.0);
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t ci = 0; ci < in_c; ++ci) {
      const int64_t g = ci / cin_g;
      for (int64_t h = 0; h < height; ++h) {
        for (int64_t v = 0; v < width; ++v) {
          const double xv = x[((n * in_c + ci) * height + h) * width + v];
          for (int64_t co = 0; co < cout_g; ++co) {
            for (int64_t kh = 0; kh < kh_size; ++kh) {
              for (int64_t kw = 0; kw < kw_size; ++kw) {
                const int64_t oh = h * stride[0] - pad[0] + kh * dil[0];
                const int64_t ow = v * stride[1] - pad[1] + kw * dil[1];
                if (oh < 0 || oh >= out_h || ow < 0 || ow >= out_w) continue;
                y[((n * out_c + g * cout_g + co) * out_h + oh) * out_w + ow] +=
                    xv * w[((ci * cout_g + co) * kh_size + kh) * kw_size + kw];
              }
            }
          }
        }
      }
    }
  }
  std::vector<float> out(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    const int64_t c = (i / (out_h * out_w)) % out_c;
    out[i] = static_cast<float>(y[i] + (in.size() == 3 ? in[2].ToVector()[c] : 0.0f));
  }
  return {out};
}

struct Params {
  std::vector<int64_t> stride = {1, 1}, padding = {0, 0}, output_padding = {0, 0},
                       dilation = {1, 1};
  int64_t groups = 1;
};

std::map<std::string, AttrValue> ToAttrs(const Params& p) {
  return {{"stride", IntsAttr(p.stride)},
          {"padding", IntsAttr(p.padding)},
          {"output_padding", IntsAttr(p.output_padding)},
          {"dilation", IntsAttr(p.dilation)},
          {"groups", IntAttr(p.groups)}};
}

OpTestCase RandomCase(const std::string& name, const Shape& x, const Shape& w, bool bias,
                      const Params& p, uint64_t seed) {
  OpTestCase c;
  c.name = name + (bias ? "_bias" : "_nobias");
  c.attrs = ToAttrs(p);
  c.inputs = {RandomTensor(x, seed), RandomTensor(w, seed + 1)};
  if (bias) c.inputs.push_back(RandomTensor({w[1] * p.groups}, seed + 2));
  c.reference = Reference;
  return c;
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  const Tensor x22 = Tensor::FromVector({1, 1, 2, 2}, {1, 2, 3, 4});
  const Tensor w22 = Tensor::FromVector({1, 1, 2, 2}, {1, 2, 3, 4});
  {
    OpTestCase c;
    c.name = "hand_computed_stride1";
    // Each x[h,w] stamps x * w at (h, w) of a 3x3 output; overlaps add:
    // centre = 1*4 + 2*3 + 3*2 + 4*1 = 20. Bias -1 everywhere.
    c.inputs = {x22, w22, Tensor::FromVector({1}, {-1})};
    c.expected = {{0, 3, 3, 5, 19, 15, 8, 23, 15}};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "hand_computed_stride2_pad1_output_padding1";
    // Stride 2 stamps do not overlap: the uncropped 4x4 output is
    //   1 2 2 4 / 3 4 6 8 / 3 6 4 8 / 9 12 12 16,
    // output_padding adds a 5th row and column of zeros, and padding 1 crops
    // one from each side: rows and columns 1..3.
    c.attrs = ToAttrs({{2, 2}, {1, 1}, {1, 1}, {1, 1}, 1});
    c.inputs = {x22, w22};
    c.expected = {{4, 6, 8, 6, 4, 8, 12, 12, 16}};
    c.reference = Reference;
    cases.push_back(c);
  }
  for (bool bias : {true, false}) {
    cases.push_back(RandomCase("batch2_cin3_cout5_k3x3_stride2_pad1_outpad1", {2, 3, 4, 3},
                               {3, 5, 3, 3}, bias, {{2, 2}, {1, 1}, {1, 1}, {1, 1}, 1}, 200));
    cases.push_back(RandomCase("batch1_cin5_cout3_k2x3_stride1x2_pad0x1", {1, 5, 4, 5},
                               {5, 3, 2, 3}, bias, {{1, 2}, {0, 1}, {0, 0}, {1, 1}, 1}, 210));
    cases.push_back(RandomCase("batch2_cin3_cout2_k3x3_dilation2_pad1", {2, 3, 3, 4}, {3, 2, 3, 3},
                               bias, {{1, 1}, {1, 1}, {0, 0}, {2, 2}, 1}, 220));
    cases.push_back(RandomCase("batch2_cin4_cout6_groups2_stride2", {2, 4, 3, 3}, {4, 3, 2, 2},
                               bias, {{2, 2}, {0, 0}, {0, 0}, {1, 1}, 2}, 230));
    cases.push_back(RandomCase("batch1_depthwise_c5_stride2_pad1", {1, 5, 3, 4}, {5, 1, 3, 3}, bias,
                               {{2, 2}, {1, 1}, {0, 0}, {1, 1}, 5}, 240));
  }
  // output_padding 1 with stride 1 is allowed because dilation is 2; the
  // last row and column are reached by no input pixel and hold only the bias.
  cases.push_back(RandomCase("batch1_cin3_cout2_outpad_below_dilation", {1, 3, 4, 4}, {3, 2, 2, 2},
                             true, {{1, 1}, {0, 0}, {1, 1}, {2, 2}, 1}, 250));
  cases.push_back(RandomCase("batch2_cin3_cout6_groups3_k2x3_stride2x3_pad1x0_dil1x2_outpad1x2",
                             {2, 3, 3, 4}, {3, 2, 2, 3}, true, {{2, 3}, {1, 0}, {1, 2}, {1, 2}, 3},
                             260));
  cases.push_back(RandomCase("batch2_cin5_cout3_k1x1_stride2", {2, 5, 3, 4}, {5, 3, 1, 1}, false,
                             {{2, 2}, {0, 0}, {1, 0}, {1, 1}, 1}, 270));
  return cases;
}

TESSERA_OP_TEST_CASES("conv_transpose2d", Cases);

Attrs Resolve(const std::string& op, const std::map<std::string, AttrValue>& given) {
  const OpSchema* schema = OpRegistry::Global().Find(op);
  EXPECT_NE(schema, nullptr) << op << " is not registered";
  absl::StatusOr<Attrs> attrs = schema->ResolveAttrs(given);
  EXPECT_TRUE(attrs.ok()) << attrs.status();
  return *attrs;
}

// <conv2d(x, W), y> = <x, conv_transpose2d(y, W)>: the transposed convolution
// is the adjoint of conv2d with the same weight, output_padding chosen so that
// it gives back x's size.
TEST(ConvTranspose2d, IsTheAdjointOfConv2d) {
  struct Config {
    Shape x, w;  // w is conv2d's [O, C/groups, kH, kW]
    std::vector<int64_t> stride, padding, dilation;
    int64_t groups;
  };
  const Config configs[] = {
      {{2, 3, 5, 6}, {4, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1}, 1},
      {{1, 5, 8, 7}, {3, 5, 2, 3}, {2, 2}, {1, 0}, {1, 1}, 1},
      {{2, 3, 9, 8}, {2, 3, 3, 3}, {3, 2}, {2, 1}, {2, 2}, 1},
      {{2, 4, 7, 7}, {6, 2, 3, 3}, {2, 1}, {1, 1}, {1, 1}, 2},
      {{1, 5, 9, 6}, {5, 1, 3, 3}, {2, 2}, {1, 1}, {1, 2}, 5},
      {{2, 6, 10, 11}, {3, 2, 2, 3}, {2, 3}, {1, 2}, {2, 1}, 3},
  };
  uint64_t seed = 300;
  for (const Config& c : configs) {
    SCOPED_TRACE(ShapeToString(c.x) + " * " + ShapeToString(c.w));
    const Tensor x = RandomTensor(c.x, seed++), w = RandomTensor(c.w, seed++);
    const Attrs conv_attrs = Resolve("conv2d", {{"stride", IntsAttr(c.stride)},
                                                {"padding", IntsAttr(c.padding)},
                                                {"dilation", IntsAttr(c.dilation)},
                                                {"groups", IntAttr(c.groups)}});
    absl::StatusOr<OpRun> conv = RunOpForward("conv2d", conv_attrs, {x, w}, Device::kCpu, true, 0);
    ASSERT_TRUE(conv.ok()) << conv.status();
    const Tensor y = RandomTensor(conv->outputs[0].shape(), seed++);

    std::vector<int64_t> output_padding(2);
    for (int i = 0; i < 2; ++i) {
      output_padding[i] =
          (c.x[2 + i] + 2 * c.padding[i] - c.dilation[i] * (c.w[2 + i] - 1) - 1) % c.stride[i];
    }
    const Attrs transpose_attrs =
        Resolve("conv_transpose2d", {{"stride", IntsAttr(c.stride)},
                                     {"padding", IntsAttr(c.padding)},
                                     {"output_padding", IntsAttr(output_padding)},
                                     {"dilation", IntsAttr(c.dilation)},
                                     {"groups", IntAttr(c.groups)}});
    absl::StatusOr<OpRun> transpose =
        RunOpForward("conv_transpose2d", transpose_attrs, {y, w}, Device::kCpu, true, 0);
    ASSERT_TRUE(transpose.ok()) << transpose.status();
    ASSERT_EQ(transpose->outputs[0].shape(), c.x);

    // <conv2d(x, W), y> = <x, conv_transpose2d(y, W)> for every x and y, so
    // for every unit vector x = e_i: conv_transpose2d(y, W)[i] is the dot
    // product of y with conv2d(e_i, W). Checked element by element, so one
    // wrong element cannot hide inside a whole dot product's tolerance.
    const std::vector<float> transposed = transpose->outputs[0].ToVector();
    const std::vector<float> y_values = y.ToVector();
    int bad = 0;
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      std::vector<float> unit(x.num_elements(), 0.0f);
      unit[i] = 1.0f;
      absl::StatusOr<OpRun> column = RunOpForward(
          "conv2d", conv_attrs, {Tensor::FromVector(c.x, unit), w}, Device::kCpu, true, 0);
      ASSERT_TRUE(column.ok()) << column.status();
      const std::vector<float> col = column->outputs[0].ToVector();
      double expected = 0, magnitude = 0;
      for (size_t j = 0; j < col.size(); ++j) {
        expected += static_cast<double>(col[j]) * y_values[j];
        magnitude += std::fabs(static_cast<double>(col[j]) * y_values[j]);
      }
      if (!(std::fabs(transposed[i] - expected) <= 1e-5 * (1 + magnitude)) && bad++ < 3) {
        ADD_FAILURE() << "conv_transpose2d(y, W)[" << i << "] = " << transposed[i]
                      << " but <y, conv2d(e_i, W)> = " << expected;
      }
    }
  }
}

absl::StatusOr<std::vector<Shape>> Infer(const std::vector<Shape>& shapes, const Params& p) {
  const OpSchema* schema = OpRegistry::Global().Find("conv_transpose2d");
  if (schema == nullptr) return absl::NotFoundError("conv_transpose2d is not registered");
  TS_ASSIGN_OR_RETURN(const Attrs attrs, schema->ResolveAttrs(ToAttrs(p)));
  return schema->InferShapes(shapes, attrs);
}

void ExpectRejected(const std::vector<Shape>& shapes, const Params& p, const std::string& message) {
  absl::StatusOr<std::vector<Shape>> result = Infer(shapes, p);
  ASSERT_FALSE(result.ok()) << "accepted, inferred " << ShapeToString((*result)[0]);
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument) << result.status();
  EXPECT_THAT(std::string(result.status().message()), testing::HasSubstr(message));
}

TEST(ConvTranspose2dShape, FollowsPyTorchFormula) {
  // (4 - 1) * 2 - 2 * 1 + 2 * (3 - 1) + 1 + 1 = 10; (5 - 1) * 3 - 0 + 1 * (2 - 1) + 2 + 1 = 16.
  absl::StatusOr<std::vector<Shape>> y =
      Infer({{2, 4, 4, 5}, {4, 3, 3, 2}, {6}}, {{2, 3}, {1, 0}, {1, 2}, {2, 1}, 2});
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_EQ((*y)[0], (Shape{2, 6, 10, 16}));
}

TEST(ConvTranspose2dShape, RejectsBadShapes) {
  ExpectRejected({{3, 4, 4}, {3, 2, 3, 3}}, {}, "input x");
  ExpectRejected({{1, 3, 4, 4}, {3, 2, 3}}, {}, "weight");
  ExpectRejected({{1, 3, 4, 0}, {3, 2, 3, 3}}, {}, "positive dimensions");
  ExpectRejected({{1, 3, 4, 4}, {3, 0, 3, 3}}, {}, "positive dimensions");
  ExpectRejected({{1, 3, 4, 4}, {4, 2, 3, 3}}, {}, "input channels");
  ExpectRejected({{1, 3, 4, 4}, {3, 2, 3, 3}, {3}}, {}, "bias must have shape [2]");
  // Groups multiply the per-group output channels: bias is [2 * 3].
  ExpectRejected({{1, 3, 4, 4}, {3, 2, 3, 3}, {2}}, {{1, 1}, {0, 0}, {0, 0}, {1, 1}, 3},
                 "bias must have shape [6]");
  // (1 - 1) * 1 - 2 * 1 + 0 + 0 + 1 = -1.
  ExpectRejected({{1, 3, 1, 4}, {3, 2, 1, 1}}, {{1, 1}, {1, 0}, {0, 0}, {1, 1}, 1},
                 "output height");
}

TEST(ConvTranspose2dShape, RejectsBadAttributes) {
  const std::vector<Shape> ok = {{1, 4, 4, 4}, {4, 2, 3, 3}};
  ExpectRejected(ok, {{1, 1}, {0, 0}, {0, 0}, {1, 1}, 0}, "groups must be >= 1");
  ExpectRejected(ok, {{1, 1}, {0, 0}, {0, 0}, {1, 1}, 3}, "not divisible");
  ExpectRejected(ok, {{1, 1, 1}, {0, 0}, {0, 0}, {1, 1}, 1}, "stride must have 2 entries");
  ExpectRejected(ok, {{1, 1}, {0, 0}, {0}, {1, 1}, 1}, "output_padding must have 2 entries");
  ExpectRejected(ok, {{1, 1}, {0, 0}, {0, -1}, {1, 1}, 1}, "output_padding must be >= 0");
  ExpectRejected(ok, {{1, 1}, {-1, 0}, {0, 0}, {1, 1}, 1}, "padding must be >= 0");
  ExpectRejected(ok, {{1, 1}, {0, 0}, {0, 0}, {1, 0}, 1}, "dilation must be >= 1");
  // Neither below stride 2 nor below dilation 1 / 2.
  ExpectRejected(ok, {{2, 2}, {0, 0}, {2, 0}, {1, 1}, 1}, "output_padding height 2");
  ExpectRejected(ok, {{2, 2}, {0, 0}, {0, 2}, {2, 2}, 1}, "output_padding width 2");
  ExpectRejected(ok, {{1, 1}, {0, 0}, {1, 0}, {1, 1}, 1}, "smaller than either stride");
}

}  // namespace
}  // namespace tessera
