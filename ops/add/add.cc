// add: z = x + y elementwise, both of one shape (residual/skip connections).
// No broadcasting: a shape mismatch is an error, so a wiring mistake is not
// silently broadcast away (use bias_add for per-channel biases). The math is
// AddFunctor in add.h.

#include "core/op_registry.h"

namespace tessera {
namespace {

TESSERA_REGISTER_OP("add")
    .Input("x")
    .Input("y")
    .Output("z")
    .Doc("x + y, elementwise, same shapes.")
    .ShapeFn(EqualShapes("add"))
    // dx = dy = dz: the executor passes dz on to one and adds it into the
    // other's gradient, or has the kernel copy it when that has none yet.
    .GradientPassesThrough(0)
    .GradientPassesThrough(1)
    .Flops(FlopsPerOutputElement(1));

}  // namespace
}  // namespace tessera

// The kernels, CPU (every SIMD target) and GPU, from the functor; this also
// completes the schema above (what the gradient reads, in place).
#define TESSERA_ELEMENTWISE_OP "add"
#define TESSERA_ELEMENTWISE_FUNCTOR AddFunctor
#define TESSERA_ELEMENTWISE_FUNCTOR_HEADER "ops/add/add.h"
#define TESSERA_ELEMENTWISE_ARITY 2
#include "ops/common/elementwise_op.h"
