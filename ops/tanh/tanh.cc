// tanh: y = tanh(x), elementwise; the math is TanhFunctor in tanh.h.

#include "core/op_registry.h"

namespace tessera {
namespace {

TESSERA_REGISTER_OP("tanh")
    .Input("x")
    .Output("y")
    .Doc("tanh(x), elementwise.")
    .ShapeFn(SameShapeAsInput(0))
    .Flops(FlopsPerOutputElement(1));

}  // namespace
}  // namespace tessera

// The kernels, CPU (every SIMD target) and GPU, from the functor; this also
// completes the schema above (what the gradient reads, in place).
#define TESSERA_ELEMENTWISE_OP "tanh"
#define TESSERA_ELEMENTWISE_FUNCTOR TanhFunctor
#define TESSERA_ELEMENTWISE_FUNCTOR_HEADER "ops/tanh/tanh.h"
#define TESSERA_ELEMENTWISE_ARITY 1
#include "ops/common/elementwise_op.h"
