#ifndef TESSERA_TOOLS_FLOPS_H_
#define TESSERA_TOOLS_FLOPS_H_

// Forward FLOP counts per node, for //tools:summary. Each op declares its
// own formula with its schema (OpSchema::Flops, in ops/<op>/<op>.cc; a
// multiply-add is 2 FLOPs, as in most FLOP counters such as fvcore), so a
// new op brings its count with it.

#include <string>
#include <vector>

#include "core/op_registry.h"
#include "core/shape.h"

namespace tessera {

struct OpFlops {
  double flops = 0;
  bool known = true;  // false: unknown op, or shapes its formula cannot read
};

OpFlops ForwardFlops(const std::string& op, const Attrs& attrs, const std::vector<Shape>& inputs,
                     const std::vector<Shape>& outputs);

}  // namespace tessera

#endif  // TESSERA_TOOLS_FLOPS_H_
