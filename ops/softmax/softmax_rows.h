#ifndef TESSERA_OPS_SOFTMAX_SOFTMAX_ROWS_H_
#define TESSERA_OPS_SOFTMAX_SOFTMAX_ROWS_H_

#include <cstdint>

namespace tessera {
namespace softmax {

// y = exp(x - max) / sum(exp(x - max)) over n contiguous floats (n >= 1).
void ForwardRow(const float* x, float* y, int64_t n);

// dx = y * (dy - sum(dy * y)) over n contiguous floats.
void GradientRow(const float* y, const float* dy, float* dx, int64_t n);

}  // namespace softmax
}  // namespace tessera

#endif  // TESSERA_OPS_SOFTMAX_SOFTMAX_ROWS_H_
