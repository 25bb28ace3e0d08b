// resize2d: resizes the two spatial axes of an NCHW tensor to any size, as
// ONNX Resize (opset 11 to 17) on H and W: modes nearest, linear and cubic;
// every coordinate_transformation_mode; nearest_mode; cubic_coeff_a;
// exclude_outside; tf_crop_and_resize with its roi and extrapolation_value.
// The axes are separable: each output cell reads a few input cells per axis
// with weights (resize2d.h, which follows the ONNX reference
// implementation), and the 2-D result is the product of the two.
//
// Attributes: size [h, w] (the output's, required), scale [h, w] (the scale
// the coordinates use; empty: size / input), mode, coordinate_transformation
// _mode, nearest_mode, cubic_coeff_a, exclude_outside, extrapolation_value
// and roi [h start, w start, h end, w end] (tf_crop_and_resize only).
// Gradient: the transpose of the interpolation (each input cell gathers
// dy times its weights over the outputs that read it).

#include "ops/resize2d/resize2d.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/rows.h"
#include "ops/resize2d/resize_rows.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

// The index of `value` in `names`, or an error naming the attribute.
absl::StatusOr<int> Choice(const Attrs& attrs, const std::string& attr,
                           const std::vector<std::string>& names) {
  const std::string& value = attrs.GetString(attr);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == value) return static_cast<int>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat("attribute '", attr, "' must be one of ",
                                                 absl::StrJoin(names, ", "), ", got \"", value,
                                                 "\""));
}

// The two axes' descriptions, checking every attribute.
absl::StatusOr<std::pair<resize2d::Axis, resize2d::Axis>> AxesOf(const Shape& x,
                                                                 const Attrs& attrs) {
  TS_RETURN_IF_ERROR(ExpectRank(x, 4, "input x [N, C, H, W]"));
  if (x[2] < 1 || x[3] < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("input ", ShapeToString(x), " has an empty image"));
  }
  const std::vector<int64_t> size = attrs.GetInts("size");
  if (size.size() != 2 || size[0] < 1 || size[1] < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "attribute 'size' must be 2 positive integers [h, w], got ", ShapeToString(size)));
  }
  const std::vector<float> scale = attrs.GetFloats("scale");
  if (!scale.empty() && (scale.size() != 2 || !(scale[0] > 0) || !(scale[1] > 0))) {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute 'scale' must be empty or 2 positive numbers [h, w], got [",
                     absl::StrJoin(scale, ","), "]"));
  }
  TS_ASSIGN_OR_RETURN(const int mode, Choice(attrs, "mode", {"nearest", "linear", "cubic"}));
  TS_ASSIGN_OR_RETURN(const int transform,
                      Choice(attrs, "coordinate_transformation_mode",
                             {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                              "tf_half_pixel_for_nn", "tf_crop_and_resize"}));
  TS_ASSIGN_OR_RETURN(
      const int rounding,
      Choice(attrs, "nearest_mode", {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}));
  const bool exclude_outside = attrs.GetBool("exclude_outside");
  if (exclude_outside && mode != resize2d::kCubic) {
    return absl::InvalidArgumentError("exclude_outside applies to mode \"cubic\" only");
  }
  const std::vector<float> roi = attrs.GetFloats("roi");
  if (transform == resize2d::kTfCropAndResize) {
    if (roi.size() != 4) {
      return absl::InvalidArgumentError(absl::StrCat(
          "coordinate_transformation_mode \"tf_crop_and_resize\" needs attribute 'roi' "
          "[h start, w start, h end, w end], got [",
          absl::StrJoin(roi, ","), "]"));
    }
  } else if (!roi.empty()) {
    return absl::InvalidArgumentError(
        "attribute 'roi' applies to coordinate_transformation_mode \"tf_crop_and_resize\" only");
  }
  std::pair<resize2d::Axis, resize2d::Axis> axes;
  for (int k = 0; k < 2; ++k) {
    resize2d::Axis& a = k == 0 ? axes.first : axes.second;
    a.in = x[2 + k];
    a.out = size[k];
    a.scale = scale.empty() ? static_cast<double>(a.out) / a.in : scale[k];
    a.mode = mode;
    a.transform = transform;
    a.rounding = rounding;
    a.cubic_a = attrs.GetFloat("cubic_coeff_a");
    a.exclude_outside = exclude_outside;
    a.roi_start = roi.empty() ? 0.0 : roi[k];
    a.roi_end = roi.empty() ? 1.0 : roi[2 + k];
  }
  return axes;
}

