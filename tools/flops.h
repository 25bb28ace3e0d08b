#ifndef TESSERA_TOOLS_FLOPS_H_
#define TESSERA_TOOLS_FLOPS_H_

// Forward FLOP counts per op, for //tools:summary. Core stays op-agnostic:
// the formulas live here, keyed by op name, and read only the node's
// resolved attributes and its input and output shapes.
//
// Conventions (those of most FLOP counters, e.g. fvcore):
//   - a multiply-add is 2 FLOPs;
//   - conv2d: 2 * N * O * Hout * Wout * (C / groups) * kH * kW;
//   - conv_transpose2d: 2 * N * Cin * H * W * (Cout / groups) * kH * kW
//     (every input pixel scatters into a kH x kW window of each output
//     channel of its group);
//   - matmul: 2 * batch * in * out;
//   - bias additions of conv2d, conv_transpose2d and matmul are not
//     counted (they are one add per output, small beside the products);
//   - elementwise ops (relu, leaky_relu, sigmoid, tanh, add, mul, bias_add,
//     dropout): 1 per output element;
//   - pooling: one per window element per output (kH * kW * outputs);
//   - batch_norm2d: 2 per element (a folded scale and shift);
//   - lrn: 2 * size + 2 per element (the windowed sum of squares, the power
//     and the multiply);
//   - softmax, softmax_cross_entropy: 3 per input element (exp, sum,
//     divide or log); l2_loss: 3 per element (subtract, multiply, add);
//   - upsample2d: 0 for nearest (copies), 8 per output for bilinear;
//   - flatten, reshape, concat: 0 (data movement only).
// An op not listed here is reported as unknown (0 FLOPs, known = false).

#include <string>
#include <vector>

#include "core/op_registry.h"
#include "core/shape.h"

namespace tessera {

struct OpFlops {
  double flops = 0;
  bool known = true;  // false: no formula for this op
};

OpFlops ForwardFlops(const std::string& op, const Attrs& attrs, const std::vector<Shape>& inputs,
                     const std::vector<Shape>& outputs);

}  // namespace tessera

#endif  // TESSERA_TOOLS_FLOPS_H_
