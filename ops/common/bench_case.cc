#include "ops/common/bench_case.h"

#include <utility>

namespace tessera {
namespace bench {
namespace {

std::vector<Case>& Registry() {
  static auto* cases = new std::vector<Case>();
  return *cases;
}

}  // namespace

Input In(Shape shape) { return {std::move(shape)}; }
Input Positive(Shape shape) { return {std::move(shape), Fill::kPositive}; }
Input Labels(int64_t batch, int64_t classes) { return {{batch}, Fill::kClasses, classes}; }

Case Bytes(std::string op, std::string label, std::vector<Input> inputs,
           std::map<std::string, AttrValue> attrs, int grad_reads) {
  Case c{std::move(op), std::move(label), std::move(inputs), std::move(attrs)};
  c.grad_reads = grad_reads;
  return c;
}

Case Flops(std::string op, std::string label, std::vector<Input> inputs,
           std::map<std::string, AttrValue> attrs, std::vector<int> grad_inputs) {
  Case c{std::move(op), std::move(label), std::move(inputs), std::move(attrs), Work::kFlops};
  c.grad_inputs = std::move(grad_inputs);
  return c;
}

const std::vector<Case>& RegisteredCases() { return Registry(); }

CaseRegistration::CaseRegistration(std::vector<Case> cases) {
  for (Case& c : cases) Registry().push_back(std::move(c));
}

}  // namespace bench
}  // namespace tessera
