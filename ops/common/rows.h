#ifndef TESSERA_OPS_COMMON_ROWS_H_
#define TESSERA_OPS_COMMON_ROWS_H_

#include <cstdint>

namespace tessera {
namespace simd {

// Highway loops over one row of floats, for ops whose rows are contiguous.

// dst[i] = src[i] for i in [0, n): Highway loads and stores (transpose's
// runs, pad2d's and concat's rows). The ranges must not overlap.
void Copy(const float* src, float* dst, int64_t n);

// Copy of `rows` rows of n floats, row r from src + r * src_stride to
// dst + r * dst_stride, in one dispatched call (pad2d's rows of ~60 floats
// paid a call per row). No source row may overlap a destination row.
void CopyRows(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows,
              int64_t n);

// dst[i] = value for i in [0, n) (pad2d's constant cells).
void Fill(float value, float* dst, int64_t n);

// y[i] = x[i] * scale + shift for i in [0, n), one rounding (a fused
// multiply-add where the target has one): bias_add (scale 1, exact) and
// batch_norm2d's normalization. y may alias x.
void ScaleShift(const float* x, float scale, float shift, float* y, int64_t n);

// out[j] = x[j] + x[stride + j] + ... + x[(rows - 1) * stride + j] for j in
// [0, n), added in that order: the column sums of `rows` rows `stride`
// apart (adaptive_avgpool2d's and avgpool2d's windows, upsample2d's
// nearest gradient), or with stride 1 the sums of n windows of `rows`
// (avgpool2d's gradient). rows >= 1.
void SumRows(const float* x, int64_t rows, int64_t stride, int64_t n, float* out);

// dst[j] += src[j] for j in [0, n): the pooling gradients' spreading of one
// row of shares over the rows of a window.
void AddTo(const float* src, int64_t n, float* dst);

// out[j] = a[j] * b[j] for j in [0, n) (dropout's gradient). out may alias a
// or b.
void Multiply(const float* a, const float* b, int64_t n, float* out);

}  // namespace simd
}  // namespace tessera

#endif  // TESSERA_OPS_COMMON_ROWS_H_
