#ifndef TESSERA_OPS_SOFTMAX_CROSS_ENTROPY_SCE_ROWS_H_
#define TESSERA_OPS_SOFTMAX_CROSS_ENTROPY_SCE_ROWS_H_

#include <cstdint>

namespace tessera {
namespace sce {

// The largest of z[0, n), n >= 1 (Highway).
float MaxOf(const float* z, int64_t n);

// p[c] = exp(z[c] - max) (Highway's Exp) for c < n; returns the sum of the
// p[c] in double, in a fixed order for a given n.
double ExpAndSum(const float* z, float max, float* p, int64_t n);

}  // namespace sce
}  // namespace tessera

#endif  // TESSERA_OPS_SOFTMAX_CROSS_ENTROPY_SCE_ROWS_H_
