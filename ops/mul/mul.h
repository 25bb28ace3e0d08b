// mul's math for the CPU (SIMD) and the GPU: z = x * y; dx = dz * y,
// dy = dz * x.
//
// A functor fragment (ops/common/elementwise.h): included inside a namespace,
// once per SIMD target and once for CUDA, so it has no includes or guard.
struct MulFunctor {
  static constexpr int kGradientUses = kUsesInput;
  template <class M>
  TS_HD typename M::V Forward(const M& m, typename M::V a, typename M::V b) const {
    return m.Mul(a, b);
  }
  template <class M>
  TS_HD typename M::V GradientA(const M& m, typename M::V, typename M::V b,
                                typename M::V dz) const {
    return m.Mul(dz, b);
  }
  template <class M>
  TS_HD typename M::V GradientB(const M& m, typename M::V a, typename M::V,
                                typename M::V dz) const {
    return m.Mul(dz, a);
  }
};
