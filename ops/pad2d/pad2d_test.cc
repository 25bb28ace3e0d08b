#include <algorithm>

#include "core/op_registry.h"
#include "core/op_test_case.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

// The input cell that output cell o of an axis shows, written independently
// of the kernel's index map: walk from the border, bouncing (reflect) or
// sticking (edge); -1 for a constant cell.
int64_t Reference1d(int64_t o, int64_t begin, int64_t in, const std::string& mode) {
  int64_t i = o - begin;
  if (mode == "constant") return (i < 0 || i >= in) ? -1 : i;
  if (mode == "edge") return std::clamp<int64_t>(i, 0, in - 1);
  while (i < 0 || i >= in) i = i < 0 ? -i : 2 * in - 2 - i;
  return i;
}

std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const std::vector<int64_t> pads = attrs.GetInts("pads");
  const std::string mode = attrs.GetString("mode");
  const float value = attrs.GetFloat("value");
  const int64_t planes = in[0].dim(0) * in[0].dim(1), h = in[0].dim(2), w = in[0].dim(3);
  const int64_t oh = h + pads[0] + pads[2], ow = w + pads[1] + pads[3];
  const std::vector<float> x = in[0].ToVector();
  std::vector<float> y;
  for (int64_t c = 0; c < planes; ++c) {
    for (int64_t i = 0; i < oh; ++i) {
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t r = Reference1d(i, pads[0], h, mode), q = Reference1d(j, pads[1], w, mode);
        y.push_back(r < 0 || q < 0 ? value : x[(c * h + r) * w + q]);
      }
    }
  }
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_constant_asymmetric";
    c.attrs = {{"pads", IntsAttr({1, 0, 0, 2})}, {"value", FloatAttr(-1.5f)}};
    c.inputs = {Tensor::FromVector({1, 1, 2, 2}, {1, 2, 3, 4})};
    c.expected = {{-1.5f, -1.5f, -1.5f, -1.5f,  //
                   1, 2, -1.5f, -1.5f,          //
                   3, 4, -1.5f, -1.5f}};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "hand_computed_reflect";
    c.attrs = {{"pads", IntsAttr({0, 2, 0, 1})}, {"mode", StringAttr("reflect")}};
    c.inputs = {Tensor::FromVector({1, 1, 1, 3}, {1, 2, 3})};
    c.expected = {{3, 2, 1, 2, 3, 2}};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "hand_computed_edge";
    c.attrs = {{"pads", IntsAttr({0, 2, 0, 1})}, {"mode", StringAttr("edge")}};
    c.inputs = {Tensor::FromVector({1, 1, 1, 3}, {1, 2, 3})};
    c.expected = {{1, 1, 1, 2, 3, 3}};
    c.reference = Reference;
    cases.push_back(c);
  }
  struct Spec {
    const char* name;
    Shape shape;
    std::vector<int64_t> pads;
    const char* mode;
  };
  const Spec specs[] = {
      {"constant_batch2_c3_3x4_pads1_2_0_3", {2, 3, 3, 4}, {1, 2, 0, 3}, "constant"},
      {"constant_c5_4x3_no_pad", {1, 5, 4, 3}, {0, 0, 0, 0}, "constant"},
      {"constant_wider_than_image_c2_2x2", {1, 2, 2, 2}, {3, 1, 2, 4}, "constant"},
      {"reflect_batch2_c3_4x5_pads1_3_2_4", {2, 3, 4, 5}, {1, 3, 2, 4}, "reflect"},
      {"reflect_c2_3x3_pads2_2_2_2", {1, 2, 3, 3}, {2, 2, 2, 2}, "reflect"},
      {"edge_batch2_c3_3x4_pads2_1_3_0", {2, 3, 3, 4}, {2, 1, 3, 0}, "edge"},
      {"edge_single_row_c2_1x4_pads2_2_2_2", {1, 2, 1, 4}, {2, 2, 2, 2}, "edge"},
      // Negative pads crop.
      {"constant_crop_batch2_c3_5x6_pads-1_2_1_-3", {2, 3, 5, 6}, {-1, 2, 1, -3}, "constant"},
      {"reflect_crop_c2_5x5_pads-2_2_3_-1", {1, 2, 5, 5}, {-2, 2, 3, -1}, "reflect"},
      {"edge_crop_c2_4x5_pads2_-2_-3_1", {1, 2, 4, 5}, {2, -2, -3, 1}, "edge"},
      // Rows wider than two AVX-512 vectors with an odd tail: the SIMD row
      // copies of the forward and of the gradient's read-once cells.
      {"constant_c2_3x37_pads1_2_1_3", {1, 2, 3, 37}, {1, 2, 1, 3}, "constant"},
      {"reflect_c2_4x37_pads2_3_1_2", {1, 2, 4, 37}, {2, 3, 1, 2}, "reflect"},
      {"edge_crop_c2_3x37_pads1_-3_1_2", {1, 2, 3, 37}, {1, -3, 1, 2}, "edge"},
  };
  uint64_t seed = 900;
  for (const Spec& s : specs) {
    OpTestCase c;
    c.name = s.name;
    c.attrs = {
        {"pads", IntsAttr(s.pads)}, {"mode", StringAttr(s.mode)}, {"value", FloatAttr(0.25f)}};
    c.inputs = {RandomTensor(s.shape, ++seed)};
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("pad2d", Cases);

absl::Status ShapeError(const Shape& x, const std::vector<int64_t>& pads, const std::string& mode) {
  const OpSchema* schema = OpRegistry::Global().Find("pad2d");
  absl::StatusOr<Attrs> attrs =
      schema->ResolveAttrs({{"pads", IntsAttr(pads)}, {"mode", StringAttr(mode)}});
  if (!attrs.ok()) return attrs.status();
  return schema->InferShapes({x}, *attrs).status();
}

TEST(Pad2dShape, RejectsBadAttributes) {
  using ::testing::HasSubstr;
  EXPECT_THAT(ShapeError({1, 1, 3, 3}, {1, 1, 1}, "constant").message(),
              HasSubstr("4 integers [top, left, bottom, right]"));
  EXPECT_THAT(ShapeError({1, 1, 3, 3}, {1, -2, 1, -1}, "constant").message(),
              HasSubstr("pads [1,-2,1,-1] crop all of W of input [1,1,3,3]"));
  EXPECT_TRUE(ShapeError({1, 1, 3, 3}, {1, -2, 1, 0}, "edge").ok());
  EXPECT_THAT(ShapeError({1, 1, 3, 3}, {1, 1, 1, 1}, "wrap").message(),
              HasSubstr("\"constant\", \"reflect\" or \"edge\", got \"wrap\""));
  EXPECT_THAT(ShapeError({1, 1, 3, 3}, {0, 3, 0, 0}, "reflect").message(),
              HasSubstr("every pad smaller than its axis"));
  EXPECT_THAT(ShapeError({1, 1, 0, 3}, {1, 0, 0, 0}, "edge").message(), HasSubstr("empty image"));
  EXPECT_THAT(ShapeError({1, 3, 3}, {1, 1, 1, 1}, "constant").message(), HasSubstr("[N, C, H, W]"));
  EXPECT_TRUE(ShapeError({1, 1, 3, 3}, {0, 2, 0, 2}, "reflect").ok());
}

}  // namespace
}  // namespace tessera
