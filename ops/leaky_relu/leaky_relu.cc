// leaky_relu: x for x > 0, negative_slope * x otherwise; the math is
// LeakyReluFunctor in leaky_relu.h.

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/op_registry.h"

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> LeakyReluShape(const std::vector<Shape>& in,
                                                  const Attrs& attrs) {
  const float slope = attrs.GetFloat("negative_slope");
  if (!std::isfinite(slope)) {
    return absl::InvalidArgumentError(absl::StrCat("negative_slope must be finite, got ", slope));
  }
  return std::vector<Shape>{in[0]};
}

TESSERA_REGISTER_OP("leaky_relu")
    .Input("x")
    .Output("y")
    .Attr("negative_slope", AttrType::kFloat, FloatAttr(0.01f))
    .Doc("x for x > 0, negative_slope * x otherwise, elementwise.")
    .ShapeFn(LeakyReluShape)
    .Flops(FlopsPerOutputElement(1));

}  // namespace
}  // namespace tessera

// The kernels, CPU (every SIMD target) and GPU, from the functor; this also
// completes the schema above (what the gradient reads, in place).
#define TESSERA_ELEMENTWISE_OP "leaky_relu"
#define TESSERA_ELEMENTWISE_FUNCTOR LeakyReluFunctor
#define TESSERA_ELEMENTWISE_FUNCTOR_HEADER "ops/leaky_relu/leaky_relu.h"
#define TESSERA_ELEMENTWISE_ARITY 1
#include "ops/common/elementwise_op.h"
