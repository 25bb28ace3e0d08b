#ifndef TESSERA_OPS_RESIZE2D_RESIZE_ROWS_H_
#define TESSERA_OPS_RESIZE2D_RESIZE_ROWS_H_

#include <cstdint>

namespace tessera {
namespace resize2d {

// The rows of resize2d's kernels, in double as ForwardAt and GradientAt
// compute them (a product, then a sum: the same roundings), Highway over the
// columns.

// row[j] = sum over b < min(taps, count[j]) of weight[b * n + j] *
// x[index[b * n + j]], added from b = 0 on, for j < n: one row resized
// along W (the forward's column taps, or the gradient's readers of each
// input column). Slots past a cell's count add nothing (not even 0 times
// x, which could be NaN). The cells come in blocks of kRowPadding: where
// base[block] >= 0, every index of the block lies in [base, base + 16) and
// the block loads x there and permutes it, else it gathers; x must be
// readable up to base + 16.
void GatherRow(const float* x, const int32_t* index, const double* weight, const int32_t* count,
               const int32_t* base, int taps, int64_t n, double* row);

// out[j] = float(sum over k < count of weight[k] * rows[k][j]), added from
// k = 0 on, for j < n: one output row from the rows resized along W. The
// rows must be readable up to n rounded up to kRowPadding: the last partial
// vector is computed whole (the same arithmetic as every other lane).
void CombineRows(const double* const* rows, const double* weight, int64_t count, int64_t n,
                 float* out);

// A multiple of every target's double lane count: rows of doubles padded to
// it have no partial vector.
constexpr int64_t kRowPadding = 8;

}  // namespace resize2d
}  // namespace tessera

#endif  // TESSERA_OPS_RESIZE2D_RESIZE_ROWS_H_
