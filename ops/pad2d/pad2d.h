// pad2d's index maps, shared by the CPU kernels (pad2d.cc) and the GPU
// kernels (pad2d.cu) so that both devices read and sum the same elements in
// the same order. Only <cstdint>: nvcc compiles this without Abseil.
#ifndef TESSERA_OPS_PAD2D_PAD2D_H_
#define TESSERA_OPS_PAD2D_PAD2D_H_

#include <cstdint>

#ifdef __CUDACC__
#define PAD2D_HD __host__ __device__ inline
#else
#define PAD2D_HD inline
#endif

namespace tessera {
namespace pad2d {

enum Mode : int { kConstant = 0, kReflect = 1, kEdge = 2 };

// The input index that output index `o` of an axis reads, with `begin`
// padded cells before the `in` input cells (negative: that many cropped);
// -1 for a constant cell.
// reflect mirrors about the first/last cell without repeating it (PyTorch
// 'reflect', ONNX 'reflect'; the shape function keeps pads < in so one
// reflection suffices); edge repeats the first/last cell.
PAD2D_HD int64_t Source(int64_t o, int64_t begin, int64_t in, int mode) {
  int64_t i = o - begin;
  if (i >= 0 && i < in) return i;
  if (mode == kConstant) return -1;
  if (mode == kEdge) return i < 0 ? 0 : in - 1;
  return i < 0 ? -i : 2 * (in - 1) - i;
}

// The output indices of an axis that read input index p (of `in`, into
// `out` outputs): at most three ascending ranges [lo, hi), clipped to the
// output (a cropped cell has none; then lo >= hi).
struct Ranges {
  int64_t lo[3], hi[3];
  int n;
};

PAD2D_HD Ranges Readers(int64_t p, int64_t begin, int64_t in, int64_t out, int mode) {
  Ranges r;
  r.n = 0;
  if (mode == kEdge) {
    r.lo[0] = p == 0 ? 0 : p + begin;
    r.hi[0] = p == in - 1 ? out : p + begin + 1;
    r.n = 1;
  } else {
    // reflect: the mirror before the input (o = begin - p, for 1 <= p <= begin).
    if (mode == kReflect && p >= 1 && p <= begin) {
      r.lo[r.n] = begin - p;
      r.hi[r.n] = begin - p + 1;
      ++r.n;
    }
    r.lo[r.n] = p + begin;
    r.hi[r.n] = p + begin + 1;
    ++r.n;
    // reflect: the mirror after it (o = begin + 2 (in - 1) - p, while < out).
    const int64_t after = begin + 2 * (in - 1) - p;
    if (mode == kReflect && p <= in - 2 && after < out) {
      r.lo[r.n] = after;
      r.hi[r.n] = after + 1;
      ++r.n;
    }
  }
  for (int k = 0; k < r.n; ++k) {
    if (r.lo[k] < 0) r.lo[k] = 0;
    if (r.hi[k] > out) r.hi[k] = out;
  }
  return r;
}

// dx[p][q] of one plane: the sum of dy (oh x ow) over every output that
// reads input (p, q), rows then columns ascending.
PAD2D_HD float GradientAt(const float* dy, int64_t p, int64_t q, int64_t h, int64_t w, int64_t oh,
                          int64_t ow, int64_t top, int64_t left, int mode) {
  const Ranges rows = Readers(p, top, h, oh, mode);
  const Ranges cols = Readers(q, left, w, ow, mode);
  float sum = 0.0f;
  for (int a = 0; a < rows.n; ++a) {
    for (int64_t i = rows.lo[a]; i < rows.hi[a]; ++i) {
      for (int b = 0; b < cols.n; ++b) {
        for (int64_t j = cols.lo[b]; j < cols.hi[b]; ++j) sum += dy[i * ow + j];
      }
    }
  }
  return sum;
}

}  // namespace pad2d
}  // namespace tessera

#endif  // TESSERA_OPS_PAD2D_PAD2D_H_
