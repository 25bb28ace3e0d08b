// relu: y = max(x, 0), elementwise; the math is ReluFunctor in relu.h.

#define TESSERA_ELEMENTWISE_OP "relu"
#define TESSERA_ELEMENTWISE_FUNCTOR ReluFunctor
#define TESSERA_ELEMENTWISE_FUNCTOR_HEADER "ops/relu/relu.h"
#define TESSERA_ELEMENTWISE_ARITY 1
#include "core/op_registry.h"
#include "ops/common/elementwise_op.h"  // CPU (every SIMD target) and GPU kernels

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
