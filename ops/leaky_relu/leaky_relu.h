// leaky_relu's math for the CPU (SIMD) and the GPU: y = x for x > 0,
// negative_slope * x otherwise (PyTorch's nn.LeakyReLU). The gradient is 1
// for x > 0 and negative_slope for x <= 0 (at exactly 0 PyTorch also takes
// the slope).
//
// A functor fragment (ops/common/elementwise.h): included inside a namespace,
// once per SIMD target and once for CUDA, so it has no includes or guard.
struct LeakyReluFunctor {
  static constexpr int kGradientUses = kUsesInput;
  float slope = 0.01f;
  LeakyReluFunctor() = default;
  template <class A>
  explicit LeakyReluFunctor(const A& attrs) : slope(attrs.GetFloat("negative_slope")) {}

  template <class M>
  TS_HD typename M::V Forward(const M& m, typename M::V x) const {
    return m.Mul(m.Select(m.Gt(x, m.Zero()), m.Set(1.0f), m.Set(slope)), x);
  }
  template <class M>
  TS_HD typename M::V Gradient(const M& m, typename M::V x, typename M::V /*y*/,
                               typename M::V dy) const {
    return m.Mul(m.Select(m.Gt(x, m.Zero()), m.Set(1.0f), m.Set(slope)), dy);
  }
};
