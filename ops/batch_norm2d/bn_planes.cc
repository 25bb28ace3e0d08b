#include "ops/batch_norm2d/bn_planes.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/batch_norm2d/bn_planes.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// After foreach_target.h: compiled once per target.
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace batch_norm {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Doubles, and the half-width vector of floats that promotes to them.
using DD = hn::ScalableTag<double>;
using DF = hn::Rebind<float, DD>;

double SumImpl(const float* x, int64_t n) {
  const DD dd;
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  auto s0 = hn::Zero(dd), s1 = hn::Zero(dd);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    s0 = hn::Add(s0, hn::PromoteTo(dd, hn::LoadU(df, x + i)));
    s1 = hn::Add(s1, hn::PromoteTo(dd, hn::LoadU(df, x + i + lanes)));
  }
  double sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(s0, s1)));
  for (; i < n; ++i) sum += x[i];
  return sum;
}

double SumSquaredDeviationImpl(const float* x, double mean, int64_t n) {
  const DD dd;
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  const auto m = hn::Set(dd, mean);
  auto s0 = hn::Zero(dd), s1 = hn::Zero(dd);
  int64_t i = 0;
  for (; i + 2 * lanes <= n; i += 2 * lanes) {
    const auto d0 = hn::Sub(hn::PromoteTo(dd, hn::LoadU(df, x + i)), m);
    const auto d1 = hn::Sub(hn::PromoteTo(dd, hn::LoadU(df, x + i + lanes)), m);
    s0 = hn::MulAdd(d0, d0, s0);
    s1 = hn::MulAdd(d1, d1, s1);
  }
  double sum = hn::GetLane(hn::SumOfLanes(dd, hn::Add(s0, s1)));
  for (; i < n; ++i) sum += (x[i] - mean) * (x[i] - mean);
  return sum;
}

void AddGradientSumsImpl(const float* dy, const float* x, float mean, float inv_std, int64_t n,
                         double* sum_dy, double* sum_dy_xhat) {
  const DD dd;
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(dd));
  const auto m = hn::Set(df, mean);
  const auto inv = hn::Set(dd, static_cast<double>(inv_std));
  // Four chains per sum: with one, the latency of the dependent adds (4
  // cycles an FMA) bounded the loop at 2 floats a cycle, below what the
  // caches deliver (batch_norm2d's gradient was 0.94x PyTorch's).
  auto a0 = hn::Zero(dd), a1 = hn::Zero(dd), a2 = hn::Zero(dd), a3 = hn::Zero(dd);
  auto b0 = hn::Zero(dd), b1 = hn::Zero(dd), b2 = hn::Zero(dd), b3 = hn::Zero(dd);
  auto step = [&](int64_t at, decltype(a0)& a, decltype(b0)& b) HWY_ATTR {
    const auto g = hn::PromoteTo(dd, hn::LoadU(df, dy + at));
    const auto c = hn::PromoteTo(dd, hn::Sub(hn::LoadU(df, x + at), m));
    a = hn::Add(a, g);
    b = hn::MulAdd(hn::Mul(g, c), inv, b);
  };
  int64_t i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    step(i, a0, b0);
    step(i + lanes, a1, b1);
    step(i + 2 * lanes, a2, b2);
    step(i + 3 * lanes, a3, b3);
  }
  for (; i + lanes <= n; i += lanes) step(i, a0, b0);
  const auto a = hn::Add(hn::Add(a0, a1), hn::Add(a2, a3));
  const auto b = hn::Add(hn::Add(b0, b1), hn::Add(b2, b3));
  double s = hn::GetLane(hn::SumOfLanes(dd, a)), t = hn::GetLane(hn::SumOfLanes(dd, b));
  for (; i < n; ++i) {
    s += dy[i];
    t += double(dy[i]) * (x[i] - mean) * inv_std;
  }
  *sum_dy += s;
  *sum_dy_xhat += t;
}

void TrainingDxImpl(const float* dy, const float* x, const DxTerms& t, float* dx, int64_t n) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(d));
  const auto mean = hn::Set(d, t.mean), inv = hn::Set(d, t.inv_std), scale = hn::Set(d, t.scale);
  const auto mean_dy = hn::Set(d, t.mean_dy), mean_dy_xhat = hn::Set(d, t.mean_dy_xhat);
  const auto via_mean = hn::Set(d, t.via_mean), via_var = hn::Set(d, t.via_var);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    const auto c = hn::Sub(hn::LoadU(d, x + i), mean);
    const auto xhat = hn::Mul(c, inv);
    const auto g = hn::NegMulAdd(xhat, mean_dy_xhat, hn::Sub(hn::LoadU(d, dy + i), mean_dy));
    hn::StoreU(hn::MulAdd(scale, g, hn::MulAdd(via_var, c, via_mean)), d, dx + i);
  }
  for (; i < n; ++i) {
    const float c = x[i] - t.mean;
    const float xhat = c * t.inv_std;
    dx[i] = t.scale * (dy[i] - t.mean_dy - xhat * t.mean_dy_xhat) + t.via_mean + t.via_var * c;
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace batch_norm
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace batch_norm {

HWY_EXPORT(SumImpl);
HWY_EXPORT(SumSquaredDeviationImpl);
HWY_EXPORT(AddGradientSumsImpl);
HWY_EXPORT(TrainingDxImpl);

double Sum(const float* x, int64_t n) { return HWY_DYNAMIC_DISPATCH(SumImpl)(x, n); }

double SumSquaredDeviation(const float* x, double mean, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(SumSquaredDeviationImpl)(x, mean, n);
}

void AddGradientSums(const float* dy, const float* x, float mean, float inv_std, int64_t n,
                     double* sum_dy, double* sum_dy_xhat) {
  HWY_DYNAMIC_DISPATCH(AddGradientSumsImpl)(dy, x, mean, inv_std, n, sum_dy, sum_dy_xhat);
}

void TrainingDx(const float* dy, const float* x, const DxTerms& t, float* dx, int64_t n) {
  HWY_DYNAMIC_DISPATCH(TrainingDxImpl)(dy, x, t, dx, n);
}

}  // namespace batch_norm
}  // namespace tessera
#endif  // HWY_ONCE
