#include <cmath>

#include "core/op_test_case.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

// Written from PyTorch's definition, in double: start = floor(i*H/oh),
// end = ceil((i+1)*H/oh).
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const std::vector<int64_t> size = attrs.GetInts("output_size");
  const int64_t n = in[0].dim(0), c = in[0].dim(1), h = in[0].dim(2), w = in[0].dim(3);
  const std::vector<float> x = in[0].ToVector();
  std::vector<float> y;
  for (int64_t p = 0; p < n * c; ++p) {
    for (int64_t i = 0; i < size[0]; ++i) {
      for (int64_t j = 0; j < size[1]; ++j) {
        const int64_t h0 = static_cast<int64_t>(std::floor(double(i) * h / size[0]));
        const int64_t h1 = static_cast<int64_t>(std::ceil(double(i + 1) * h / size[0]));
        const int64_t w0 = static_cast<int64_t>(std::floor(double(j) * w / size[1]));
        const int64_t w1 = static_cast<int64_t>(std::ceil(double(j + 1) * w / size[1]));
        double s = 0;
        for (int64_t a = h0; a < h1; ++a) {
          for (int64_t b = w0; b < w1; ++b) s += x[p * h * w + a * w + b];
        }
        y.push_back(static_cast<float>(s / ((h1 - h0) * (w1 - w0))));
      }
    }
  }
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_3x3_to_2x2";
    c.attrs = {{"output_size", IntsAttr({2, 2})}};
    // Windows rows/cols [0,2) and [1,3): overlapping.
    c.inputs = {Tensor::FromVector({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})};
    c.expected = {{3, 4, 6, 7}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "upsizing_1x1_to_2x3";
    c.attrs = {{"output_size", IntsAttr({2, 3})}};
    c.inputs = {Tensor::FromVector({2, 1, 1, 1}, {5, -1})};
    c.expected = {{5, 5, 5, 5, 5, 5, -1, -1, -1, -1, -1, -1}};
    cases.push_back(c);
  }
  const int64_t shapes[][6] = {{2, 3, 7, 5, 3, 2},
                               {1, 5, 6, 6, 6, 6},
                               {2, 2, 5, 9, 4, 4},
                               // More than one GPU block of threads.
                               {2, 4, 19, 23, 5, 7},
                               // Rows of 37: whole Highway vectors and a tail;
                               // global pooling (one sum per plane).
                               {1, 2, 13, 37, 6, 6},
                               {2, 3, 7, 7, 1, 1}};
  for (const auto& s : shapes) {
    OpTestCase c;
    c.name = "n" + std::to_string(s[0]) + "c" + std::to_string(s[1]) + "_" + std::to_string(s[2]) +
             "x" + std::to_string(s[3]) + "_to_" + std::to_string(s[4]) + "x" +
             std::to_string(s[5]);
    c.attrs = {{"output_size", IntsAttr({s[4], s[5]})}};
    c.inputs = {RandomTensor({s[0], s[1], s[2], s[3]}, 77)};
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("adaptive_avgpool2d", Cases);

TEST(AdaptiveAvgPool2d, RejectsBadOutputSize) {
  const OpSchema* schema = OpRegistry::Global().Find("adaptive_avgpool2d");
  for (const auto& size : {std::vector<int64_t>{6}, std::vector<int64_t>{0, 6}}) {
    absl::StatusOr<Attrs> attrs = schema->ResolveAttrs({{"output_size", IntsAttr(size)}});
    ASSERT_TRUE(attrs.ok());
    absl::StatusOr<std::vector<Shape>> shapes = schema->InferShapes({{1, 2, 5, 5}}, *attrs);
    ASSERT_FALSE(shapes.ok());
    EXPECT_NE(shapes.status().message().find("output_size"), std::string::npos);
  }
}

}  // namespace
}  // namespace tessera
