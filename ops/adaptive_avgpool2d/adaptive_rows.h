#ifndef TESSERA_OPS_ADAPTIVE_AVGPOOL2D_ADAPTIVE_ROWS_H_
#define TESSERA_OPS_ADAPTIVE_AVGPOOL2D_ADAPTIVE_ROWS_H_

#include <cstdint>

namespace tessera {
namespace adaptive {

// dst[j] += src[j] for j < n.
void AddTo(const float* src, int64_t n, float* dst);

}  // namespace adaptive
}  // namespace tessera

#endif  // TESSERA_OPS_ADAPTIVE_AVGPOOL2D_ADAPTIVE_ROWS_H_
