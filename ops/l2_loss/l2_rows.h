#ifndef TESSERA_OPS_L2_LOSS_L2_ROWS_H_
#define TESSERA_OPS_L2_LOSS_L2_ROWS_H_

#include <cstdint>

namespace tessera {
namespace l2 {

// The sum of (double(y[i]) - t[i])^2 over [0, n), in double, in a fixed
// order for a given n (Highway).
double SumSquaredDifference(const float* y, const float* t, int64_t n);

// g = scale * (y - t): dy = g and dt = -g, either null when not wanted.
void ScaledDifference(const float* y, const float* t, float scale, float* dy, float* dt, int64_t n);

}  // namespace l2
}  // namespace tessera

#endif  // TESSERA_OPS_L2_LOSS_L2_ROWS_H_
