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
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/rows.h"
#include "ops/upsample2d/upsample_rows.h"

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

// The horizontal taps with int32 indices, for upsample::GatherLerp.
struct GatherTaps {
  std::vector<int32_t> i0, i1;
};

GatherTaps ToGather(const Taps& t) {
  return {std::vector<int32_t>(t.i0.begin(), t.i0.end()),
          std::vector<int32_t>(t.i1.begin(), t.i1.end())};
}

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const Dims d = DimsOf(in[0], out[0]);
  const int64_t sh = d.oh / d.h, sw = d.ow / d.w;
  const float* x = in[0].data();
  float* y = out[0].data();
  if (ctx.attrs.GetString("mode") == "nearest") {
    ParallelFor(d.planes, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        for (int64_t r = 0; r < d.h; ++r) {
          // Source row r becomes output rows r * sh .. r * sh + sh - 1.
          float* first = y + (c * d.oh + r * sh) * d.ow;
          upsample::ReplicateRow(x + (c * d.h + r) * d.w, d.w, sw, first);
          for (int64_t a = 1; a < sh; ++a) std::copy(first, first + d.ow, first + a * d.ow);
        }
      }
    });
    return absl::OkStatus();
  }
  const bool align = ctx.attrs.GetBool("align_corners");
  const Taps th = BilinearTaps(d.h, sh, align), tw = BilinearTaps(d.w, sw, align);
  const GatherTaps gw = ToGather(tw);
  ParallelFor(d.planes, 1, [&](int64_t b, int64_t e) {
    // Each source row interpolated across (output width), then the two
    // rows of each output row mixed: the formula's order, y = wh0 * (...) + wh1 * (...).
    std::vector<float> across(d.h * d.ow);
    for (int64_t c = b; c < e; ++c) {
      const float* xc = x + c * d.h * d.w;
      for (int64_t r = 0; r < d.h; ++r) {
        upsample::GatherLerp(xc + r * d.w, gw.i0.data(), gw.i1.data(), tw.w0.data(), tw.w1.data(),
                             d.ow, across.data() + r * d.ow);
      }
      for (int64_t i = 0; i < d.oh; ++i) {
        upsample::Blend(across.data() + th.i0[i] * d.ow, th.w0[i], across.data() + th.i1[i] * d.ow,
                        th.w1[i], d.ow, y + (c * d.oh + i) * d.ow);
      }
    }
  });
  return absl::OkStatus();
}

// The adjoint of the horizontal taps: for input column c, the output
// columns j and weights that read it, j ascending (w0's tap before w1's).
struct ColumnSources {
  std::vector<int64_t> begin;  // [w + 1], into j and weight
  std::vector<int64_t> j;
  std::vector<float> weight;
};

ColumnSources SourcesOf(const Taps& t, int64_t w) {
  std::vector<std::vector<std::pair<int64_t, float>>> by_column(w);
  for (size_t j = 0; j < t.i0.size(); ++j) {
    by_column[t.i0[j]].push_back({static_cast<int64_t>(j), t.w0[j]});
    by_column[t.i1[j]].push_back({static_cast<int64_t>(j), t.w1[j]});
  }
  ColumnSources s;
  s.begin.push_back(0);
  for (const auto& column : by_column) {
    for (const auto& [j, weight] : column) {
      s.j.push_back(j);
      s.weight.push_back(weight);
    }
    s.begin.push_back(static_cast<int64_t>(s.j.size()));
  }
  return s;
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  Tensor& dx = args.input_grads[0];
  const Dims d = DimsOf(dx, args.output_grads[0]);
  const int64_t sh = d.oh / d.h, sw = d.ow / d.w;
  const float* g = args.output_grads[0].data();
  float* dxp = dx.data();
  if (ctx.attrs.GetString("mode") == "nearest") {
    ParallelFor(d.planes, 1, [&](int64_t b, int64_t e) {
      std::vector<float> scratch(d.ow);
      for (int64_t c = b; c < e; ++c) {
        for (int64_t r = 0; r < d.h; ++r) {
          simd::SumRows(g + (c * d.oh + r * sh) * d.ow, sh, d.ow, d.ow, scratch.data());
          upsample::SumRuns(scratch.data(), d.ow, sw, dxp + (c * d.h + r) * d.w);
        }
      }
    });
    return absl::OkStatus();
  }
  const bool align = ctx.attrs.GetBool("align_corners");
  const Taps th = BilinearTaps(d.h, sh, align), tw = BilinearTaps(d.w, sw, align);
  const ColumnSources sources = SourcesOf(tw, d.w);
  ParallelFor(d.planes, 1, [&](int64_t b, int64_t e) {
    // The adjoint in reverse order: output rows added into the source rows
    // that they read (full width), then each input column gathers its taps.
    std::vector<float> rows(d.h * d.ow);
    for (int64_t c = b; c < e; ++c) {
      std::fill(rows.begin(), rows.end(), 0.0f);
      for (int64_t i = 0; i < d.oh; ++i) {
        const float* gi = g + (c * d.oh + i) * d.ow;
        upsample::AddScaled(th.w0[i], gi, d.ow, rows.data() + th.i0[i] * d.ow);
        upsample::AddScaled(th.w1[i], gi, d.ow, rows.data() + th.i1[i] * d.ow);
      }
      for (int64_t r = 0; r < d.h; ++r) {
        const float* row = rows.data() + r * d.ow;
        float* dr = dxp + (c * d.h + r) * d.w;
        for (int64_t col = 0; col < d.w; ++col) {
          float sum = 0;
          for (int64_t k = sources.begin[col]; k < sources.begin[col + 1]; ++k) {
            sum += sources.weight[k] * row[sources.j[k]];
          }
          dr[col] = sum;
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
