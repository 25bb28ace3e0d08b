#include "core/op_test_case.h"

namespace tessera {
namespace {

// Walks the output's multi-indices in row-major order and reads each value
// from whichever input owns that coordinate along the axis.
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const int rank = in[0].rank();
  int64_t axis = attrs.GetInt("axis");
  if (axis < 0) axis += rank;
  Shape out = in[0].shape();
  out[axis] = 0;
  for (const Tensor& t : in) out[axis] += t.dim(axis);
  std::vector<std::vector<float>> values;
  for (const Tensor& t : in) values.push_back(t.ToVector());
  std::vector<float> y;
  std::vector<int64_t> index(rank, 0);
  for (int64_t n = 0; n < NumElements(out); ++n) {
    // Which input, and the coordinate within it.
    size_t k = 0;
    int64_t a = index[axis];
    while (a >= in[k].dim(axis)) a -= in[k++].dim(axis);
    int64_t flat = 0;
    for (int d = 0; d < rank; ++d) flat = flat * in[k].dim(d) + (d == axis ? a : index[d]);
    y.push_back(values[k][flat]);
    for (int d = rank - 1; d >= 0 && ++index[d] == out[d]; --d) index[d] = 0;
  }
  return {y};
}

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_channels_1_and_2_batch2";
    c.inputs = {Tensor::FromVector({2, 1, 2}, {1, 2, 3, 4}),
                Tensor::FromVector({2, 2, 2}, {5, 6, 7, 8, 9, 10, 11, 12})};
    c.expected = {{1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12}};
    c.reference = Reference;
    cases.push_back(c);
  }
  struct Spec {
    const char* name;
    std::vector<Shape> shapes;
    int64_t axis;
  };
  const Spec specs[] = {
      {"nchw_channels_3_5_batch2_3x4", {{2, 3, 3, 4}, {2, 5, 3, 4}}, 1},
      {"nchw_channels_1_3_2_batch3_2x5", {{3, 1, 2, 5}, {3, 3, 2, 5}, {3, 2, 2, 5}}, 1},
      {"axis2_heights_2_3_batch2_c3", {{2, 3, 2, 4}, {2, 3, 3, 4}}, 2},
      {"axis0_batches_1_2", {{1, 3, 2, 2}, {2, 3, 2, 2}}, 0},
      {"axis_minus1_rank2_widths_2_5_1", {{3, 2}, {3, 5}, {3, 1}}, -1},
      {"eight_inputs_rank2", {{2, 1}, {2, 2}, {2, 3}, {2, 1}, {2, 4}, {2, 2}, {2, 1}, {2, 3}}, 1},
      // Pieces of 3 x 13 = 39 and 2 x 13 = 26 floats: whole vectors and
      // odd tails in the Highway copies.
      {"channels_3_2_batch2_1x13", {{2, 3, 1, 13}, {2, 2, 1, 13}}, 1},
  };
  uint64_t seed = 400;
  for (const Spec& s : specs) {
    OpTestCase c;
    c.name = s.name;
    c.attrs = {{"axis", IntAttr(s.axis)}};
    for (const Shape& shape : s.shapes) c.inputs.push_back(RandomTensor(shape, ++seed));
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("concat", Cases);

}  // namespace
}  // namespace tessera
