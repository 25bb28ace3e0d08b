// elu: x for x > 0, alpha * (exp(x) - 1) otherwise; the math is EluFunctor in
// elu.h.

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/op_registry.h"

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> EluShape(const std::vector<Shape>& in, const Attrs& attrs) {
  const float alpha = attrs.GetFloat("alpha");
  if (!std::isfinite(alpha)) {
    return absl::InvalidArgumentError(absl::StrCat("alpha must be finite, got ", alpha));
  }
  return std::vector<Shape>{in[0]};
}

TESSERA_REGISTER_OP("elu")
    .Input("x")
    .Output("y")
    .Attr("alpha", AttrType::kFloat, FloatAttr(1.0f))
    .Doc("x for x > 0, alpha * (exp(x) - 1) otherwise, elementwise.")
    .ShapeFn(EluShape)
    // compare, exp, subtract, multiply, select.
    .Flops(FlopsPerOutputElement(4));

}  // namespace
}  // namespace tessera

// The kernels, CPU (every SIMD target) and GPU, from the functor; this also
// completes the schema above (what the gradient reads, in place).
#define TESSERA_ELEMENTWISE_OP "elu"
#define TESSERA_ELEMENTWISE_FUNCTOR EluFunctor
#define TESSERA_ELEMENTWISE_FUNCTOR_HEADER "ops/elu/elu.h"
#define TESSERA_ELEMENTWISE_ARITY 1
#include "ops/common/elementwise_op.h"
