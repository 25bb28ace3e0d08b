#ifndef TESSERA_OPS_AVGPOOL2D_AVG_ROWS_H_
#define TESSERA_OPS_AVGPOOL2D_AVG_ROWS_H_

#include <cstdint>

namespace tessera {
namespace pool {

// Column sums over a window of rows, window sums along a row and adding a
// row to rows are simd::SumRows and simd::AddTo (ops/common/rows.h).

// y[j] = (padded[j * sw] + ... + padded[j * sw + kw - 1]) / divisor[j] for
// j in [0, ow): one output row of average pooling, `padded` being the
// column sums with the left padding in front and zeros past the end (it is
// read up to index (ow - 1) * sw + kw, one float past the last window).
void PoolRow(const float* padded, int64_t kw, int64_t sw, int64_t ow, const float* divisor,
             float* y);

// share[j] = g[j] / divisor[j] for j in [0, n).
void DivideRow(const float* g, const float* divisor, int64_t n, float* share);

}  // namespace pool
}  // namespace tessera

#endif  // TESSERA_OPS_AVGPOOL2D_AVG_ROWS_H_
