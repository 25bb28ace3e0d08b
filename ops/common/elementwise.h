// Elementwise math written once for the CPU and the GPU.
//
// An elementwise op's math is a functor (ops/<op>/<op>.h) whose member
// templates take a math policy `m`:
//   - ScalarMath below: one float at a time (each CUDA thread);
//   - SimdMath (ops/common/elementwise_cpu-inl.h): a Highway vector of
//     floats on the CPU, for whichever SIMD target the CPU has.
// The same source line is both the CPU's SIMD loop and the GPU kernel, so
// the two cannot drift apart. A unary functor looks like this:
//
//   struct ReluFunctor {
//     // Which forward values the gradient reads (see ElementwiseUses).
//     static constexpr int kGradientUses = kUsesOutput;
//     template <class M>
//     TS_HD typename M::V Forward(const M& m, typename M::V x) const {
//       return m.Select(m.Gt(x, m.Zero()), x, m.Zero());
//     }
//     template <class M>
//     TS_HD typename M::V Gradient(const M& m, typename M::V x, typename M::V y,
//                                  typename M::V dy) const {
//       return m.Select(m.Gt(y, m.Zero()), dy, m.Zero());
//     }
//   };
//
// A binary functor has Forward(m, a, b), GradientA(m, a, b, dy) and
// GradientB(m, a, b, dy). A functor with attributes has a constructor
// template taking the node's Attrs (`template <class A> explicit F(const A&
// attrs)`) and plain data members, so that it can be copied to the GPU.
// ops/common/elementwise_op.h turns a functor into registered CPU and
// GPU kernels; ops/README.md walks through it.
//
// The functor's header is a fragment without includes or include guard:
// SIMD code must be compiled inside Highway's per-target namespace (GCC
// cannot inline AVX2 intrinsics into a function compiled for the baseline
// target), so ops/common/elementwise_op.h includes it once per SIMD target
// inside tessera::HWY_NAMESPACE, and the op's .cu and .cc include it inside
// tessera::cuda for the GPU.
//
// This header sees only the C++ standard library: nvcc compiles it too.
#ifndef TESSERA_OPS_COMMON_ELEMENTWISE_H_
#define TESSERA_OPS_COMMON_ELEMENTWISE_H_

#include <math.h>

#include <type_traits>

#ifdef __CUDACC__
#define TS_HD __host__ __device__ inline
#else
#define TS_HD inline
#endif

namespace tessera {

// Which forward values an elementwise gradient reads: the executor can
// release the others, and the drivers load only these. For a binary op
// kUsesInput means both inputs.
enum ElementwiseUses : int { kUsesNothing = 0, kUsesInput = 1, kUsesOutput = 2 };

// One float at a time. Comparisons give a bool "mask", as SimdMath's give a
// Highway mask.
struct ScalarMath {
  using V = float;
  using Mask = bool;
  TS_HD V Zero() const { return 0.0f; }
  TS_HD V Set(float v) const { return v; }
  TS_HD V Add(V a, V b) const { return a + b; }
  TS_HD V Sub(V a, V b) const { return a - b; }
  TS_HD V Mul(V a, V b) const { return a * b; }
  TS_HD V Div(V a, V b) const { return a / b; }
  TS_HD V Neg(V a) const { return -a; }
  TS_HD V Abs(V a) const { return fabsf(a); }
  TS_HD Mask Gt(V a, V b) const { return a > b; }
  TS_HD Mask Ge(V a, V b) const { return a >= b; }
  TS_HD V Select(Mask m, V yes, V no) const { return m ? yes : no; }
  TS_HD V Exp(V a) const { return expf(a); }
  TS_HD V Tanh(V a) const { return tanhf(a); }
};

// A functor with attributes is built from the node's Attrs by a
// constructor template (so that this header needs no Attrs); one without is
// default-constructed.
template <class F, class A>
TS_HD F MakeElementwiseFunctor(const A& attrs) {
  if constexpr (std::is_constructible_v<F, const A&>) {
    return F(attrs);
  } else {
    return F{};
  }
}

}  // namespace tessera

#endif  // TESSERA_OPS_COMMON_ELEMENTWISE_H_
