#include "tools/flops.h"

namespace tessera {

OpFlops ForwardFlops(const std::string& op, const Attrs& attrs, const std::vector<Shape>& inputs,
                     const std::vector<Shape>& outputs) {
  const OpSchema* schema = OpRegistry::Global().Find(op);
  if (schema == nullptr) return {0, false};
  const std::optional<OpCost> cost = schema->ForwardCost(inputs, outputs, attrs);
  return cost ? OpFlops{cost->flops} : OpFlops{0, false};
}

}  // namespace tessera
