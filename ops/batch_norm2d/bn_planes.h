#ifndef TESSERA_OPS_BATCH_NORM2D_BN_PLANES_H_
#define TESSERA_OPS_BATCH_NORM2D_BN_PLANES_H_

#include <cstdint>

namespace tessera {
namespace batch_norm {

// Highway kernels over one (n, c) plane of n floats. Sums are in double, in
// a fixed order for a given n (reproducible whatever thread calls them).

// The sum of x[0, n).
double Sum(const float* x, int64_t n);

// The sum of (x[i] - mean)^2, the difference taken in double.
double SumSquaredDeviation(const float* x, double mean, int64_t n);

// Adds sum(dy) to *sum_dy and sum(dy * (x - mean) * inv_std) to
// *sum_dy_xhat ((x - mean) in float, as the GPU kernel computes it).
void AddGradientSums(const float* dy, const float* x, float mean, float inv_std, int64_t n,
                     double* sum_dy, double* sum_dy_xhat);

// Training gradient: with c = x - mean and xhat = c * inv_std,
// dx = scale * (dy - mean_dy - xhat * mean_dy_xhat) + via_mean + via_var * c.
struct DxTerms {
  float mean, inv_std, scale, mean_dy, mean_dy_xhat, via_mean, via_var;
};
void TrainingDx(const float* dy, const float* x, const DxTerms& t, float* dx, int64_t n);

}  // namespace batch_norm
}  // namespace tessera

#endif  // TESSERA_OPS_BATCH_NORM2D_BN_PLANES_H_
