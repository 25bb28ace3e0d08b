// pad2d: pads the two spatial axes of an NCHW tensor, as PyTorch's
// F.pad(x, (left, right, top, bottom), mode, value) and ONNX Pad on H and W.
//
// Attributes: pads [top, left, bottom, right] (asymmetric padding is
// expressible; a negative pad crops that many cells, as in ONNX Pad and
// F.pad), mode "constant" (cells get `value`), "reflect" (mirror without
// repeating the border cell; every pad must be smaller than its axis) or
// "edge" (repeat the border cell). The output is
// [N, C, top + H + bottom, left + W + right]; some input must remain.
// Gradient: each input cell receives the sum of the output gradients of the
// cells that read it (a slice for constant; reflected and edge cells add in).

#include "ops/pad2d/pad2d.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/rows.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

absl::StatusOr<int> ModeOf(const std::string& mode) {
  if (mode == "constant") return pad2d::kConstant;
  if (mode == "reflect") return pad2d::kReflect;
  if (mode == "edge") return pad2d::kEdge;
  return absl::InvalidArgumentError(absl::StrCat(
      "attribute 'mode' must be \"constant\", \"reflect\" or \"edge\", got \"", mode, "\""));
}

absl::StatusOr<std::vector<Shape>> Pad2dShape(const std::vector<Shape>& in, const Attrs& attrs) {
  TS_RETURN_IF_ERROR(ExpectRank(in[0], 4, "input x [N, C, H, W]"));
  const std::vector<int64_t> pads = attrs.GetInts("pads");
  if (pads.size() != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute 'pads' must be 4 integers [top, left, bottom, right], got ",
                     ShapeToString(pads)));
  }
  TS_ASSIGN_OR_RETURN(const int mode, ModeOf(attrs.GetString("mode")));
  const int64_t h = in[0][2], w = in[0][3];
  if (mode != pad2d::kConstant && (h < 1 || w < 1)) {
    return absl::InvalidArgumentError(absl::StrCat("input ", ShapeToString(in[0]),
                                                   " has an empty image, which mode \"",
                                                   attrs.GetString("mode"), "\" cannot pad"));
  }
  for (int k = 0; k < 2; ++k) {
    const int64_t kept =
        in[0][2 + k] + std::min<int64_t>(pads[k], 0) + std::min<int64_t>(pads[2 + k], 0);
    if (kept < 1) {
      return absl::InvalidArgumentError(absl::StrCat("pads ", ShapeToString(pads), " crop all of ",
                                                     k == 0 ? "H" : "W", " of input ",
                                                     ShapeToString(in[0])));
    }
  }
  const bool too_wide = std::max(pads[0], pads[2]) >= h || std::max(pads[1], pads[3]) >= w;
  if (mode == pad2d::kReflect && too_wide) {
    return absl::InvalidArgumentError(
        absl::StrCat("mode \"reflect\" needs every pad smaller than its axis: pads ",
                     ShapeToString(pads), " for an image of ", h, " x ", w));
  }
  return std::vector<Shape>{{in[0][0], in[0][1], pads[0] + h + pads[2], pads[1] + w + pads[3]}};
}

TESSERA_REGISTER_OP("pad2d")
    .Input("x")
    .Output("y")
    .RequiredAttr("pads", AttrType::kInts)
    .Attr("mode", AttrType::kString, StringAttr("constant"))
    .Attr("value", AttrType::kFloat, FloatAttr(0.0f))
    .Doc("Pads H and W of NCHW by [top, left, bottom, right]: constant, reflect or edge.")
    .ShapeFn(Pad2dShape)
    // The gradient reads only shapes.
    .GradientReads({}, {})
    .Flops(NoFlops());

// Below this many floats a piece of work is not worth waking a thread.
constexpr int64_t kMinChunkFloats = 1 << 14;

struct Geometry {
  int64_t planes, h, w, oh, ow, top, left;
  int mode;
  float value;
};

