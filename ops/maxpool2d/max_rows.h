#ifndef TESSERA_OPS_MAXPOOL2D_MAX_ROWS_H_
#define TESSERA_OPS_MAXPOOL2D_MAX_ROWS_H_

#include <cstdint>

namespace tessera {
namespace pool {

// One output row of max pooling over windows that lie wholly inside the
// image's columns: for j in [j0, j1),
//   y[j]  = max over r in [h0, h1), s in [0, kw) of plane[r * w + j * sw - pw + s]
//   at[j] = the index r * w + j * sw - pw + s of that maximum, as a float,
// visiting r then s in order, a later value winning only when strictly
// greater or NaN (the first maximum wins ties; NaN propagates). Highway
// SIMD across j for strides 1 and 2; reads nothing outside the rows
// [h0, h1) of the plane.
void MaxPoolRow(const float* plane, int64_t w, int64_t h0, int64_t h1, int64_t kw, int64_t sw,
                int64_t pw, int64_t j0, int64_t j1, float* y, float* at);

}  // namespace pool
}  // namespace tessera

#endif  // TESSERA_OPS_MAXPOOL2D_MAX_ROWS_H_
