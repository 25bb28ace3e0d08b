// sigmoid: y = 1 / (1 + exp(-x)), elementwise and overflow-free; the math
// is SigmoidFunctor in sigmoid.h.

#include "core/op_registry.h"

namespace tessera {
namespace {

TESSERA_REGISTER_OP("sigmoid")
    .Input("x")
    .Output("y")
    .Doc("1 / (1 + exp(-x)), elementwise, overflow-free.")
    .ShapeFn(SameShapeAsInput(0))
    .Flops(FlopsPerOutputElement(1));

}  // namespace
}  // namespace tessera

// The kernels, CPU (every SIMD target) and GPU, from the functor; this also
// completes the schema above (what the gradient reads, in place).
#define TESSERA_ELEMENTWISE_OP "sigmoid"
#define TESSERA_ELEMENTWISE_FUNCTOR SigmoidFunctor
#define TESSERA_ELEMENTWISE_FUNCTOR_HEADER "ops/sigmoid/sigmoid.h"
#define TESSERA_ELEMENTWISE_ARITY 1
#include "ops/common/elementwise_op.h"
