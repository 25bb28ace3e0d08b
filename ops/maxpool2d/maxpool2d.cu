// maxpool2d's CUDA kernels; registered for Device::kCuda in maxpool2d.cc.
//
// Geometry as in ops/common/pool.h and the CPU kernel: output (i, j) of a
// plane looks at rows i*sh - ph + a*dh (0 <= a < kh) and columns
// j*sw - pw + b*dw (0 <= b < kw), those inside the input (padding is -inf
// and never wins); undilated (dh = dw = 1), the window
// [i*sh - ph, i*sh - ph + kh) x [j*sw - pw, j*sw - pw + kw) clipped. The output size
// (pool::PooledSize, with its ceil_mode rule) comes from the host, which has already inferred the
// output shape.
#include <cstdint>

#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

struct Geometry {
  int64_t planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
};

// One thread per output. The scan order (row-major over the clipped window)
// and the comparison are the CPU's: strictly greater, so the first maximum
// wins ties, and a NaN wins and stays (a later NaN takes over, as on the
// CPU). The argmax is h * W + w within the plane, stored as a float.
__global__ void MaxPoolForwardKernel(const float* x, float* y, float* argmax, Geometry g) {
  const int64_t n = g.planes * g.oh * g.ow;
  for (int64_t o : GridStride{n}) {
    const int64_t j = o % g.ow, i = (o / g.ow) % g.oh, c = o / (g.ow * g.oh);
    const float* xc = x + c * g.h * g.w;
    // The first window cells inside the input, rows and columns.
    const int64_t top = i * g.sh - g.ph, left = j * g.sw - g.pw;
    const int64_t a0 = top < 0 ? (-top + g.dh - 1) / g.dh : 0;
    const int64_t b0 = left < 0 ? (-left + g.dw - 1) / g.dw : 0;
    const int64_t h0 = top + a0 * g.dh, w0 = left + b0 * g.dw;
    const int64_t h1 = min(top + (g.kh - 1) * g.dh + 1, g.h);
    const int64_t w1 = min(left + (g.kw - 1) * g.dw + 1, g.w);
    float best = -INFINITY;
    int64_t best_at = h0 * g.w + w0;
    for (int64_t r = h0; r < h1; r += g.dh) {
      for (int64_t s = w0; s < w1; s += g.dw) {
        const float v = xc[r * g.w + s];
        if (v > best || isnan(v)) {
          best = v;
          best_at = r * g.w + s;
        }
      }
    }
    y[o] = best;
    argmax[o] = static_cast<float>(best_at);
  }
}

// One thread per input cell (r, s), gathering dy from the outputs whose
// window covers it and whose argmax is this cell: deterministic, no atomics.
// Outputs are visited in increasing (i, j), the order in which the CPU adds
// them, so the sums agree bit for bit. Output i covers row r when
// i*sh - ph <= r < i*sh - ph + kh, i.e.
// ceil((r + ph - kh + 1) / sh) <= i <= floor((r + ph) / sh). With a
// dilation the host passes the window's span as kh, kw: the argmax test
// leaves out the cells between the window's.
__global__ void MaxPoolGradientKernel(const float* dy, const float* argmax, float* dx, Geometry g) {
  const int64_t n = g.planes * g.h * g.w;
  for (int64_t e : GridStride{n}) {
    const int64_t s = e % g.w, r = (e / g.w) % g.h, c = e / (g.w * g.h);
    const int64_t at = r * g.w + s;
    const int64_t num_i = r + g.ph - g.kh + 1, num_j = s + g.pw - g.kw + 1;
    const int64_t i0 = num_i > 0 ? (num_i + g.sh - 1) / g.sh : 0;
    const int64_t i1 = min((r + g.ph) / g.sh, g.oh - 1);
    const int64_t j0 = num_j > 0 ? (num_j + g.sw - 1) / g.sw : 0;
    const int64_t j1 = min((s + g.pw) / g.sw, g.ow - 1);
    const float* gc = dy + c * g.oh * g.ow;
    const float* ic = argmax + c * g.oh * g.ow;
    float sum = 0.0f;
    for (int64_t i = i0; i <= i1; ++i) {
      for (int64_t j = j0; j <= j1; ++j) {
        const int64_t o = i * g.ow + j;
        if (static_cast<int64_t>(ic[o]) == at) sum += gc[o];
      }
    }
    dx[e] = sum;
  }
}

// The indices output from the argmax: layout 0 plane (as is), 1 flat
// (plane offset + h * W + w), 2 flat column-major (offset + w * H + h).
__global__ void MaxPoolIndicesKernel(const float* argmax, float* indices, int64_t n, int64_t h,
                                     int64_t w, int64_t ohw, int layout) {
  for (int64_t o : GridStride{n}) {
    const int64_t at = static_cast<int64_t>(argmax[o]);
    const int64_t base = layout == 0 ? 0 : o / ohw * h * w;
    const int64_t in_plane = layout == 2 ? at % w * h + at / w : at;
    indices[o] = static_cast<float>(base + in_plane);
  }
}

}  // namespace

void MaxPoolIndices(const float* argmax, float* indices, int64_t planes, int64_t h, int64_t w,
                    int64_t ohw, int layout, cudaStream_t stream) {
  const int64_t n = planes * ohw;
  if (n == 0) return;
  MaxPoolIndicesKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(argmax, indices, n, h, w, ohw,
                                                                      layout);
}

void MaxPoolForward(const float* x, float* y, float* argmax, int64_t planes, int64_t h, int64_t w,
                    int64_t oh, int64_t ow, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                    int64_t ph, int64_t pw, int64_t dh, int64_t dw, cudaStream_t stream) {
  const Geometry g{planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw};
  MaxPoolForwardKernel<<<BlocksFor(planes * oh * ow), kThreadsPerBlock, 0, stream>>>(x, y, argmax,
                                                                                     g);
}

void MaxPoolGradient(const float* dy, const float* argmax, float* dx, int64_t planes, int64_t h,
                     int64_t w, int64_t oh, int64_t ow, int64_t kh, int64_t kw, int64_t sh,
                     int64_t sw, int64_t ph, int64_t pw, cudaStream_t stream) {
  const Geometry g{planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, 1, 1};
  MaxPoolGradientKernel<<<BlocksFor(planes * h * w), kThreadsPerBlock, 0, stream>>>(dy, argmax, dx,
                                                                                    g);
}

}  // namespace cuda
}  // namespace tessera
