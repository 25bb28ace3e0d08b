// elu's math for the CPU (SIMD) and the GPU: y = x for x > 0,
// alpha * (exp(x) - 1) otherwise (PyTorch's nn.ELU). The gradient is dy for
// x > 0 and dy * (y + alpha) otherwise (= dy * alpha * exp(x)).
//
// A functor fragment (ops/common/elementwise.h): included inside a namespace,
// once per SIMD target and once for CUDA, so it has no includes or guard.
struct EluFunctor {
  static constexpr int kGradientUses = kUsesInput | kUsesOutput;
  float alpha = 1.0f;
  EluFunctor() = default;
  template <class A>
  explicit EluFunctor(const A& attrs) : alpha(attrs.GetFloat("alpha")) {}

  template <class M>
  TS_HD typename M::V Forward(const M& m, typename M::V x) const {
    // exp of the clamped input: no inf for large positive x in the unused lane.
    const typename M::V neg = m.Select(m.Gt(x, m.Zero()), m.Zero(), x);
    return m.Select(m.Gt(x, m.Zero()), x, m.Mul(m.Set(alpha), m.Sub(m.Exp(neg), m.Set(1.0f))));
  }
  template <class M>
  TS_HD typename M::V Gradient(const M& m, typename M::V x, typename M::V y,
                               typename M::V dy) const {
    return m.Select(m.Gt(x, m.Zero()), dy, m.Mul(dy, m.Add(y, m.Set(alpha))));
  }
};
