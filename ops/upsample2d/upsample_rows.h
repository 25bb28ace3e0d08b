#ifndef TESSERA_OPS_UPSAMPLE2D_UPSAMPLE_ROWS_H_
#define TESSERA_OPS_UPSAMPLE2D_UPSAMPLE_ROWS_H_

#include <cstdint>

namespace tessera {
namespace upsample {

// y[j] = x[j / sw] for j in [0, w * sw): one row of nearest upsampling.
void ReplicateRow(const float* x, int64_t w, int64_t sw, float* y);

// dx[c] = row[c * sw] + row[c * sw + 1] + ... + row[c * sw + sw - 1] for c
// in [0, ow / sw): the nearest gradient of one input row along W, from the
// column sums (simd::SumRows) of its sh output rows.
void SumRuns(const float* row, int64_t ow, int64_t sw, float* dx);

// out[j] = w0[j] * x[i0[j]] + w1[j] * x[i1[j]] for j in [0, n).
void GatherLerp(const float* x, const int32_t* i0, const int32_t* i1, const float* w0,
                const float* w1, int64_t n, float* out);

// out[j] = wa * a[j] + wb * b[j] for j in [0, n).
void Blend(const float* a, float wa, const float* b, float wb, int64_t n, float* out);

// y[j] += alpha * x[j] for j in [0, n).
void AddScaled(float alpha, const float* x, int64_t n, float* y);

}  // namespace upsample
}  // namespace tessera

#endif  // TESSERA_OPS_UPSAMPLE2D_UPSAMPLE_ROWS_H_
