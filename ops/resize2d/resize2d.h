// resize2d's taps along one axis, shared by the CPU kernels (resize2d.cc)
// and the GPU kernels (resize2d.cu), so that both read the same cells with
// the same weights. It follows the ONNX Resize reference implementation
// (onnx/backend/test/case/node/resize.py, interpolate_1d_with_x). Only
// <cstdint> and <cmath>: nvcc compiles this without Abseil.
#ifndef TESSERA_OPS_RESIZE2D_RESIZE2D_H_
#define TESSERA_OPS_RESIZE2D_RESIZE2D_H_

#include <cmath>
#include <cstdint>

#ifdef __CUDACC__
#define RESIZE2D_HD __host__ __device__ inline
#else
#define RESIZE2D_HD inline
#endif

namespace tessera {
namespace resize2d {

enum Mode : int { kNearest = 0, kLinear = 1, kCubic = 2 };
enum Transform : int {
  kHalfPixel = 0,
  kPytorchHalfPixel = 1,
  kAlignCorners = 2,
  kAsymmetric = 3,
  kTfHalfPixelForNn = 4,
  kTfCropAndResize = 5,
};
enum Rounding : int { kRoundPreferFloor = 0, kRoundPreferCeil = 1, kFloor = 2, kCeil = 3 };

// One axis: `in` cells resized to `out`, with everything that places a tap.
struct Axis {
  int64_t in, out;
  double scale;  // out / in, or the scale given
  int mode, transform, rounding;
  double cubic_a;
  bool exclude_outside;
  double roi_start, roi_end;  // tf_crop_and_resize: the crop, in [0, 1]
};

// Output cell o reads cells index[k] (clamped to the input: the reference
// pads by repeating the edge) with weight[k], k < n; or, for
// tf_crop_and_resize outside the input, is the extrapolation value.
struct Taps {
  int n;
  bool extrapolate;
  int64_t index[4];
  double weight[4];
};

// The source coordinate of output cell o, as the reference computes it.
// Its "output width" is scale * in, which differs from `out` when a scale
// was given and scale * in is not whole.
RESIZE2D_HD double SourceCoordinate(int64_t o, const Axis& a) {
  const double length = a.scale * static_cast<double>(a.in);
  const double x = static_cast<double>(o);
  switch (a.transform) {
    case kAlignCorners:
      return length == 1 ? 0.0 : x * (a.in - 1) / (length - 1);
    case kAsymmetric:
      return x / a.scale;
    case kTfCropAndResize: {
      const double span = (a.roi_end - a.roi_start) * (a.in - 1);
      return a.roi_start * (a.in - 1) + (length == 1 ? span / 2 : x * span / (length - 1));
    }
    case kTfHalfPixelForNn:
      return (x + 0.5) / a.scale;
    case kPytorchHalfPixel:
      return length == 1 ? -0.5 : (x + 0.5) / a.scale - 0.5;
    default:  // kHalfPixel
      return (x + 0.5) / a.scale - 0.5;
  }
}

RESIZE2D_HD Taps TapsOf(int64_t o, const Axis& a) {
  Taps t;
  const double x = SourceCoordinate(o, a);
  t.extrapolate = a.transform == kTfCropAndResize && (x < 0 || x > a.in - 1);
  // The cell left of x and the fraction past it, in (0, 1]: an integer x
  // is the right end of its interval (the reference's ratio = 1).
  const double left = ::ceil(x) - 1;
  const double r = x - left;
  const int64_t f = static_cast<int64_t>(left);
  if (a.mode == kNearest) {
    bool right = true;  // x an integer: the cell at x
    if (r != 1) {
      if (a.rounding == kRoundPreferFloor) right = r > 0.5;
      if (a.rounding == kRoundPreferCeil) right = r >= 0.5;
      if (a.rounding == kFloor) right = false;
      if (a.rounding == kCeil) right = true;
    }
    t.n = 1;
    t.index[0] = right ? f + 1 : f;
    t.weight[0] = 1;
  } else if (a.mode == kLinear) {
    t.n = 2;
    t.index[0] = f;
    t.index[1] = f + 1;
    t.weight[0] = 1 - r;
    t.weight[1] = r;
  } else {
    const double A = a.cubic_a, s = 1 - r;
    t.n = 4;
    for (int k = 0; k < 4; ++k) t.index[k] = f - 1 + k;
    t.weight[0] = ((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A;
    t.weight[1] = ((A + 2) * r - (A + 3)) * r * r + 1;
    t.weight[2] = ((A + 2) * s - (A + 3)) * s * s + 1;
    t.weight[3] = ((A * (s + 1) - 5 * A) * (s + 1) + 8 * A) * (s + 1) - 4 * A;
  }
  if (a.exclude_outside) {
    double sum = 0;
    for (int k = 0; k < t.n; ++k) {
      if (t.index[k] < 0 || t.index[k] >= a.in) t.weight[k] = 0;
      sum += t.weight[k];
    }
    for (int k = 0; k < t.n; ++k) t.weight[k] /= sum;
  }
  for (int k = 0; k < t.n; ++k) {
    t.index[k] = t.index[k] < 0 ? 0 : (t.index[k] >= a.in ? a.in - 1 : t.index[k]);
  }
  return t;
}

// The first output cell whose lowest (lo) or highest (!lo) tap is at least
// `p`, or a.out. Both never decrease with the output cell (the coordinate
// grows with it, and clamping keeps that), so a binary search finds it.
RESIZE2D_HD int64_t FirstReaching(int64_t p, const Axis& a, bool lo) {
  int64_t begin = 0, end = a.out;
  while (begin < end) {
    const int64_t mid = begin + (end - begin) / 2;
    const Taps t = TapsOf(mid, a);
    if ((lo ? t.index[0] : t.index[t.n - 1]) >= p) {
      end = mid;
    } else {
      begin = mid + 1;
    }
  }
  return begin;
}

// Output (i, j) of one plane x (w columns): the taps' weighted sum, in
// double, rows outer.
RESIZE2D_HD float ForwardAt(const float* x, int64_t i, int64_t j, int64_t w, const Axis& rows,
                            const Axis& cols, float extrapolation_value) {
  const Taps tr = TapsOf(i, rows), tc = TapsOf(j, cols);
  if (tr.extrapolate || tc.extrapolate) return extrapolation_value;
  double sum = 0;
  for (int a = 0; a < tr.n; ++a) {
    double row = 0;
    for (int b = 0; b < tc.n; ++b) row += tc.weight[b] * x[tr.index[a] * w + tc.index[b]];
    sum += tr.weight[a] * row;
  }
  return static_cast<float>(sum);
}

// The output cells of an axis that read input cell p: [begin, end).
RESIZE2D_HD void Readers(int64_t p, const Axis& a, int64_t* begin, int64_t* end) {
  *begin = FirstReaching(p, a, /*lo=*/false);
  *end = FirstReaching(p + 1, a, /*lo=*/true);
}

// dx at input (p, q) of one plane: over the output rows i in [i0, i1) that
// read row p (from Readers) and are not extrapolated, the row weight at p
// times the row's sum, over the output columns j in [j0, j1) that read q
// and are not extrapolated, of the column weight at q times dy[i][j]. In
// double, in this order on both devices: the CPU computes the inner sums
// once per dy row, for every q (a resize along W), then the outer sum per
// dx row (along H), ForwardAt's separable order transposed.
RESIZE2D_HD float GradientAt(const float* dy, int64_t p, int64_t q, int64_t ow, const Axis& rows,
                             const Axis& cols, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
  double sum = 0;
  for (int64_t i = i0; i < i1; ++i) {
    const Taps tr = TapsOf(i, rows);
    if (tr.extrapolate) continue;
    double wr = 0;
    for (int a = 0; a < tr.n; ++a) wr += tr.index[a] == p ? tr.weight[a] : 0.0;
    double row = 0;
    for (int64_t j = j0; j < j1; ++j) {
      const Taps tc = TapsOf(j, cols);
      if (tc.extrapolate) continue;
      double wc = 0;
      for (int b = 0; b < tc.n; ++b) wc += tc.index[b] == q ? tc.weight[b] : 0.0;
      row += wc * dy[i * ow + j];
    }
    sum += wr * row;
  }
  return static_cast<float>(sum);
}

}  // namespace resize2d
}  // namespace tessera

#endif  // TESSERA_OPS_RESIZE2D_RESIZE2D_H_
