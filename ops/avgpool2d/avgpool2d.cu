// avgpool2d's CUDA kernels; registered for Device::kCuda in avgpool2d.cc.
//
// Geometry as in ops/common/pool.h and the CPU's WindowAt: output (i, j)
// starts at (i*sh - ph, j*sw - pw); its window is first clipped to the
// padded input (end at most h + ph, w + pw), which gives the divisor with
// count_include_pad, then to the input itself, which gives the cells summed
// (and the divisor without count_include_pad). The output size
// (pool::PooledSize, with its ceil_mode rule) comes from the host. Global
// pooling is the window kh = sh = H, kw = sw = W, no padding.
#include <cstdint>

#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

struct Geometry {
  int64_t planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw;
  bool count_include_pad;
};

// The CPU's ClippedWindow.
struct Window {
  int64_t h0, h1, w0, w1;
  float divisor;
};

__device__ Window WindowAt(const Geometry& g, int64_t i, int64_t j) {
  const int64_t h0 = i * g.sh - g.ph, w0 = j * g.sw - g.pw;
  const int64_t h1 = min(h0 + g.kh, g.h + g.ph), w1 = min(w0 + g.kw, g.w + g.pw);
  Window win{max(h0, int64_t{0}), min(h1, g.h), max(w0, int64_t{0}), min(w1, g.w), 0.0f};
  win.divisor = static_cast<float>(g.count_include_pad ? (h1 - h0) * (w1 - w0)
                                                       : (win.h1 - win.h0) * (win.w1 - win.w0));
  return win;
}

// One thread per output: the window's sum in the CPU's order, then / divisor.
__global__ void AvgPoolForwardKernel(const float* x, float* y, Geometry g) {
  const int64_t n = g.planes * g.oh * g.ow;
  for (int64_t o : GridStride{n}) {
    const int64_t j = o % g.ow, i = (o / g.ow) % g.oh, c = o / (g.ow * g.oh);
    const float* xc = x + c * g.h * g.w;
    const Window win = WindowAt(g, i, j);
    float sum = 0.0f;
    for (int64_t r = win.h0; r < win.h1; ++r) {
      for (int64_t s = win.w0; s < win.w1; ++s) sum += xc[r * g.w + s];
    }
    y[o] = sum / win.divisor;
  }
}

// One thread per input cell (r, s), gathering dy / divisor from every output
// whose window covers it: deterministic, no atomics, and in increasing
// (i, j), the order in which the CPU adds the shares. Output i covers row r
// (0 <= r < H) when i*sh - ph <= r < i*sh - ph + kh (clipping to the input
// does not change that), i.e. ceil((r + ph - kh + 1) / sh) <= i <=
// floor((r + ph) / sh).
__global__ void AvgPoolGradientKernel(const float* dy, float* dx, Geometry g) {
  const int64_t n = g.planes * g.h * g.w;
  for (int64_t e : GridStride{n}) {
    const int64_t s = e % g.w, r = (e / g.w) % g.h, c = e / (g.w * g.h);
    const int64_t num_i = r + g.ph - g.kh + 1, num_j = s + g.pw - g.kw + 1;
    const int64_t i0 = num_i > 0 ? (num_i + g.sh - 1) / g.sh : 0;
    const int64_t i1 = min((r + g.ph) / g.sh, g.oh - 1);
    const int64_t j0 = num_j > 0 ? (num_j + g.sw - 1) / g.sw : 0;
    const int64_t j1 = min((s + g.pw) / g.sw, g.ow - 1);
    const float* gc = dy + c * g.oh * g.ow;
    float sum = 0.0f;
    for (int64_t i = i0; i <= i1; ++i) {
      for (int64_t j = j0; j <= j1; ++j) sum += gc[i * g.ow + j] / WindowAt(g, i, j).divisor;
    }
    dx[e] = sum;
  }
}

}  // namespace

void AvgPoolForward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int64_t oh,
                    int64_t ow, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                    int64_t pw, bool count_include_pad, cudaStream_t stream) {
  const Geometry g{planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, count_include_pad};
  AvgPoolForwardKernel<<<BlocksFor(planes * oh * ow), kThreadsPerBlock, 0, stream>>>(x, y, g);
}

void AvgPoolGradient(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int64_t oh,
                     int64_t ow, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                     int64_t pw, bool count_include_pad, cudaStream_t stream) {
  const Geometry g{planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, count_include_pad};
  AvgPoolGradientKernel<<<BlocksFor(planes * h * w), kThreadsPerBlock, 0, stream>>>(dy, dx, g);
}

}  // namespace cuda
}  // namespace tessera
