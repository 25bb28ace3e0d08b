#ifndef TESSERA_OPS_AVGPOOL2D_AVG_ROWS_H_
#define TESSERA_OPS_AVGPOOL2D_AVG_ROWS_H_

#include <cstdint>

namespace tessera {
namespace pool {

// row[0, w) = plane row h0 + ... + plane row h1 - 1 (added in that order);
// h1 > h0.
void SumRows(const float* plane, int64_t w, int64_t h0, int64_t h1, float* row);

// plane rows h0 .. h1 - 1 each += row[0, w).
void AddRowToRows(const float* row, float* plane, int64_t w, int64_t h0, int64_t h1);

// y[j] = (padded[j * sw] + ... + padded[j * sw + kw - 1]) / divisor[j] for
// j in [0, ow): one output row of average pooling, `padded` being the
// column sums with the left padding in front and zeros past the end (it is
// read up to index (ow - 1) * sw + kw, one float past the last window).
void PoolRow(const float* padded, int64_t kw, int64_t sw, int64_t ow, const float* divisor,
             float* y);

// share[j] = g[j] / divisor[j] for j in [0, n).
void DivideRow(const float* g, const float* divisor, int64_t n, float* share);

// out[q] = z[q] + z[q + 1] + ... + z[q + kw - 1] for q in [0, n).
void WindowSums(const float* z, int64_t kw, int64_t n, float* out);

}  // namespace pool
}  // namespace tessera

#endif  // TESSERA_OPS_AVGPOOL2D_AVG_ROWS_H_
