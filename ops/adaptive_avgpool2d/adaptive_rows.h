#ifndef TESSERA_OPS_ADAPTIVE_AVGPOOL2D_ADAPTIVE_ROWS_H_
#define TESSERA_OPS_ADAPTIVE_AVGPOOL2D_ADAPTIVE_ROWS_H_

#include <cstdint>

namespace tessera {
namespace adaptive {

// out[j] = sum over r < rows of x[r * w + j], for j < w, rows added in
// order (the column sums of a window's rows). rows >= 1.
void SumRows(const float* x, int64_t rows, int64_t w, float* out);

// dst[j] += src[j] for j < n.
void AddTo(const float* src, int64_t n, float* dst);

}  // namespace adaptive
}  // namespace tessera

#endif  // TESSERA_OPS_ADAPTIVE_AVGPOOL2D_ADAPTIVE_ROWS_H_
