#ifndef TESSERA_CORE_SHAPE_H_
#define TESSERA_CORE_SHAPE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace tessera {

// Dimensions, outermost first (NCHW for images). A scalar has no dimensions.
using Shape = std::vector<int64_t>;

inline int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// Limits on what a graph may declare, so that shape arithmetic in int64
// cannot overflow: a dimension or integer attribute is at most 2^31, and a
// value at most 2^40 elements.
inline constexpr int64_t kMaxDimension = int64_t{1} << 31;
inline constexpr int64_t kMaxElements = int64_t{1} << 40;

// NumElements, or -1 when a dimension is negative or above kMaxDimension, or
// the product exceeds kMaxElements.
inline int64_t CheckedNumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || d > kMaxDimension) return -1;
    if (d != 0 && n > kMaxElements / d) return -1;
    n *= d;
  }
  return n;
}

// "[64,1,28,28]".
std::string ShapeToString(const Shape& shape);

}  // namespace tessera

#endif  // TESSERA_CORE_SHAPE_H_
