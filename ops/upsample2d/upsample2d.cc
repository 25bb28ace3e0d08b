// upsample2d: enlarges an NCHW image by integer factors, as PyTorch's
// F.interpolate(x, scale_factor=scale, mode=mode, align_corners=...).
//
// Attributes: scale [h, w] (positive integers), mode "nearest" or
// "bilinear", align_corners (bilinear only). The output is [N, C, H*sh, W*sw].
//   nearest: y[i][j] = x[i / sh][j / sw].
//   bilinear: each output cell reads the source coordinate
//     align_corners: src = dst * (in - 1) / (out - 1)   (0 when out == 1)
//     otherwise:     src = max((dst + 0.5) / scale - 0.5, 0)
//   and mixes its two neighbours floor(src) and floor(src) + 1 (clamped to
//   the last row/column) with weights 1 - frac and frac.
// Gradient: the adjoint, each dy scattered back with the same weights.

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> UpsampleShape(const std::vector<Shape>& in, const Attrs& attrs) {
  TS_RETURN_IF_ERROR(ExpectRank(in[0], 4, "input x [N, C, H, W]"));
  if (in[0][2] < 1 || in[0][3] < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("input ", ShapeToString(in[0]), " has an empty image"));
  }
  const std::vector<int64_t> scale = attrs.GetInts("scale");
  if (scale.size() != 2 || scale[0] < 1 || scale[1] < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "attribute 'scale' must be 2 positive integers [h, w], got ", ShapeToString(scale)));
  }
  const std::string& mode = attrs.GetString("mode");
  if (mode != "nearest" && mode != "bilinear") {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute 'mode' must be \"nearest\" or \"bilinear\", got \"", mode, "\""));
  }
  if (mode == "nearest" && attrs.GetBool("align_corners")) {
    return absl::InvalidArgumentError("align_corners applies to mode \"bilinear\" only");
  }
  return std::vector<Shape>{{in[0][0], in[0][1], in[0][2] * scale[0], in[0][3] * scale[1]}};
}

TESSERA_REGISTER_OP("upsample2d")
    .Input("x")
    .Output("y")
    .RequiredAttr("scale", AttrType::kInts)
    .Attr("mode", AttrType::kString, StringAttr("nearest"))
    .Attr("align_corners", AttrType::kBool, BoolAttr(false))
    .Doc("Integer-factor 2-D upsampling of NCHW, nearest or bilinear (PyTorch interpolate).")
    .ShapeFn(UpsampleShape)
    // The gradient reads only shapes.
    .GradientReads({}, {})
    .Flops([](const std::vector<Shape>&, const std::vector<Shape>& out, const Attrs& attrs) {
      // Nearest copies; bilinear blends 4 neighbours per output.
      return attrs.GetString("mode") == "bilinear" ? 8.0 * NumElements(out[0]) : 0.0;
    });

// For each output row (or column): the two source rows it mixes and their
// weights.
struct Taps {
  std::vector<int64_t> i0, i1;
  std::vector<float> w0, w1;
};

Taps BilinearTaps(int64_t in, int64_t scale, bool align_corners) {
  const int64_t out = in * scale;
  Taps t;
  for (int64_t dst = 0; dst < out; ++dst) {
    double src;
    if (align_corners) {
      src = out > 1 ? dst * static_cast<double>(in - 1) / (out - 1) : 0.0;
    } else {
      src = std::max((dst + 0.5) / scale - 0.5, 0.0);
    }
    const int64_t i0 = std::min(static_cast<int64_t>(src), in - 1);
    const double frac = src - i0;
    t.i0.push_back(i0);
    t.i1.push_back(std::min(i0 + 1, in - 1));
    t.w0.push_back(static_cast<float>(1.0 - frac));
    t.w1.push_back(static_cast<float>(frac));
  }
  return t;
}

struct Dims {
  int64_t planes, h, w, oh, ow;
};

