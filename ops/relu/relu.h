// relu's math for the CPU (SIMD) and the GPU: y = max(x, 0). The gradient
// passes where y > 0, that is where x > 0 (0 at x = 0, as in PyTorch); it
// reads only y, so the executor may drop x.
//
// A functor fragment (ops/common/elementwise.h): included inside a namespace,
// once per SIMD target and once for CUDA, so it has no includes or guard.
struct ReluFunctor {
  static constexpr int kGradientUses = kUsesOutput;
  template <class M>
  TS_HD typename M::V Forward(const M& m, typename M::V x) const {
    return m.Select(m.Gt(x, m.Zero()), x, m.Zero());
  }
  template <class M>
  TS_HD typename M::V Gradient(const M& m, typename M::V /*x*/, typename M::V y,
                               typename M::V dy) const {
    return m.Select(m.Gt(y, m.Zero()), dy, m.Zero());
  }
};
