#include "datasets/resize.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace tessera::datasets {
namespace {

struct Tap {
  int64_t lo, hi;
  float frac;  // weight of hi
};

// Source taps for each output coordinate: src = (dst + 0.5) * in/out - 0.5.
std::vector<Tap> Taps(int64_t in, int64_t out) {
  std::vector<Tap> taps(out);
  const double scale = static_cast<double>(in) / out;
  for (int64_t i = 0; i < out; ++i) {
    const double src = std::max(0.0, (i + 0.5) * scale - 0.5);
    const int64_t lo = std::min<int64_t>(static_cast<int64_t>(std::floor(src)), in - 1);
    taps[i] = {lo, std::min(lo + 1, in - 1), static_cast<float>(src - lo)};
  }
  return taps;
}

}  // namespace

void ResizeBilinear(const float* in, int64_t count, int64_t channels, int64_t in_h, int64_t in_w,
                    float* out, int64_t out_h, int64_t out_w) {
  const std::vector<Tap> ty = Taps(in_h, out_h), tx = Taps(in_w, out_w);
  for (int64_t p = 0; p < count * channels; ++p) {
    const float* src = in + p * in_h * in_w;
    float* dst = out + p * out_h * out_w;
    for (int64_t y = 0; y < out_h; ++y) {
      const float* r0 = src + ty[y].lo * in_w;
      const float* r1 = src + ty[y].hi * in_w;
      const float fy = ty[y].frac;
      for (int64_t x = 0; x < out_w; ++x) {
        const float fx = tx[x].frac;
        const float top = r0[tx[x].lo] + fx * (r0[tx[x].hi] - r0[tx[x].lo]);
        const float bottom = r1[tx[x].lo] + fx * (r1[tx[x].hi] - r1[tx[x].lo]);
        dst[y * out_w + x] = top + fy * (bottom - top);
      }
    }
  }
}

}  // namespace tessera::datasets
