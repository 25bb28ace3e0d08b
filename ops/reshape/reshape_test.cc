#include "core/op_test_case.h"

namespace tessera {
namespace {

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "rows_to_images";
    c.attrs = {{"shape", IntsAttr({0, 1, 2, -1})}};
    c.inputs = {Tensor::FromVector({2, 4}, {1, 2, 3, 4, 5, 6, 7, 8})};
    c.expected = {{1, 2, 3, 4, 5, 6, 7, 8}};
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "3x10_to_5x6";
    c.attrs = {{"shape", IntsAttr({5, 6})}};
    c.inputs = {RandomTensor({3, 10}, 61)};
    c.reference = [](const std::vector<Tensor>& in, const Attrs&) {
      return std::vector<std::vector<float>>{in[0].ToVector()};
    };
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("reshape", Cases);

}  // namespace
}  // namespace tessera