absl::StatusOr<std::vector<Shape>> ResizeShape(const std::vector<Shape>& in, const Attrs& attrs) {
  TS_RETURN_IF_ERROR(AxesOf(in[0], attrs).status());
  const std::vector<int64_t> size = attrs.GetInts("size");
  return std::vector<Shape>{{in[0][0], in[0][1], size[0], size[1]}};
}

TESSERA_REGISTER_OP("resize2d")
    .Input("x")
    .Output("y")
    .RequiredAttr("size", AttrType::kInts)
    .Attr("scale", AttrType::kFloats, FloatsAttr({}))
    .Attr("mode", AttrType::kString, StringAttr("nearest"))
    .Attr("coordinate_transformation_mode", AttrType::kString, StringAttr("half_pixel"))
    .Attr("nearest_mode", AttrType::kString, StringAttr("round_prefer_floor"))
    .Attr("cubic_coeff_a", AttrType::kFloat, FloatAttr(-0.75f))
    .Attr("exclude_outside", AttrType::kBool, BoolAttr(false))
    .Attr("extrapolation_value", AttrType::kFloat, FloatAttr(0.0f))
    .Attr("roi", AttrType::kFloats, FloatsAttr({}))
    .Doc("Resizes H and W of NCHW to any size: nearest, linear or cubic (ONNX Resize).")
    .ShapeFn(ResizeShape)
    // The gradient reads only shapes.
    .GradientReads({}, {})
    .Flops([](const std::vector<Shape>&, const std::vector<Shape>& out, const Attrs& attrs) {
      // A multiply-add per tap pair: 1, 2 x 2 or 4 x 4 taps, plus the rows.
      const std::string& mode = attrs.GetString("mode");
      const double taps = mode == "cubic" ? 4 : mode == "linear" ? 2 : 0;
      return 2.0 * taps * (taps + 1) * NumElements(out[0]);
    });

struct Dims {
  int64_t planes, h, w, oh, ow;
};

Dims DimsOf(const Tensor& x, const Tensor& y) {
  return {x.dim(0) * x.dim(1), x.dim(2), x.dim(3), y.dim(2), y.dim(3)};
}

// Every output cell's taps along one axis, computed once per call (the
// reference recomputes them for every output element).
std::vector<resize2d::Taps> TapTable(const resize2d::Axis& a) {
  std::vector<resize2d::Taps> taps(a.out);
  for (int64_t o = 0; o < a.out; ++o) taps[o] = resize2d::TapsOf(o, a);
  return taps;
}

// Rows of ForwardAt at once: for each row tap a, the column taps of input
// row index[a] (GatherRow), times the row weight, added in double in
// ForwardAt's order, so the result is the same to the bit.
absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(const auto axes, AxesOf(in[0].shape(), ctx.attrs));
  const Dims d = DimsOf(in[0], out[0]);
  const float extrapolation_value = ctx.attrs.GetFloat("extrapolation_value");
  const float* x = in[0].data();
  float* y = out[0].data();
  const std::vector<resize2d::Taps> row_taps = TapTable(axes.first);
  const std::vector<resize2d::Taps> col_taps = TapTable(axes.second);
  // Column taps tap-major: index[b * ow + j], weight[b * ow + j].
  const int taps = col_taps.empty() ? 0 : col_taps[0].n;
  std::vector<int32_t> index(taps * d.ow);
  std::vector<double> weight(taps * d.ow);
  for (int64_t j = 0; j < d.ow; ++j) {
    for (int b = 0; b < taps; ++b) {
      index[b * d.ow + j] = static_cast<int32_t>(col_taps[j].index[b]);
      weight[b * d.ow + j] = col_taps[j].weight[b];
    }
  }
  ParallelFor(d.planes * d.oh, std::max<int64_t>(1, (1 << 13) / std::max<int64_t>(1, d.ow)),
              [&](int64_t begin, int64_t end) {
                std::vector<double> row(d.ow), acc(d.ow);
                for (int64_t r = begin; r < end; ++r) {
                  const int64_t c = r / d.oh, i = r % d.oh;
                  const resize2d::Taps& tr = row_taps[i];
                  float* yr = y + r * d.ow;
                  if (tr.extrapolate) {
                    simd::Fill(extrapolation_value, yr, d.ow);
                    continue;
                  }
                  std::fill(acc.begin(), acc.end(), 0.0);
                  for (int a = 0; a < tr.n; ++a) {
                    resize2d::GatherRow(x + (c * d.h + tr.index[a]) * d.w, index.data(),
                                        weight.data(), taps, d.ow, row.data());
                    resize2d::AddScaledRow(tr.weight[a], row.data(), d.ow, acc.data());
                  }
                  resize2d::DemoteRow(acc.data(), d.ow, yr);
                  for (int64_t j = 0; j < d.ow; ++j) {
                    if (col_taps[j].extrapolate) yr[j] = extrapolation_value;
                  }
                }
              });
  return absl::OkStatus();
}

