#include "core/op_test_case.h"

namespace tessera {
namespace {

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "nchw_to_rows";
    c.inputs = {Tensor::FromVector({2, 1, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})};
    c.expected = {{1, 2, 3, 4, 5, 6, 7, 8}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "axis2_of_3x2x3x2";
    c.attrs = {{"axis", IntAttr(2)}};
    c.inputs = {RandomTensor({3, 2, 3, 2}, 51)};
    c.reference = [](const std::vector<Tensor>& in, const Attrs&) {
      return std::vector<std::vector<float>>{in[0].ToVector()};
    };
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("flatten", Cases);

}  // namespace
}  // namespace tessera