Dims DimsOf(const Tensor& x, const Tensor& y) {
  return {x.dim(0) * x.dim(1), x.dim(2), x.dim(3), y.dim(2), y.dim(3)};
}

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const Dims d = DimsOf(in[0], out[0]);
  const int64_t sh = d.oh / d.h, sw = d.ow / d.w;
  const float* x = in[0].data();
  float* y = out[0].data();
  if (ctx.attrs.GetString("mode") == "nearest") {
    ParallelFor(d.planes, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        for (int64_t i = 0; i < d.oh; ++i) {
          const float* xr = x + (c * d.h + i / sh) * d.w;
          float* yr = y + (c * d.oh + i) * d.ow;
          for (int64_t j = 0; j < d.ow; ++j) yr[j] = xr[j / sw];
        }
      }
    });
    return absl::OkStatus();
  }
  const bool align = ctx.attrs.GetBool("align_corners");
  const Taps th = BilinearTaps(d.h, sh, align), tw = BilinearTaps(d.w, sw, align);
  ParallelFor(d.planes, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      const float* xc = x + c * d.h * d.w;
      for (int64_t i = 0; i < d.oh; ++i) {
        const float* r0 = xc + th.i0[i] * d.w;
        const float* r1 = xc + th.i1[i] * d.w;
        float* yr = y + (c * d.oh + i) * d.ow;
        for (int64_t j = 0; j < d.ow; ++j) {
          yr[j] = th.w0[i] * (tw.w0[j] * r0[tw.i0[j]] + tw.w1[j] * r0[tw.i1[j]]) +
                  th.w1[i] * (tw.w0[j] * r1[tw.i0[j]] + tw.w1[j] * r1[tw.i1[j]]);
        }
      }
    }
  });
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  Tensor& dx = args.input_grads[0];
  const Dims d = DimsOf(dx, args.output_grads[0]);
  const int64_t sh = d.oh / d.h, sw = d.ow / d.w;
  const float* g = args.output_grads[0].data();
  float* dxp = dx.data();
  const bool nearest = ctx.attrs.GetString("mode") == "nearest";
  const bool align = ctx.attrs.GetBool("align_corners");
  const Taps th = nearest ? Taps{} : BilinearTaps(d.h, sh, align);
  const Taps tw = nearest ? Taps{} : BilinearTaps(d.w, sw, align);
  // One plane per task: writes stay within the plane, in a fixed order.
  ParallelFor(d.planes, 1, [&](int64_t b, int64_t e) {
    for (int64_t c = b; c < e; ++c) {
      float* dc = dxp + c * d.h * d.w;
      std::fill(dc, dc + d.h * d.w, 0.0f);
      for (int64_t i = 0; i < d.oh; ++i) {
        const float* gr = g + (c * d.oh + i) * d.ow;
        if (nearest) {
          float* dr = dc + (i / sh) * d.w;
          for (int64_t j = 0; j < d.ow; ++j) dr[j / sw] += gr[j];
          continue;
        }
        float* r0 = dc + th.i0[i] * d.w;
        float* r1 = dc + th.i1[i] * d.w;
        for (int64_t j = 0; j < d.ow; ++j) {
          const float g0 = th.w0[i] * gr[j], g1 = th.w1[i] * gr[j];
          r0[tw.i0[j]] += tw.w0[j] * g0;
          r0[tw.i1[j]] += tw.w1[j] * g0;
          r1[tw.i0[j]] += tw.w0[j] * g1;
          r1[tw.i1[j]] += tw.w1[j] * g1;
        }
      }
    }
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("upsample2d", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in upsample2d.cu. Images are `planes` planes of h x w, the output
// h * sh x w * sw.
namespace cuda {
void UpsampleNearestForward(const float* x, float* y, int64_t planes, int64_t h, int64_t w,
                            int64_t sh, int64_t sw, cudaStream_t stream);
void UpsampleNearestGradient(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w,
                             int64_t sh, int64_t sw, cudaStream_t stream);
// The bilinear kernels tabulate the taps of BilinearTaps (and which output
// rows and columns read each input one) on the device, in `taps`: scratch of
// UpsampleBilinearTapWords(h, sh) + UpsampleBilinearTapWords(w, sw) floats.
int64_t UpsampleBilinearTapWords(int64_t in, int64_t scale);
void UpsampleBilinearForward(const float* x, float* y, int64_t planes, int64_t h, int64_t w,
                             int64_t sh, int64_t sw, bool align_corners, float* taps,
                             cudaStream_t stream);
void UpsampleBilinearGradient(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w,
                              int64_t sh, int64_t sw, bool align_corners, float* taps,
                              cudaStream_t stream);
}  // namespace cuda

namespace {

// Scratch for the bilinear taps. Their indices are stored as int.
absl::StatusOr<Tensor> BilinearTapScratch(const Dims& d) {
  if (d.oh > std::numeric_limits<int>::max() || d.ow > std::numeric_limits<int>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("upsample2d: output ", d.oh, " x ", d.ow,
                     " is too large for the GPU kernel's int indices"));
  }
  const int64_t words = cuda::UpsampleBilinearTapWords(d.h, d.oh / d.h) +
                        cuda::UpsampleBilinearTapWords(d.w, d.ow / d.w);
  return Tensor::Empty({words}, Device::kCuda);
}

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  const Dims d = DimsOf(in[0], out[0]);
  const int64_t sh = d.oh / d.h, sw = d.ow / d.w;
  cudaStream_t stream = CudaContextOf(ctx.backend).stream;
  if (ctx.attrs.GetString("mode") == "nearest") {
    cuda::UpsampleNearestForward(in[0].data(), out[0].data(), d.planes, d.h, d.w, sh, sw, stream);
    return CudaLaunchStatus("upsample2d nearest forward");
  }
  TS_ASSIGN_OR_RETURN(Tensor taps, BilinearTapScratch(d));
  cuda::UpsampleBilinearForward(in[0].data(), out[0].data(), d.planes, d.h, d.w, sh, sw,
                                ctx.attrs.GetBool("align_corners"), taps.data(), stream);
  return CudaLaunchStatus("upsample2d bilinear forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  Tensor& dx = args.input_grads[0];
  const Dims d = DimsOf(dx, args.output_grads[0]);
  const int64_t sh = d.oh / d.h, sw = d.ow / d.w;
  cudaStream_t stream = CudaContextOf(ctx.backend).stream;
  if (ctx.attrs.GetString("mode") == "nearest") {
    cuda::UpsampleNearestGradient(args.output_grads[0].data(), dx.data(), d.planes, d.h, d.w, sh,
                                  sw, stream);
    return CudaLaunchStatus("upsample2d nearest gradient");
  }
  TS_ASSIGN_OR_RETURN(Tensor taps, BilinearTapScratch(d));
  cuda::UpsampleBilinearGradient(args.output_grads[0].data(), dx.data(), d.planes, d.h, d.w, sh, sw,
                                 ctx.attrs.GetBool("align_corners"), taps.data(), stream);
  return CudaLaunchStatus("upsample2d bilinear gradient");
}

TESSERA_REGISTER_KERNEL("upsample2d", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
