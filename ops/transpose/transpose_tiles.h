#ifndef TESSERA_OPS_TRANSPOSE_TRANSPOSE_TILES_H_
#define TESSERA_OPS_TRANSPOSE_TRANSPOSE_TILES_H_

#include <cstdint>

namespace tessera {
namespace transpose {

// dst[a * dst_stride + b] = src[b * src_stride + a] for a < rows, b < cols:
// one 2-D transpose, in 4x4 register tiles (Highway) inside cache blocks.
void Transpose2D(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows,
                 int64_t cols);

}  // namespace transpose
}  // namespace tessera

#endif  // TESSERA_OPS_TRANSPOSE_TRANSPOSE_TILES_H_