// The weight with which output cell o's taps read input cell p (0 if none).
double WeightOf(const resize2d::Taps& t, int64_t p) {
  double w = 0;
  for (int k = 0; k < t.n; ++k) w += t.index[k] == p ? t.weight[k] : 0.0;
  return w;
}

// GradientAt with the taps looked up in tables rather than recomputed: the
// same sums in the same order.
absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  Tensor& dx = args.input_grads[0];
  TS_ASSIGN_OR_RETURN(const auto axes, AxesOf(dx.shape(), ctx.attrs));
  const Dims d = DimsOf(dx, args.output_grads[0]);
  const std::vector<resize2d::Taps> row_taps = TapTable(axes.first);
  const std::vector<resize2d::Taps> col_taps = TapTable(axes.second);
  // Per input column q, the output columns that read it, [j0, j1), and
  // their weights (0 for an extrapolated column, which GradientAt skips).
  std::vector<int64_t> j0(d.w), j1(d.w), first(d.w + 1, 0);
  std::vector<double> col_weight;
  for (int64_t q = 0; q < d.w; ++q) {
    resize2d::Readers(q, axes.second, &j0[q], &j1[q]);
    first[q] = static_cast<int64_t>(col_weight.size());
    for (int64_t j = j0[q]; j < j1[q]; ++j) {
      col_weight.push_back(col_taps[j].extrapolate ? 0.0 : WeightOf(col_taps[j], q));
    }
  }
  const float* dy = args.output_grads[0].data();
  float* dxp = dx.data();
  // A gather: each dx element is written once, so chunks never overlap.
  ParallelFor(d.planes * d.h, std::max<int64_t>(1, (1 << 12) / std::max<int64_t>(1, d.w)),
              [&](int64_t begin, int64_t end) {
                for (int64_t r = begin; r < end; ++r) {
                  const int64_t c = r / d.h, p = r % d.h;
                  const float* dyc = dy + c * d.oh * d.ow;
                  int64_t i0, i1;
                  resize2d::Readers(p, axes.first, &i0, &i1);
                  for (int64_t q = 0; q < d.w; ++q) {
                    const double* wc = col_weight.data() + first[q];
                    double sum = 0;
                    for (int64_t i = i0; i < i1; ++i) {
                      const resize2d::Taps& tr = row_taps[i];
                      if (tr.extrapolate) continue;
                      const double wr = WeightOf(tr, p);
                      const float* dyr = dyc + i * d.ow;
                      for (int64_t j = j0[q]; j < j1[q]; ++j) {
                        if (col_taps[j].extrapolate) continue;
                        sum += wr * wc[j - j0[q]] * dyr[j];
                      }
                    }
                    dxp[r * d.w + q] = static_cast<float>(sum);
                  }
                }
              });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("resize2d", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in resize2d.cu; images are `planes` planes of h x w, resized to
// the axes' out sizes.
namespace cuda {
void Resize2dForward(const float* x, float* y, int64_t planes, const resize2d::Axis& rows,
                     const resize2d::Axis& cols, float extrapolation_value, cudaStream_t stream);
void Resize2dGradient(const float* dy, float* dx, int64_t planes, const resize2d::Axis& rows,
                      const resize2d::Axis& cols, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(const auto axes, AxesOf(in[0].shape(), ctx.attrs));
  cuda::Resize2dForward(in[0].data(), out[0].data(), in[0].dim(0) * in[0].dim(1), axes.first,
                        axes.second, ctx.attrs.GetFloat("extrapolation_value"),
                        CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("resize2d forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  Tensor& dx = args.input_grads[0];
  TS_ASSIGN_OR_RETURN(const auto axes, AxesOf(dx.shape(), ctx.attrs));
  cuda::Resize2dGradient(args.output_grads[0].data(), dx.data(), dx.dim(0) * dx.dim(1), axes.first,
                         axes.second, CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("resize2d gradient");
}

TESSERA_REGISTER_KERNEL("resize2d", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
