#include <algorithm>
#include <cmath>

#include "core/op_test_case.h"

namespace tessera {
namespace {

// The source coordinate of output index `dst` along an axis, clamped to the
// input, in PyTorch's two conventions.
double Source(int64_t dst, int64_t in, int64_t out, bool align_corners) {
  const double src = align_corners ? (out > 1 ? dst * double(in - 1) / (out - 1) : 0.0)
                                   : (dst + 0.5) * in / out - 0.5;
  return std::clamp(src, 0.0, double(in - 1));
}

// Bilinear as a tent filter: input cell k weighs max(0, 1 - |src - k|),
// summed over every cell rather than picking two neighbours.
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const std::vector<int64_t> scale = attrs.GetInts("scale");
  const bool nearest = attrs.GetString("mode") == "nearest";
  const bool align = attrs.GetBool("align_corners");
  const int64_t n = in[0].dim(0), c = in[0].dim(1), h = in[0].dim(2), w = in[0].dim(3);
  const int64_t oh = h * scale[0], ow = w * scale[1];
  const std::vector<float> x = in[0].ToVector();
  std::vector<float> y;
  for (int64_t b = 0; b < n * c; ++b) {
    for (int64_t i = 0; i < oh; ++i) {
      for (int64_t j = 0; j < ow; ++j) {
        if (nearest) {
          const int64_t r = static_cast<int64_t>(std::floor(double(i) * h / oh));
          const int64_t q = static_cast<int64_t>(std::floor(double(j) * w / ow));
          y.push_back(x[(b * h + r) * w + q]);
          continue;
        }
        const double sr = Source(i, h, oh, align), sq = Source(j, w, ow, align);
        double sum = 0;
        for (int64_t r = 0; r < h; ++r) {
          for (int64_t q = 0; q < w; ++q) {
            const double wr = std::max(0.0, 1 - std::fabs(sr - r));
            const double wq = std::max(0.0, 1 - std::fabs(sq - q));
            sum += wr * wq * x[(b * h + r) * w + q];
          }
        }
        y.push_back(static_cast<float>(sum));
      }
    }
  }
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_nearest_2x3";
    c.attrs = {{"scale", IntsAttr({2, 3})}};
    c.inputs = {Tensor::FromVector({1, 1, 2, 2}, {1, 2, 3, 4})};
    c.expected = {{1, 1, 1, 2, 2, 2,  //
                   1, 1, 1, 2, 2, 2,  //
                   3, 3, 3, 4, 4, 4,  //
                   3, 3, 3, 4, 4, 4}};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    // Input 2 * row + col. Per axis the sources are 0 (clamped from -0.25),
    // 0.25, 0.75 and 1 (1.25 clamped to the last cell), so y = 2 r + c.
    OpTestCase c;
    c.name = "hand_computed_bilinear_2x2";
    c.attrs = {{"scale", IntsAttr({2, 2})}, {"mode", StringAttr("bilinear")}};
    c.inputs = {Tensor::FromVector({1, 1, 2, 2}, {0, 1, 2, 3})};
    c.expected = {{0, 0.25f, 0.75f, 1,        //
                   0.5f, 0.75f, 1.25f, 1.5f,  //
                   1.5f, 1.75f, 2.25f, 2.5f,  //
                   2, 2.25f, 2.75f, 3}};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    // Same input; with align_corners the sources are 0, 1/3, 2/3, 1.
    OpTestCase c;
    c.name = "hand_computed_bilinear_align_corners_2x2";
    c.attrs = {{"scale", IntsAttr({2, 2})},
               {"mode", StringAttr("bilinear")},
               {"align_corners", BoolAttr(true)}};
    c.inputs = {Tensor::FromVector({1, 1, 2, 2}, {0, 1, 2, 3})};
    c.expected = {{0, 1 / 3.0f, 2 / 3.0f, 1,         //
                   2 / 3.0f, 1, 4 / 3.0f, 5 / 3.0f,  //
                   4 / 3.0f, 5 / 3.0f, 2, 7 / 3.0f,  //
                   2, 7 / 3.0f, 8 / 3.0f, 3}};
    c.reference = Reference;
    cases.push_back(c);
  }
  struct Spec {
    const char* name;
    Shape shape;
    std::vector<int64_t> scale;
    const char* mode;
    bool align_corners;
  };
  const Spec specs[] = {
      {"nearest_batch2_c3_3x4_s2x3", {2, 3, 3, 4}, {2, 3}, "nearest", false},
      {"nearest_c5_5x3_s1x2", {1, 5, 5, 3}, {1, 2}, "nearest", false},
      {"bilinear_batch2_c3_4x5_s2x3", {2, 3, 4, 5}, {2, 3}, "bilinear", false},
      {"bilinear_c5_3x3_s3x2", {1, 5, 3, 3}, {3, 2}, "bilinear", false},
      {"bilinear_align_batch2_c3_4x5_s2x3", {2, 3, 4, 5}, {2, 3}, "bilinear", true},
      {"bilinear_align_c5_3x3_s3x2", {1, 5, 3, 3}, {3, 2}, "bilinear", true},
      // A single row: align_corners maps every output row to source row 0.
      {"bilinear_align_one_row_c3_1x4_s3x2", {1, 3, 1, 4}, {3, 2}, "bilinear", true},
      {"bilinear_identity_scale1_batch2_c3_3x4", {2, 3, 3, 4}, {1, 1}, "bilinear", false},
  };
  uint64_t seed = 300;
  for (const Spec& s : specs) {
    OpTestCase c;
    c.name = s.name;
    c.attrs = {{"scale", IntsAttr(s.scale)},
               {"mode", StringAttr(s.mode)},
               {"align_corners", BoolAttr(s.align_corners)}};
    c.inputs = {RandomTensor(s.shape, ++seed)};
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("upsample2d", Cases);

}  // namespace
}  // namespace tessera
