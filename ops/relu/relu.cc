// relu: y = max(x, 0), elementwise; the math is ReluFunctor in relu.h.

#include "core/op_registry.h"

namespace tessera {
namespace {

TESSERA_REGISTER_OP("relu")
    .Input("x")
    .Output("y")
    .Doc("max(x, 0), elementwise.")
    .ShapeFn(SameShapeAsInput(0))
    .Flops(FlopsPerOutputElement(1));

}  // namespace
}  // namespace tessera

// The kernels, CPU (every SIMD target) and GPU, from the functor; this also
// completes the schema above (what the gradient reads, in place).
#define TESSERA_ELEMENTWISE_OP "relu"
#define TESSERA_ELEMENTWISE_FUNCTOR ReluFunctor
#define TESSERA_ELEMENTWISE_FUNCTOR_HEADER "ops/relu/relu.h"
#define TESSERA_ELEMENTWISE_ARITY 1
#include "ops/common/elementwise_op.h"
