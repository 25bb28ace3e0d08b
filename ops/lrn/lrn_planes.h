#ifndef TESSERA_OPS_LRN_LRN_PLANES_H_
#define TESSERA_OPS_LRN_LRN_PLANES_H_

#include <cstdint>

namespace tessera {
namespace lrn {

// One channel plane of n elements of the forward: with acc the sum of
// window[0][i]^2, ..., window[count - 1][i]^2 added in that order,
//   s[i] = k + alpha_over_size * acc,   y[i] = x[i] * s[i]^-beta.
void ForwardPlane(const float* const* window, int64_t count, const float* x, float* s, float* y,
                  int64_t n, float k, float alpha_over_size, float beta);

// t[i] = dy[i] * y[i] / s[i].
void GradientRatio(const float* dy, const float* y, const float* s, float* t, int64_t n);

// One channel plane of the gradient, with acc the sum of window[.][i] in order:
//   dx[i] = dy[i] * s[i]^-beta - coeff * x[i] * acc.
void GradientPlane(const float* const* window, int64_t count, const float* x, const float* s,
                   const float* dy, float* dx, int64_t n, float beta, float coeff);

}  // namespace lrn
}  // namespace tessera

#endif  // TESSERA_OPS_LRN_LRN_PLANES_H_
