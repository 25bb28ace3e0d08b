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

// "[64,1,28,28]".
std::string ShapeToString(const Shape& shape);

}  // namespace tessera

#endif  // TESSERA_CORE_SHAPE_H_
