// Makes an elementwise op's CPU and GPU kernels from its functor. The op's
// .cc registers its schema, then says which functor and includes this file
// (at the end: it completes the schema registered above it):
//
//   #define TESSERA_ELEMENTWISE_OP "relu"
//   #define TESSERA_ELEMENTWISE_FUNCTOR ReluFunctor
//   #define TESSERA_ELEMENTWISE_FUNCTOR_HEADER "ops/relu/relu.h"
//   #define TESSERA_ELEMENTWISE_ARITY 1  // 1: y = f(x); 2: y = f(a, b)
//   #include "ops/common/elementwise_op.h"
//
// Its .cu is three lines:
//
//   #include "ops/common/elementwise.cuh"
//   namespace tessera::cuda {
//   #include "ops/relu/relu.h"
//   }
//   TESSERA_ELEMENTWISE_UNARY_CUDA(tessera::cuda::ReluFunctor);
//
// No include guard: Highway's foreach_target.h includes this file once per
// SIMD target (HWY_TARGET_INCLUDE), and the functor is compiled inside each
// target's namespace. The last pass (HWY_ONCE) registers the kernels and
// adds to the schema what follows from the functor: which forward values
// the gradient reads (kGradientUses) and that the op may run in place.

#if !defined(TESSERA_ELEMENTWISE_OP) || !defined(TESSERA_ELEMENTWISE_FUNCTOR) || \
    !defined(TESSERA_ELEMENTWISE_FUNCTOR_HEADER) || !defined(TESSERA_ELEMENTWISE_ARITY)
#error "define TESSERA_ELEMENTWISE_OP, _FUNCTOR, _FUNCTOR_HEADER and _ARITY first"
#endif

#ifndef TESSERA_ELEMENTWISE_OP_ONCE_PER_FILE
#define TESSERA_ELEMENTWISE_OP_ONCE_PER_FILE
#include <cstdio>
#include <cstdlib>

#include "core/op_registry.h"
#include "ops/common/elementwise_kernels.h"
#define TS_EW_CAT2(a, b) a##b
#define TS_EW_CAT(a, b) TS_EW_CAT2(a, b)
#define TS_EW_FORWARD TS_EW_CAT(TESSERA_ELEMENTWISE_FUNCTOR, Forward)
#define TS_EW_GRADIENT TS_EW_CAT(TESSERA_ELEMENTWISE_FUNCTOR, Gradient)
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/common/elementwise_op.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#endif

#include "ops/common/elementwise_cpu-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace HWY_NAMESPACE {

#include TESSERA_ELEMENTWISE_FUNCTOR_HEADER

#if TESSERA_ELEMENTWISE_ARITY == 1
void TS_EW_FORWARD(const Attrs& attrs, const float* x, float* y, int64_t n) {
  UnaryForwardLoop(MakeElementwiseFunctor<TESSERA_ELEMENTWISE_FUNCTOR>(attrs), x, y, n);
}
void TS_EW_GRADIENT(const Attrs& attrs, const float* x, const float* y, const float* dy, float* dx,
                    int64_t n) {
  UnaryGradientLoop(MakeElementwiseFunctor<TESSERA_ELEMENTWISE_FUNCTOR>(attrs), x, y, dy, dx, n);
}
#else
void TS_EW_FORWARD(const Attrs& attrs, const float* a, const float* b, float* y, int64_t n) {
  BinaryForwardLoop(MakeElementwiseFunctor<TESSERA_ELEMENTWISE_FUNCTOR>(attrs), a, b, y, n);
}
void TS_EW_GRADIENT(const Attrs& attrs, const float* a, const float* b, const float* dy, float* da,
                    float* db, int64_t n) {
  BinaryGradientLoop(MakeElementwiseFunctor<TESSERA_ELEMENTWISE_FUNCTOR>(attrs), a, b, dy, da, db,
                     n);
}
#endif

}  // namespace HWY_NAMESPACE
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#if TESSERA_CUDA
namespace tessera {
namespace cuda {
#include TESSERA_ELEMENTWISE_FUNCTOR_HEADER
}  // namespace cuda
}  // namespace tessera
#define TS_EW_GPU_FUNCTOR cuda::TESSERA_ELEMENTWISE_FUNCTOR
#else
#define TS_EW_GPU_FUNCTOR HWY_NAMESPACE::TESSERA_ELEMENTWISE_FUNCTOR
#endif

namespace tessera {
static const bool kElementwiseSchemaCompleted = [] {
  OpSchema* schema = OpRegistry::Global().FindMutable(TESSERA_ELEMENTWISE_OP);
  if (schema == nullptr) {
    std::fprintf(stderr, "%s: register the schema before including elementwise_op.h\n",
                 TESSERA_ELEMENTWISE_OP);
    std::abort();
  }
  constexpr int kUses = HWY_NAMESPACE::TESSERA_ELEMENTWISE_FUNCTOR::kGradientUses;
  std::vector<int> inputs, outputs;
  if (kUses & kUsesInput) {
    for (int i = 0; i < TESSERA_ELEMENTWISE_ARITY; ++i) inputs.push_back(i);
  }
  if (kUses & kUsesOutput) outputs.push_back(0);
  schema->GradientReads(inputs, outputs).InPlace();
  return true;
}();
HWY_EXPORT(TS_EW_FORWARD);
HWY_EXPORT(TS_EW_GRADIENT);
#if TESSERA_ELEMENTWISE_ARITY == 1
static const bool kElementwiseRegistered =
    RegisterUnaryElementwise<HWY_NAMESPACE::TESSERA_ELEMENTWISE_FUNCTOR, TS_EW_GPU_FUNCTOR>(
        TESSERA_ELEMENTWISE_OP,
        [](const Attrs& attrs, const float* x, float* y, int64_t n) {
          HWY_DYNAMIC_DISPATCH(TS_EW_FORWARD)(attrs, x, y, n);
        },
        [](const Attrs& attrs, const float* x, const float* y, const float* dy, float* dx,
           int64_t n) {
          HWY_DYNAMIC_DISPATCH(TS_EW_GRADIENT)
          (attrs, x, y, dy, dx, n);
        });
#else
static const bool kElementwiseRegistered =
    RegisterBinaryElementwise<HWY_NAMESPACE::TESSERA_ELEMENTWISE_FUNCTOR, TS_EW_GPU_FUNCTOR>(
        TESSERA_ELEMENTWISE_OP,
        [](const Attrs& attrs, const float* a, const float* b, float* y, int64_t n) {
          HWY_DYNAMIC_DISPATCH(TS_EW_FORWARD)(attrs, a, b, y, n);
        },
        [](const Attrs& attrs, const float* a, const float* b, const float* dy, float* da,
           float* db, int64_t n) {
          HWY_DYNAMIC_DISPATCH(TS_EW_GRADIENT)(attrs, a, b, dy, da, db, n);
        });
#endif
}  // namespace tessera
#endif  // HWY_ONCE
