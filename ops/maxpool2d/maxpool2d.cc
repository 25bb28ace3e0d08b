// maxpool2d: the maximum over each kernel window of an NCHW image, as
// PyTorch's nn.MaxPool2d.
//
// Attributes: kernel [h, w] (required), stride [h, w] (empty: the kernel),
// padding [h, w] (at most half the kernel; padded cells count as -inf, so
// they never win), dilation [h, w] (the gap between window cells; the
// window spans (kernel - 1) * dilation + 1) and ceil_mode (round the output
// size up, but drop a last window that would start in the right/bottom
// padding). Output size per axis:
// floor_or_ceil((in + 2 pad - span) / stride) + 1.
//
// The forward saves, for every output, the index h * W + w of its maximum
// within its channel plane (PyTorch's return_indices layout) as a float; the
// gradient adds dy there, so overlapping windows accumulate.
//
// Output 1, `indices`, gives that position as attr `indices` says:
//   "plane" (default): h * W + w within the (n, c) plane, as PyTorch's
//       MaxPool2d(return_indices=True);
//   "flat": (n * C + c) * H * W + h * W + w, a flat index into x, as ONNX's
//       MaxPool Indices with storage_order 0;
//   "flat_column_major": (n * C + c) * H * W + w * H + h, ONNX's
//       storage_order 1.
// Tessera tensors are float32: the indices are exact integers there, and
// the shape function rejects inputs whose indices could exceed 2^24. They
// have no gradient (a piecewise constant of x).

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/pool.h"
#include "ops/maxpool2d/max_rows.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

// The dilation [h, w] (>= 1), and the window's span (kernel - 1) * d + 1.
struct Dilation {
  int64_t dh = 1, dw = 1;
  int64_t SpanH(const pool::Window& p) const { return (p.kh - 1) * dh + 1; }
  int64_t SpanW(const pool::Window& p) const { return (p.kw - 1) * dw + 1; }
  bool none() const { return dh == 1 && dw == 1; }
};

enum class IndexLayout { kPlane, kFlat, kFlatColumnMajor };

absl::StatusOr<IndexLayout> ReadIndexLayout(const Attrs& attrs) {
  const std::string layout = attrs.GetString("indices");
  if (layout == "plane") return IndexLayout::kPlane;
  if (layout == "flat") return IndexLayout::kFlat;
  if (layout == "flat_column_major") return IndexLayout::kFlatColumnMajor;
  return absl::InvalidArgumentError(absl::StrCat(
      "indices must be \"plane\", \"flat\" or \"flat_column_major\", got \"", layout, "\""));
}

absl::StatusOr<Dilation> ReadDilation(const Attrs& attrs) {
  Dilation d;
  TS_RETURN_IF_ERROR(pool::ReadPair(attrs, "dilation", false, 1, &d.dh, &d.dw));
  return d;
}

// Whether every one of `out` windows along an axis has a cell inside the
// input (a dilated window can straddle it entirely; its max would be -inf
// with no cell for the gradient). PooledSize starts the last window inside
// the input, and a window starting inside has its first cell there, so only
// the windows starting in the left padding need a look; undilated ones
// reach the input because the padding is at most half the kernel. Time:
// O(padding / stride), not O(out * kernel) (the fuzzer timed out on that).
bool EveryWindowTouchesInput(int64_t in, int64_t out, int64_t k, int64_t s, int64_t pad,
                             int64_t d) {
  if (d == 1) return true;
  for (int64_t i = 0; i < out && i * s < pad; ++i) {
    const int64_t start = i * s - pad;           // < 0
    const int64_t first = (-start + d - 1) / d;  // its first cell at or after 0
    if (first >= k || start + first * d >= in) return false;
  }
  return true;
}

