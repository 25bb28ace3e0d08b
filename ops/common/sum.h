#ifndef TESSERA_OPS_COMMON_SUM_H_
#define TESSERA_OPS_COMMON_SUM_H_

#include <cstdint>

namespace tessera {
namespace simd {

// Returns the sum of src[0, n) and, when dst is not null, copies src to dst
// in the same pass (bias_add's gradient reads dy once for dx and dbias;
// avgpool2d's global pooling only sums).
// Highway SIMD with a fixed order of additions for a given n: the result
// does not depend on the thread that calls it.
float CopyAndSum(const float* src, float* dst, int64_t n);

// sums[k] = the sum of src[k * n, (k + 1) * n) for k in [0, count), each
// added in the same order as CopyAndSum(src + k * n, nullptr, n): one call
// for many small planes (global pooling of 7x7 images).
void SumEach(const float* src, int64_t count, int64_t n, float* sums);

}  // namespace simd
}  // namespace tessera

#endif  // TESSERA_OPS_COMMON_SUM_H_
