// add's math for the CPU (SIMD) and the GPU: z = x + y; both gradients
// are dz, so the gradient reads no forward value.
//
// A functor fragment (ops/common/elementwise.h): included inside a namespace,
// once per SIMD target and once for CUDA, so it has no includes or guard.
struct AddFunctor {
  static constexpr int kGradientUses = kUsesNothing;
  template <class M>
  TS_HD typename M::V Forward(const M& m, typename M::V a, typename M::V b) const {
    return m.Add(a, b);
  }
  template <class M>
  TS_HD typename M::V GradientA(const M&, typename M::V, typename M::V,
                                typename M::V dz) const {
    return dz;
  }
  template <class M>
  TS_HD typename M::V GradientB(const M&, typename M::V, typename M::V,
                                typename M::V dz) const {
    return dz;
  }
};
