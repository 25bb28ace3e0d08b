// upsample2d's CUDA kernels; registered for Device::kCuda in upsample2d.cc.
//
// Images are planes (N * C of them) of h x w, upsampled to oh x ow =
// h * sh x w * sw. Every kernel writes each of its outputs from one thread,
// so nothing races and the results are deterministic. The gradients are
// gathers: each input pixel sums the output gradients that its forward value
// went into, in the order in which the CPU kernel's scatter adds them, and
// products and sums are rounded singly (__fmul_rn, __fadd_rn: no FMA
// contraction), as the CPU computes them.
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

// ---- nearest: y[i][j] = x[i / sh][j / sw] ----

__global__ void NearestForwardKernel(const float* x, float* y, int64_t n, int64_t h, int64_t w,
                                     int64_t sh, int64_t sw) {
  const int64_t oh = h * sh, ow = w * sw;
  for (int64_t idx : GridStride{n}) {
    const int64_t j = idx % ow;
    const int64_t i = (idx / ow) % oh;
    const int64_t c = idx / (ow * oh);
    y[idx] = x[(c * h + i / sh) * w + j / sw];
  }
}

// dx[p][q] = sum of dy over the sh x sw block it was copied to, row by row.
__global__ void NearestGradientKernel(const float* dy, float* dx, int64_t n, int64_t h, int64_t w,
                                      int64_t sh, int64_t sw) {
  const int64_t ow = w * sw;
  for (int64_t idx : GridStride{n}) {
    const int64_t q = idx % w;
    const int64_t p = (idx / w) % h;
    const int64_t c = idx / (w * h);
    const float* block = dy + ((c * h + p) * sh) * ow + q * sw;
    float sum = 0.0f;
    for (int64_t i = 0; i < sh; ++i) {
      for (int64_t j = 0; j < sw; ++j) sum = __fadd_rn(sum, block[i * ow + j]);
    }
    dx[idx] = sum;
  }
}

// ---- bilinear ----

// The two source rows (or columns) that output index dst mixes, and their
// weights: the CPU's BilinearTaps, in the same double arithmetic.
struct Tap {
  int64_t i0, i1;
  float w0, w1;
};

__device__ Tap BilinearTap(int64_t dst, int64_t in, int64_t scale, bool align_corners) {
  const int64_t out = in * scale;
  double src;
  if (align_corners) {
    src = out > 1 ? dst * static_cast<double>(in - 1) / (out - 1) : 0.0;
  } else {
    src = (dst + 0.5) / scale - 0.5;
    if (src < 0.0) src = 0.0;
  }
  Tap t;
  t.i0 = static_cast<int64_t>(src);
  if (t.i0 > in - 1) t.i0 = in - 1;
  const double frac = src - t.i0;
  t.i1 = t.i0 + 1 < in - 1 ? t.i0 + 1 : in - 1;
  t.w0 = static_cast<float>(1.0 - frac);
  t.w1 = static_cast<float>(frac);
  return t;
}

