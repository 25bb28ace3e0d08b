#include "tools/flops.h"

#include <set>

namespace tessera {
namespace {

// Attribute readers that never abort: Attrs' getters abort on an attribute
// that the op's schema does not declare, and a tool must survive an op whose
// schema changed under it.
int64_t IntAttrOr(const Attrs& attrs, const std::string& name, int64_t fallback) {
  auto it = attrs.values().find(name);
  return it != attrs.values().end() && it->second.value_case() == AttrValue::kI ? it->second.i()
                                                                                : fallback;
}

std::vector<int64_t> IntsAttrOr(const Attrs& attrs, const std::string& name) {
  auto it = attrs.values().find(name);
  if (it == attrs.values().end() || it->second.value_case() != AttrValue::kInts) return {};
  return {it->second.ints().v().begin(), it->second.ints().v().end()};
}

bool BoolAttrOr(const Attrs& attrs, const std::string& name, bool fallback) {
  auto it = attrs.values().find(name);
  return it != attrs.values().end() && it->second.value_case() == AttrValue::kB ? it->second.b()
                                                                                : fallback;
}

std::string StringAttrOr(const Attrs& attrs, const std::string& name, const std::string& fallback) {
  auto it = attrs.values().find(name);
  return it != attrs.values().end() && it->second.value_case() == AttrValue::kS ? it->second.s()
                                                                                : fallback;
}

double Elements(const std::vector<Shape>& shapes, size_t i) {
  return i < shapes.size() ? static_cast<double>(NumElements(shapes[i])) : 0.0;
}

}  // namespace

OpFlops ForwardFlops(const std::string& op, const Attrs& attrs, const std::vector<Shape>& inputs,
                     const std::vector<Shape>& outputs) {
  static const std::set<std::string> kElementwise = {"relu", "leaky_relu", "sigmoid",  "tanh",
                                                     "add",  "mul",        "bias_add", "dropout"};
  static const std::set<std::string> kMovement = {"flatten", "reshape", "concat"};
  const double out = Elements(outputs, 0), in = Elements(inputs, 0);
  if (op == "conv2d") {
    if (inputs.size() < 2 || inputs[0].size() != 4 || inputs[1].size() != 4) return {0, false};
    const Shape& w = inputs[1];  // [O, C/groups, kH, kW]
    return {2.0 * out * static_cast<double>(w[1] * w[2] * w[3])};
  }
  if (op == "conv_transpose2d") {
    if (inputs.size() < 2 || inputs[0].size() != 4 || inputs[1].size() != 4) return {0, false};
    const Shape& w = inputs[1];  // [Cin, Cout/groups, kH, kW]
    return {2.0 * in * static_cast<double>(w[1] * w[2] * w[3])};
  }
  if (op == "matmul") {
    if (inputs.size() < 2 || inputs[0].size() != 2 || inputs[1].size() != 2) return {0, false};
    return {2.0 * static_cast<double>(inputs[0][0]) *
            static_cast<double>(inputs[1][0] * inputs[1][1])};
  }
  if (kElementwise.count(op)) return {out};
  if (kMovement.count(op)) return {0};
  if (op == "maxpool2d" || op == "avgpool2d") {
    const std::vector<int64_t> kernel = IntsAttrOr(attrs, "kernel");
    double window;
    if (BoolAttrOr(attrs, "global", false) || kernel.size() != 2) {
      if (inputs.empty() || inputs[0].size() != 4) return {0, false};
      window = static_cast<double>(inputs[0][2] * inputs[0][3]);
    } else {
      window = static_cast<double>(kernel[0] * kernel[1]);
    }
    return {out * window};
  }
  if (op == "batch_norm2d") return {2.0 * out};
  if (op == "lrn") return {(2.0 * static_cast<double>(IntAttrOr(attrs, "size", 5)) + 2.0) * out};
  if (op == "softmax" || op == "softmax_cross_entropy" || op == "l2_loss") return {3.0 * in};
  if (op == "upsample2d")
    return {StringAttrOr(attrs, "mode", "nearest") == "bilinear" ? 8.0 * out : 0.0};
  return {0, false};
}

}  // namespace tessera
