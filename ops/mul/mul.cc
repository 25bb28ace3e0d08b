// mul: elementwise product z = x * y of two tensors of the same shape (no
// broadcasting); useful for masks. The math is MulFunctor in mul.h.

#include "core/op_registry.h"

namespace tessera {
namespace {

TESSERA_REGISTER_OP("mul")
    .Input("x")
    .Input("y")
    .Output("z")
    .Doc("x * y, elementwise; x and y must have the same shape (no broadcasting).")
    .ShapeFn(EqualShapes("mul"))
    .Flops(FlopsPerOutputElement(1));

}  // namespace
}  // namespace tessera

// The kernels, CPU (every SIMD target) and GPU, from the functor; this also
// completes the schema above (what the gradient reads, in place).
#define TESSERA_ELEMENTWISE_OP "mul"
#define TESSERA_ELEMENTWISE_FUNCTOR MulFunctor
#define TESSERA_ELEMENTWISE_FUNCTOR_HEADER "ops/mul/mul.h"
#define TESSERA_ELEMENTWISE_ARITY 2
#include "ops/common/elementwise_op.h"