// The first output index whose i0 is at least `target` (out if none). i0 never
// decreases with the output index (src is monotonic, floor and min keep
// that), so a binary search finds it.
__device__ int64_t FirstTapAtLeast(int64_t target, int64_t in, int64_t scale, bool align_corners) {
  int64_t lo = 0, hi = in * scale;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (BilinearTap(mid, in, scale, align_corners).i0 >= target) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

// The taps of one axis, tabulated in 4 * out + 2 * in 32-bit words (see
// AxisTapsAt): for each output index its Tap; for each input index p the
// output indices [lo[p], hi[p]) that read it, those with i0 in {p - 1, p}
// (i1 = p needs i0 = p - 1 or i0 = p = in - 1; i0 < p - 1 gives i1 < p and
// i0 > p gives i1 > p).
struct AxisTaps {
  int* i0;
  int* i1;
  float* w0;
  float* w1;
  int* lo;
  int* hi;
};

AxisTaps AxisTapsAt(float* words, int64_t in, int64_t scale) {
  const int64_t out = in * scale;
  AxisTaps t;
  t.i0 = reinterpret_cast<int*>(words);
  t.i1 = t.i0 + out;
  t.w0 = words + 2 * out;
  t.w1 = words + 3 * out;
  t.lo = reinterpret_cast<int*>(words + 4 * out);
  t.hi = t.lo + in;
  return t;
}

__global__ void TapsKernel(int64_t in, int64_t scale, bool align_corners, AxisTaps t) {
  const int64_t out = in * scale;
  for (int64_t k : GridStride{out + in}) {
    if (k < out) {
      const Tap tap = BilinearTap(k, in, scale, align_corners);
      t.i0[k] = static_cast<int>(tap.i0);
      t.i1[k] = static_cast<int>(tap.i1);
      t.w0[k] = tap.w0;
      t.w1[k] = tap.w1;
    } else {
      const int64_t p = k - out;
      t.lo[p] = static_cast<int>(FirstTapAtLeast(p - 1, in, scale, align_corners));
      t.hi[p] = static_cast<int>(FirstTapAtLeast(p + 1, in, scale, align_corners));
    }
  }
}

// y[i][j] = wr0 (wc0 x[r0][c0] + wc1 x[r0][c1]) + wr1 (wc0 x[r1][c0] + wc1
// x[r1][c1]).
__global__ void BilinearForwardKernel(const float* x, float* y, int64_t n, int64_t h, int64_t w,
                                      int64_t oh, int64_t ow, AxisTaps rows, AxisTaps cols) {
  for (int64_t idx : GridStride{n}) {
    const int64_t j = idx % ow;
    const int64_t i = (idx / ow) % oh;
    const int64_t c = idx / (ow * oh);
    const float* xc = x + c * h * w;
    const float* r0 = xc + rows.i0[i] * w;
    const float* r1 = xc + rows.i1[i] * w;
    const int c0 = cols.i0[j], c1 = cols.i1[j];
    const float wc0 = cols.w0[j], wc1 = cols.w1[j];
    const float top = __fadd_rn(__fmul_rn(wc0, r0[c0]), __fmul_rn(wc1, r0[c1]));
    const float bottom = __fadd_rn(__fmul_rn(wc0, r1[c0]), __fmul_rn(wc1, r1[c1]));
    y[idx] = __fadd_rn(__fmul_rn(rows.w0[i], top), __fmul_rn(rows.w1[i], bottom));
  }
}

// dx[p][q]: over the output rows i and columns j that read it, in the CPU's
// order (i, then j, then its four terms r0/c0, r0/c1, r1/c0, r1/c1), the
// terms whose row and column are p and q.
__global__ void BilinearGradientKernel(const float* dy, float* dx, int64_t n, int64_t h, int64_t w,
                                       int64_t oh, int64_t ow, AxisTaps rows, AxisTaps cols) {
  for (int64_t idx : GridStride{n}) {
    const int64_t q = idx % w;
    const int64_t p = (idx / w) % h;
    const int64_t c = idx / (w * h);
    const float* g = dy + c * oh * ow;
    const int64_t i_end = rows.hi[p], j_begin = cols.lo[q], j_end = cols.hi[q];
    float sum = 0.0f;
    for (int64_t i = rows.lo[p]; i < i_end; ++i) {
      const bool top = rows.i0[i] == p, bottom = rows.i1[i] == p;
      const float wr0 = rows.w0[i], wr1 = rows.w1[i];
      const float* gr = g + i * ow;
      for (int64_t j = j_begin; j < j_end; ++j) {
        const bool left = cols.i0[j] == q, right = cols.i1[j] == q;
        const float g0 = __fmul_rn(wr0, gr[j]), g1 = __fmul_rn(wr1, gr[j]);
        const float wc0 = cols.w0[j], wc1 = cols.w1[j];
        if (top && left) sum = __fadd_rn(sum, __fmul_rn(wc0, g0));
        if (top && right) sum = __fadd_rn(sum, __fmul_rn(wc1, g0));
        if (bottom && left) sum = __fadd_rn(sum, __fmul_rn(wc0, g1));
        if (bottom && right) sum = __fadd_rn(sum, __fmul_rn(wc1, g1));
      }
    }
    dx[idx] = sum;
  }
}

// Fills both axes' tables in `taps` (UpsampleBilinearTapWords(h, sh) +
// UpsampleBilinearTapWords(w, sw) words) and returns them.
void MakeTaps(float* taps, int64_t h, int64_t w, int64_t sh, int64_t sw, bool align_corners,
              AxisTaps& rows, AxisTaps& cols, cudaStream_t stream) {
  rows = AxisTapsAt(taps, h, sh);
  cols = AxisTapsAt(taps + 4 * h * sh + 2 * h, w, sw);
  TapsKernel<<<BlocksFor(h * sh + h), kThreadsPerBlock, 0, stream>>>(h, sh, align_corners, rows);
  TapsKernel<<<BlocksFor(w * sw + w), kThreadsPerBlock, 0, stream>>>(w, sw, align_corners, cols);
}

}  // namespace

void UpsampleNearestForward(const float* x, float* y, int64_t planes, int64_t h, int64_t w,
                            int64_t sh, int64_t sw, cudaStream_t stream) {
  const int64_t n = planes * h * sh * w * sw;
  NearestForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, y, n, h, w, sh, sw);
}

void UpsampleNearestGradient(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w,
                             int64_t sh, int64_t sw, cudaStream_t stream) {
  const int64_t n = planes * h * w;
  NearestGradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(dy, dx, n, h, w, sh, sw);
}

int64_t UpsampleBilinearTapWords(int64_t in, int64_t scale) { return 4 * in * scale + 2 * in; }

void UpsampleBilinearForward(const float* x, float* y, int64_t planes, int64_t h, int64_t w,
                             int64_t sh, int64_t sw, bool align_corners, float* taps,
                             cudaStream_t stream) {
  AxisTaps rows, cols;
  MakeTaps(taps, h, w, sh, sw, align_corners, rows, cols, stream);
  const int64_t oh = h * sh, ow = w * sw, n = planes * oh * ow;
  BilinearForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, y, n, h, w, oh, ow, rows,
                                                                       cols);
}

void UpsampleBilinearGradient(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w,
                              int64_t sh, int64_t sw, bool align_corners, float* taps,
                              cudaStream_t stream) {
  AxisTaps rows, cols;
  MakeTaps(taps, h, w, sh, sw, align_corners, rows, cols, stream);
  const int64_t n = planes * h * w;
  BilinearGradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(dy, dx, n, h, w, h * sh,
                                                                        w * sw, rows, cols);
}

}  // namespace cuda
}  // namespace tessera