absl::StatusOr<std::vector<Shape>> MaxPoolShape(const std::vector<Shape>& in, const Attrs& attrs) {
  TS_RETURN_IF_ERROR(ExpectRank(in[0], 4, "input x [N, C, H, W]"));
  TS_ASSIGN_OR_RETURN(pool::Window p, pool::ReadWindow(attrs));
  TS_ASSIGN_OR_RETURN(Dilation d, ReadDilation(attrs));
  const bool ceil_mode = attrs.GetBool("ceil_mode");
  const int64_t oh = pool::PooledSize(in[0][2], d.SpanH(p), p.sh, p.ph, ceil_mode);
  const int64_t ow = pool::PooledSize(in[0][3], d.SpanW(p), p.sw, p.pw, ceil_mode);
  if (oh < 1 || ow < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kernel [", p.kh, ",", p.kw, "] with padding [", p.ph, ",", p.pw, "] is larger than input ",
        ShapeToString(in[0]), ": output would be ", oh, "x", ow));
  }
  // The saved argmax is a float, exact for integers up to 2^24 only.
  if (in[0][2] * in[0][3] > (int64_t{1} << 24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("input ", ShapeToString(in[0]),
                     " has more than 2^24 values per image, too many to index "
                     "exactly in the float argmax"));
  }
  TS_ASSIGN_OR_RETURN(IndexLayout layout, ReadIndexLayout(attrs));
  if (layout != IndexLayout::kPlane && NumElements(in[0]) > (int64_t{1} << 24)) {
    return absl::InvalidArgumentError(
        absl::StrCat("input ", ShapeToString(in[0]),
                     " has more than 2^24 values, too many for exact flat indices in float32"));
  }
  if (!EveryWindowTouchesInput(in[0][2], oh, p.kh, p.sh, p.ph, d.dh) ||
      !EveryWindowTouchesInput(in[0][3], ow, p.kw, p.sw, p.pw, d.dw)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kernel [", p.kh, ",", p.kw, "] with dilation [", d.dh, ",", d.dw, "] and padding [", p.ph,
        ",", p.pw, "] has a window with no cell inside input ", ShapeToString(in[0])));
  }
  return std::vector<Shape>{{in[0][0], in[0][1], oh, ow}, {in[0][0], in[0][1], oh, ow}};
}

TESSERA_REGISTER_OP("maxpool2d")
    .Input("x")
    .Output("y")
    // Computed only for a graph that reads it (ONNX's MaxPool Indices).
    .OptionalOutput("indices")
    .RequiredAttr("kernel", AttrType::kInts)
    .Attr("stride", AttrType::kInts, IntsAttr({}))
    .Attr("padding", AttrType::kInts, IntsAttr({0, 0}))
    .Attr("dilation", AttrType::kInts, IntsAttr({1, 1}))
    .Attr("ceil_mode", AttrType::kBool, BoolAttr(false))
    .Attr("indices", AttrType::kString, StringAttr("plane"))
    .Doc("2-D max pooling over NCHW (PyTorch MaxPool2d).")
    .ShapeFn(MaxPoolShape)
    // The gradient reads only the saved argmax and shapes.
    .GradientReads({}, {})
    .Saves([](const std::vector<Shape>&, const std::vector<Shape>& out, const Attrs&) {
      return std::vector<double>{4.0 * NumElements(out[0])};  // the argmax, a float per output
    })
    .Flops([](const std::vector<Shape>& in, const std::vector<Shape>& out, const Attrs& attrs) {
      // One per window element per output.
      const std::vector<int64_t> kernel = attrs.GetInts("kernel");
      return static_cast<double>(kernel[0] * kernel[1]) * NumElements(out[0]);
    });

// A dilated window's cells, in row-major order, skipping those in the
// padding: the undilated loop below with the window's cells d apart, and the
// same tie and NaN rules. (Dilated pools are rare; no SIMD path.)
void DilatedForward(const float* x, float* y, float* idx, int64_t planes, int64_t h, int64_t w,
                    int64_t oh, int64_t ow, const pool::Window& p, const Dilation& d) {
  ParallelFor(planes * oh, 16, [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const int64_t c = row / oh, i = row % oh;
      const float* xc = x + c * h * w;
      const int64_t top = i * p.sh - p.ph;
      // The first window row and column inside the input (the argmax of a
      // window of -inf only).
      int64_t a0 = 0;
      while (top + a0 * d.dh < 0) ++a0;
      for (int64_t j = 0; j < ow; ++j) {
        const int64_t left = j * p.sw - p.pw;
        int64_t b0 = 0;
        while (left + b0 * d.dw < 0) ++b0;
        float best = -std::numeric_limits<float>::infinity();
        int64_t best_at = (top + a0 * d.dh) * w + left + b0 * d.dw;
        for (int64_t a = a0; a < p.kh && top + a * d.dh < h; ++a) {
          for (int64_t bb = b0; bb < p.kw && left + bb * d.dw < w; ++bb) {
            const int64_t at = (top + a * d.dh) * w + left + bb * d.dw;
            const float v = xc[at];
            if (v > best || std::isnan(v)) {
              best = v;
              best_at = at;
            }
          }
        }
        y[row * ow + j] = best;
        idx[row * ow + j] = static_cast<float>(best_at);
      }
    }
  });
}

