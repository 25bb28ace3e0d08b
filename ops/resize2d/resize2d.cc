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

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"

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

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(const auto axes, AxesOf(in[0].shape(), ctx.attrs));
  const Dims d = DimsOf(in[0], out[0]);
  const float extrapolation_value = ctx.attrs.GetFloat("extrapolation_value");
  const float* x = in[0].data();
  float* y = out[0].data();
  ParallelFor(d.planes * d.oh, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t c = r / d.oh, i = r % d.oh;
      for (int64_t j = 0; j < d.ow; ++j) {
        y[r * d.ow + j] = resize2d::ForwardAt(x + c * d.h * d.w, i, j, d.w, axes.first, axes.second,
                                              extrapolation_value);
      }
    }
  });
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  Tensor& dx = args.input_grads[0];
  TS_ASSIGN_OR_RETURN(const auto axes, AxesOf(dx.shape(), ctx.attrs));
  const Dims d = DimsOf(dx, args.output_grads[0]);
  // The output columns that read each input column.
  std::vector<int64_t> j0(d.w), j1(d.w);
  for (int64_t q = 0; q < d.w; ++q) resize2d::Readers(q, axes.second, &j0[q], &j1[q]);
  const float* dy = args.output_grads[0].data();
  float* dxp = dx.data();
  // A gather: each dx element is written once, so chunks never overlap.
  ParallelFor(d.planes * d.h, 16, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t c = r / d.h, p = r % d.h;
      int64_t i0, i1;
      resize2d::Readers(p, axes.first, &i0, &i1);
      for (int64_t q = 0; q < d.w; ++q) {
        dxp[r * d.w + q] = resize2d::GradientAt(dy + c * d.oh * d.ow, p, q, d.ow, axes.first,
                                                axes.second, i0, i1, j0[q], j1[q]);
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
