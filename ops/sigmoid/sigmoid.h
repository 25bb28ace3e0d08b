// sigmoid's math for the CPU (SIMD) and the GPU: y = 1 / (1 + exp(-x)).
//
// No exp ever overflows: with e = exp(-|x|) (an argument <= 0),
// y = 1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0, so a large |x|
// gives exactly 0 or 1 instead of inf / inf = NaN. The gradient uses the
// saved output: dx = dy * y * (1 - y).
//
// A functor fragment (ops/common/elementwise.h): included inside a namespace,
// once per SIMD target and once for CUDA, so it has no includes or guard.
struct SigmoidFunctor {
  static constexpr int kGradientUses = kUsesOutput;
  template <class M>
  TS_HD typename M::V Forward(const M& m, typename M::V x) const {
    const typename M::V e = m.Exp(m.Neg(m.Abs(x)));
    const typename M::V r = m.Div(m.Set(1.0f), m.Add(m.Set(1.0f), e));
    return m.Select(m.Ge(x, m.Zero()), r, m.Mul(e, r));
  }
  template <class M>
  TS_HD typename M::V Gradient(const M& m, typename M::V /*x*/, typename M::V y,
                               typename M::V dy) const {
    return m.Mul(m.Mul(dy, y), m.Sub(m.Set(1.0f), y));
  }
};
