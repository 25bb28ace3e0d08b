#ifndef TESSERA_OPS_RESIZE2D_RESIZE_ROWS_H_
#define TESSERA_OPS_RESIZE2D_RESIZE_ROWS_H_

#include <cstdint>

namespace tessera {
namespace resize2d {

// The rows of resize2d's forward, in double as ForwardAt computes them
// (a product, then a sum: the same roundings), Highway over the columns.

// row[j] = sum over b < taps of weight[b * n + j] * x[index[b * n + j]],
// added from b = 0 on, for j < n: the column taps of one input row.
void GatherRow(const float* x, const int32_t* index, const double* weight, int taps, int64_t n,
               double* row);

// acc[j] += w * row[j] for j < n.
void AddScaledRow(double w, const double* row, int64_t n, double* acc);

// out[j] = float(acc[j]) for j < n.
void DemoteRow(const double* acc, int64_t n, float* out);

}  // namespace resize2d
}  // namespace tessera

#endif  // TESSERA_OPS_RESIZE2D_RESIZE_ROWS_H_
