// tanh's math for the CPU (SIMD) and the GPU: y = tanh(x), which saturates
// to +-1 for large |x| without overflow. The gradient uses the saved
// output: dx = dy * (1 - y^2).
//
// A functor fragment (ops/common/elementwise.h): included inside a namespace,
// once per SIMD target and once for CUDA, so it has no includes or guard.
struct TanhFunctor {
  static constexpr int kGradientUses = kUsesOutput;
  template <class M>
  TS_HD typename M::V Forward(const M& m, typename M::V x) const {
    return m.Tanh(x);
  }
  template <class M>
  TS_HD typename M::V Gradient(const M& m, typename M::V /*x*/, typename M::V y,
                               typename M::V dy) const {
    return m.Mul(dy, m.Sub(m.Set(1.0f), m.Mul(y, y)));
  }
};