Geometry GeometryOf(const Attrs& attrs, const Tensor& x, const Tensor& y) {
  const std::vector<int64_t> pads = attrs.GetInts("pads");
  return {x.dim(0) * x.dim(1),
          x.dim(2),
          x.dim(3),
          y.dim(2),
          y.dim(3),
          pads[0],
          pads[1],
          *ModeOf(attrs.GetString("mode")),
          attrs.GetFloat("value")};
}

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const Geometry g = GeometryOf(ctx.attrs, in[0], out[0]);
  const float* x = in[0].data();
  float* y = out[0].data();
  // Per output column, the input column it reads (-1: the constant).
  std::vector<int64_t> cols(g.ow);
  for (int64_t j = 0; j < g.ow; ++j) cols[j] = pad2d::Source(j, g.left, g.w, g.mode);
  // Output columns [c0, c1) read input columns c0 - left, ... in order: a
  // copy; the few padded columns around them go one by one.
  const int64_t c0 = std::max<int64_t>(g.left, 0), c1 = std::min(g.ow, g.left + g.w);
  ParallelFor(g.planes * g.oh, std::max<int64_t>(1, kMinChunkFloats / g.ow),
              [&](int64_t begin, int64_t end) {
                for (int64_t r = begin; r < end;) {
                  const int64_t plane = r / g.oh, i = r % g.oh;
                  const int64_t src = pad2d::Source(i, g.top, g.h, g.mode);
                  if (src < 0) {
                    simd::Fill(g.value, y + r * g.ow, g.ow);
                    ++r;
                    continue;
                  }
                  // The rows of this plane from r on that read consecutive
                  // input rows (the interior): their few padded columns one
                  // by one, then the copies in one call.
                  int64_t e = r + 1;
                  while (e < end && e - r + i < g.oh &&
                         pad2d::Source(i + (e - r), g.top, g.h, g.mode) == src + (e - r)) {
                    ++e;
                  }
                  const float* xr = x + (plane * g.h + src) * g.w;
                  for (int64_t k = 0; k < e - r; ++k) {
                    float* yr = y + (r + k) * g.ow;
                    const float* xk = xr + k * g.w;
                    for (int64_t j = 0; j < c0; ++j) yr[j] = cols[j] < 0 ? g.value : xk[cols[j]];
                    for (int64_t j = c1; j < g.ow; ++j) yr[j] = cols[j] < 0 ? g.value : xk[cols[j]];
                  }
                  simd::CopyRows(xr + c0 - g.left, g.w, y + r * g.ow + c0, g.ow, e - r, c1 - c0);
                  r = e;
                }
              });
  return absl::OkStatus();
}

// True when input cell p of an axis is read by exactly one output cell
// (then its gradient is that cell's, a copy; otherwise a sum).
bool ReadOnce(int64_t p, int64_t begin, int64_t in, int64_t out, int mode) {
  const pad2d::Ranges r = pad2d::Readers(p, begin, in, out, mode);
  return r.n == 1 && r.hi[0] - r.lo[0] == 1;
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  Tensor& dx = args.input_grads[0];
  const Geometry g = GeometryOf(ctx.attrs, dx, args.output_grads[0]);
  const float* dy = args.output_grads[0].data();
  float* dxp = dx.data();
  // Runs [start, end) of input columns alike in ReadOnce: a run read once
  // copies dy (column q from output column q + left); the rest sum with
  // GradientAt, in the same order as the GPU kernel.
  struct Run {
    int64_t start, end;
    bool once;
  };
  std::vector<Run> runs;
  for (int64_t q = 0; q < g.w; ++q) {
    const bool once = ReadOnce(q, g.left, g.w, g.ow, g.mode);
    if (runs.empty() || runs.back().once != once) runs.push_back({q, q, once});
    runs.back().end = q + 1;
  }
  // A gather: each dx element is written once, so chunks never overlap.
  ParallelFor(
      g.planes * g.h, std::max<int64_t>(1, kMinChunkFloats / g.w), [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end;) {
          const int64_t plane = r / g.h, p = r % g.h;
          const float* dyc = dy + plane * g.oh * g.ow;
          // The rows of this plane from r on alike in ReadOnce: those read
          // once copy their once-runs in one call per run.
          const bool row_once = ReadOnce(p, g.top, g.h, g.oh, g.mode);
          int64_t e = r + 1;
          while (e < end && p + (e - r) < g.h &&
                 ReadOnce(p + (e - r), g.top, g.h, g.oh, g.mode) == row_once) {
            ++e;
          }
          for (const Run& run : runs) {
            if (row_once && run.once) {
              simd::CopyRows(dyc + (p + g.top) * g.ow + g.left + run.start, g.ow,
                             dxp + r * g.w + run.start, g.w, e - r, run.end - run.start);
              continue;
            }
            for (int64_t k = 0; k < e - r; ++k) {
              float* dxr = dxp + (r + k) * g.w;
              for (int64_t q = run.start; q < run.end; ++q) {
                dxr[q] = pad2d::GradientAt(dyc, p + k, q, g.h, g.w, g.oh, g.ow, g.top, g.left,
                                           g.mode);
              }
            }
          }
          r = e;
        }
      });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("pad2d", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in pad2d.cu; images are `planes` planes of h x w, padded to oh x ow.
namespace cuda {
void Pad2dForward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int64_t oh,
                  int64_t ow, int64_t top, int64_t left, int mode, float value,
                  cudaStream_t stream);
void Pad2dGradient(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int64_t oh,
                   int64_t ow, int64_t top, int64_t left, int mode, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  const Geometry g = GeometryOf(ctx.attrs, in[0], out[0]);
  cuda::Pad2dForward(in[0].data(), out[0].data(), g.planes, g.h, g.w, g.oh, g.ow, g.top, g.left,
                     g.mode, g.value, CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("pad2d forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  Tensor& dx = args.input_grads[0];
  const Geometry g = GeometryOf(ctx.attrs, dx, args.output_grads[0]);
  cuda::Pad2dGradient(args.output_grads[0].data(), dx.data(), g.planes, g.h, g.w, g.oh, g.ow, g.top,
                      g.left, g.mode, CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("pad2d gradient");
}

TESSERA_REGISTER_KERNEL("pad2d", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
