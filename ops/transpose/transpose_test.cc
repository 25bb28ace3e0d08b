#include "core/op_registry.h"
#include "core/op_test_case.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

// Walks y's multi-index with an odometer and reads x at the permuted index:
// a different route from the kernel's offset arithmetic.
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const std::vector<int64_t> perm = attrs.GetInts("perm");
  const Shape& x_shape = in[0].shape();
  const size_t rank = x_shape.size();
  const std::vector<float> x = in[0].ToVector();
  Shape y_shape(rank);
  for (size_t i = 0; i < rank; ++i) y_shape[i] = x_shape[perm[i]];
  std::vector<int64_t> y_index(rank, 0);
  std::vector<float> y;
  for (int64_t o = 0; o < NumElements(y_shape); ++o) {
    std::vector<int64_t> x_index(rank);
    for (size_t i = 0; i < rank; ++i) x_index[perm[i]] = y_index[i];
    int64_t at = 0;
    for (size_t a = 0; a < rank; ++a) at = at * x_shape[a] + x_index[a];
    y.push_back(x[at]);
    for (int i = static_cast<int>(rank) - 1; i >= 0; --i) {
      if (++y_index[i] < y_shape[i]) break;
      y_index[i] = 0;
    }
  }
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_matrix";
    c.attrs = {{"perm", IntsAttr({1, 0})}};
    c.inputs = {Tensor::FromVector({2, 3}, {1, 2, 3, 4, 5, 6})};
    c.expected = {{1, 4, 2, 5, 3, 6}};
    c.reference = Reference;
    cases.push_back(c);
  }
  struct Spec {
    const char* name;
    Shape shape;
    std::vector<int64_t> perm;
  };
  const Spec specs[] = {
      {"matrix_7x5", {7, 5}, {1, 0}},
      {"identity_3x4x2", {3, 4, 2}, {0, 1, 2}},
      {"rank3_2x3x4_perm201", {2, 3, 4}, {2, 0, 1}},
      {"rank3_2x3x4_perm120", {2, 3, 4}, {1, 2, 0}},
      {"nchw_to_nhwc_2x3x4x5", {2, 3, 4, 5}, {0, 2, 3, 1}},
      {"rank4_reverse_2x3x1x5", {2, 3, 1, 5}, {3, 2, 1, 0}},
      {"rank5_2x1x3x2x3_perm41302", {2, 1, 3, 2, 3}, {4, 1, 3, 0, 2}},
      // The tiled kernels: 4x4 register tiles with odd tails on both axes,
      // NCHW <-> NHWC as batches of 2-D transposes, and runs copied whole
      // when the last axis stays last.
      {"matrix_9x13", {9, 13}, {1, 0}},
      {"nchw_to_nhwc_2x6x3x3", {2, 6, 3, 3}, {0, 2, 3, 1}},
      {"nhwc_to_nchw_2x3x3x6", {2, 3, 3, 6}, {0, 3, 1, 2}},
      {"last_axis_stays_3x4x5_perm102", {3, 4, 5}, {1, 0, 2}},
  };
  uint64_t seed = 700;
  for (const Spec& s : specs) {
    OpTestCase c;
    c.name = s.name;
    c.attrs = {{"perm", IntsAttr(s.perm)}};
    c.inputs = {RandomTensor(s.shape, ++seed)};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    // More than one 64-row block of a 2-D transpose, with tails (the
    // gradient is the same kernel, checked by the smaller cases above).
    OpTestCase c;
    c.name = "matrix_70x131_blocks";
    c.attrs = {{"perm", IntsAttr({1, 0})}};
    c.inputs = {RandomTensor({70, 131}, 790)};
    c.reference = Reference;
    c.check_gradient = false;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("transpose", Cases);

std::string ShapeError(const Shape& x, const std::vector<int64_t>& perm) {
  const OpSchema* schema = OpRegistry::Global().Find("transpose");
  const Attrs attrs = *schema->ResolveAttrs({{"perm", IntsAttr(perm)}});
  return std::string(schema->InferShapes({x}, attrs).status().message());
}

TEST(TransposeShape, RejectsWhatIsNotAPermutation) {
  using ::testing::HasSubstr;
  EXPECT_THAT(ShapeError({2, 3}, {0}), HasSubstr("'perm' [0] is not a permutation of the 2 axes"));
  EXPECT_THAT(ShapeError({2, 3}, {0, 0}), HasSubstr("is not a permutation"));
  EXPECT_THAT(ShapeError({2, 3}, {0, 2}), HasSubstr("is not a permutation"));
  EXPECT_THAT(ShapeError({2, 3}, {-1, 0}), HasSubstr("is not a permutation"));
  EXPECT_THAT(ShapeError({1, 1, 1, 1, 1, 1, 1, 1, 1}, {0, 1, 2, 3, 4, 5, 6, 7, 8}),
              HasSubstr("at most 8"));
}

}  // namespace
}  // namespace tessera