// The indices output from the saved plane argmax (see the top of the file).
void WriteIndices(const float* argmax, float* indices, int64_t planes, int64_t h, int64_t w,
                  int64_t ohw, IndexLayout layout) {
  ParallelFor(planes, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const int64_t base = layout == IndexLayout::kPlane ? 0 : c * h * w;
      for (int64_t o = c * ohw; o < (c + 1) * ohw; ++o) {
        const int64_t at = static_cast<int64_t>(argmax[o]);
        const int64_t in_plane = layout == IndexLayout::kFlatColumnMajor ? at % w * h + at / w : at;
        indices[o] = static_cast<float>(base + in_plane);
      }
    }
  });
}

absl::Status ForwardMax(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(pool::Window p, pool::ReadWindow(ctx.attrs));
  TS_ASSIGN_OR_RETURN(Dilation d, ReadDilation(ctx.attrs));
  const int64_t planes = in[0].dim(0) * in[0].dim(1), h = in[0].dim(2), w = in[0].dim(3);
  const int64_t oh = out[0].dim(2), ow = out[0].dim(3);
  Tensor argmax = Tensor::Empty(out[0].shape());
  const float* x = in[0].data();
  float* y = out[0].data();
  float* idx = argmax.data();
  if (!d.none()) {
    DilatedForward(x, y, idx, planes, h, w, oh, ow, p, d);
    ctx.saved = {argmax};
    return absl::OkStatus();
  }
  ParallelFor(planes, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const float* xc = x + c * h * w;
      for (int64_t i = 0; i < oh; ++i) {
        // Windows clipped to the input: padding is -inf and never wins.
        const int64_t h0 = std::max<int64_t>(i * p.sh - p.ph, 0);
        const int64_t h1 = std::min(i * p.sh - p.ph + p.kh, h);
        float* y_row = y + (c * oh + i) * ow;
        float* at_row = idx + (c * oh + i) * ow;
        // Windows wholly inside the columns, [ja, jb), go to the SIMD row
        // kernel; the few clipped by the padding are done here.
        const int64_t ja = std::min(ow, (p.pw + p.sw - 1) / p.sw);
        const int64_t last_start = w + p.pw - p.kw;  // of a window ending at the edge
        const int64_t jb = std::clamp<int64_t>(last_start < 0 ? 0 : last_start / p.sw + 1, ja, ow);
        pool::MaxPoolRow(xc, w, h0, h1, p.kw, p.sw, p.pw, ja, jb, y_row, at_row);
        for (int64_t j = 0; j < ow; ++j) {
          if (j == ja) j = jb;
          if (j >= ow) break;
          const int64_t w0 = std::max<int64_t>(j * p.sw - p.pw, 0);
          const int64_t w1 = std::min(j * p.sw - p.pw + p.kw, w);
          float best = -std::numeric_limits<float>::infinity();
          int64_t best_at = h0 * w + w0;
          for (int64_t r = h0; r < h1; ++r) {
            for (int64_t s = w0; s < w1; ++s) {
              // Strictly greater: the first maximum wins ties; a NaN wins
              // and stays, so that it propagates (both as in PyTorch).
              const float v = xc[r * w + s];
              if (v > best || std::isnan(v)) {
                best = v;
                best_at = r * w + s;
              }
            }
          }
          y_row[j] = best;
          at_row[j] = static_cast<float>(best_at);
        }
      }
    }
  });
  ctx.saved = {argmax};
  return absl::OkStatus();
}

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(IndexLayout layout, ReadIndexLayout(ctx.attrs));
  TS_RETURN_IF_ERROR(ForwardMax(ctx, in, out));
  if (!out[1].defined()) return absl::OkStatus();  // the indices output is not wanted
  WriteIndices(ctx.saved.at(0).data(), out[1].data(), in[0].dim(0) * in[0].dim(1), in[0].dim(2),
               in[0].dim(3), out[0].dim(2) * out[0].dim(3), layout);
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  const Tensor& dy = args.output_grads[0];
  const Tensor& argmax = ctx.saved.at(0);
  Tensor& dx = args.input_grads[0];
  const int64_t planes = dx.dim(0) * dx.dim(1), hw = dx.dim(2) * dx.dim(3);
  const int64_t ohw = dy.dim(2) * dy.dim(3);
  const float* g = dy.data();
  const float* idx = argmax.data();
  float* d = dx.data();
  // One plane per task: writes stay within the plane, in a fixed order.
  ParallelFor(planes, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      float* dc = d + c * hw;
      std::fill(dc, dc + hw, 0.0f);
      for (int64_t o = c * ohw; o < (c + 1) * ohw; ++o) dc[static_cast<int64_t>(idx[o])] += g[o];
    }
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("maxpool2d", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in maxpool2d.cu: the same windows, argmax and tie rule as above.
namespace cuda {
void MaxPoolForward(const float* x, float* y, float* argmax, int64_t planes, int64_t h, int64_t w,
                    int64_t oh, int64_t ow, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                    int64_t ph, int64_t pw, int64_t dh, int64_t dw, cudaStream_t stream);
// kh, kw: the window's span; the saved argmax says which cell won.
void MaxPoolGradient(const float* dy, const float* argmax, float* dx, int64_t planes, int64_t h,
                     int64_t w, int64_t oh, int64_t ow, int64_t kh, int64_t kw, int64_t sh,
                     int64_t sw, int64_t ph, int64_t pw, cudaStream_t stream);
// WriteIndices above; layout 0 plane, 1 flat, 2 flat column-major.
void MaxPoolIndices(const float* argmax, float* indices, int64_t planes, int64_t h, int64_t w,
                    int64_t ohw, int layout, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(pool::Window p, pool::ReadWindow(ctx.attrs));
  TS_ASSIGN_OR_RETURN(Dilation d, ReadDilation(ctx.attrs));
  TS_ASSIGN_OR_RETURN(IndexLayout layout, ReadIndexLayout(ctx.attrs));
  // Saved like the CPU's: per output, the plane index of its maximum.
  Tensor argmax = Tensor::Empty(out[0].shape(), Device::kCuda);
  cuda::MaxPoolForward(in[0].data(), out[0].data(), argmax.data(), in[0].dim(0) * in[0].dim(1),
                       in[0].dim(2), in[0].dim(3), out[0].dim(2), out[0].dim(3), p.kh, p.kw, p.sh,
                       p.sw, p.ph, p.pw, d.dh, d.dw, CudaContextOf(ctx.backend).stream);
  TS_RETURN_IF_ERROR(CudaLaunchStatus("maxpool2d forward"));
  ctx.saved = {argmax};
  if (!out[1].defined()) return absl::OkStatus();  // the indices output is not wanted
  cuda::MaxPoolIndices(argmax.data(), out[1].data(), in[0].dim(0) * in[0].dim(1), in[0].dim(2),
                       in[0].dim(3), out[0].dim(2) * out[0].dim(3), static_cast<int>(layout),
                       CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("maxpool2d indices");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  TS_ASSIGN_OR_RETURN(pool::Window p, pool::ReadWindow(ctx.attrs));
  TS_ASSIGN_OR_RETURN(Dilation d, ReadDilation(ctx.attrs));
  const Tensor& dy = args.output_grads[0];
  Tensor& dx = args.input_grads[0];
  cuda::MaxPoolGradient(dy.data(), ctx.saved.at(0).data(), dx.data(), dx.dim(0) * dx.dim(1),
                        dx.dim(2), dx.dim(3), dy.dim(2), dy.dim(3), d.SpanH(p), d.SpanW(p), p.sh,
                        p.sw, p.ph, p.pw, CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("maxpool2d gradient");
}

TESSERA_REGISTER_KERNEL("maxpool2d", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA
}  // namespace tessera
