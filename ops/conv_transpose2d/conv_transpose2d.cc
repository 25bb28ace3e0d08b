// conv_transpose2d: the transposed 2-D convolution, as PyTorch's
// nn.ConvTranspose2d, i.e. the exact adjoint of conv2d with the same weight.
//
// x is [N, Cin, H, W], weight is [Cin, Cout/groups, kH, kW] (IOHW) and the
// optional bias is [Cout]; y is [N, Cout, Hout, Wout] with
//   Hout = (H - 1) stride_h - 2 pad_h + dil_h (kH - 1) + output_padding_h + 1
// and likewise Wout. output_padding only adds rows/columns at the far edge
// (to pick among the input sizes that a strided conv2d maps to one size).
//
// Seen from conv2d, y is the image and x the convolution's output, so per
// image and group: col = W_g^T x, y = col2im(col) (+ b). Gradients:
//   dx  = W_g im2col(dy),   dW_g = sum over images of x im2col(dy)^T,
//   db  = sum of dy over images and pixels.

#include <vector>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "ops/common/gemm.h"
#include "ops/common/im2col.h"

#if TESSERA_CUDA
#include "ops/common/cudnn_conv.h"
#endif

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> ConvTranspose2dShape(const std::vector<Shape>& in,
                                                        const Attrs& attrs) {
  const Shape& x = in[0];
  const Shape& w = in[1];
  TS_RETURN_IF_ERROR(ExpectRank(x, 4, "input x [N, Cin, H, W]"));
  TS_RETURN_IF_ERROR(ExpectRank(w, 4, "weight [Cin, Cout/groups, kH, kW]"));
  TS_RETURN_IF_ERROR(conv::ExpectPositiveDims(x, "input x"));
  TS_RETURN_IF_ERROR(conv::ExpectPositiveDims(w, "weight"));
  TS_ASSIGN_OR_RETURN(const conv::ConvAttrs a, conv::ReadConvAttrs(attrs));
  TS_ASSIGN_OR_RETURN(const auto output_padding, conv::SpatialAttr(attrs, "output_padding", 0));
  if (x[1] % a.groups != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("x has ", x[1], " channels, not divisible by groups = ", a.groups));
  }
  if (w[0] != x[1]) {
    return absl::InvalidArgumentError(absl::StrCat("weight ", ShapeToString(w), " expects ", w[0],
                                                   " input channels but x ", ShapeToString(x),
                                                   " has ", x[1]));
  }
  const int64_t out_channels = w[1] * a.groups;
  if (in.size() == 3 && in[2] != Shape{out_channels}) {
    return absl::InvalidArgumentError(
        absl::StrCat("bias must have shape [", out_channels, "] (Cout = ", w[1],
                     " per group x groups = ", a.groups, "), got ", ShapeToString(in[2])));
  }
  Shape y = {x[0], out_channels, 0, 0};
  const char* axis[2] = {"height", "width"};
  for (int i = 0; i < 2; ++i) {
    // PyTorch's rule: beyond this the extra pixels would belong to the next
    // input position and the op would no longer be conv2d's adjoint.
    if (output_padding[i] >= a.stride[i] && output_padding[i] >= a.dilation[i]) {
      return absl::InvalidArgumentError(absl::StrCat(
          "output_padding ", axis[i], " ", output_padding[i],
          " must be smaller than either stride ", a.stride[i], " or dilation ", a.dilation[i]));
    }
    y[2 + i] = (x[2 + i] - 1) * a.stride[i] - 2 * a.padding[i] + a.dilation[i] * (w[2 + i] - 1) +
               output_padding[i] + 1;
    if (y[2 + i] <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "output ", axis[i], " (", x[2 + i], " - 1) * ", a.stride[i], " - 2 * ", a.padding[i],
          " + ", a.dilation[i], " * (", w[2 + i], " - 1) + ", output_padding[i],
          " + 1 = ", y[2 + i], " is not positive: padding too large"));
    }
  }
  return std::vector<Shape>{y};
}

TESSERA_REGISTER_OP("conv_transpose2d")
    .Input("x")
    .Input("weight")
    .OptionalInput("bias")
    .Output("y")
    .Attr("stride", AttrType::kInts, IntsAttr({1, 1}))
    .Attr("padding", AttrType::kInts, IntsAttr({0, 0}))
    .Attr("output_padding", AttrType::kInts, IntsAttr({0, 0}))
    .Attr("dilation", AttrType::kInts, IntsAttr({1, 1}))
    .Attr("groups", AttrType::kInt, IntAttr(1))
    .Doc(
        "Transposed 2-D convolution as PyTorch's ConvTranspose2d: x NCHW, weight "
        "[Cin, Cout/groups, kH, kW]; the adjoint of conv2d.")
    .ShapeFn(ConvTranspose2dShape)
    // The gradient reads x and the weight, never y.
    .GradientReads({0, 1, 2}, {})
    .Flops([](const std::vector<Shape>& in, const std::vector<Shape>&, const Attrs&) {
      // Every input pixel scatters into a kH x kW window of each output
      // channel of its group: 2 * N * Cin * H * W * (Cout / groups) * kH * kW.
      if (in.size() < 2 || in[1].size() != 4) return -1.0;
      return 2.0 * NumElements(in[0]) * in[1][1] * in[1][2] * in[1][3];
    })
    // The CPU kernels' column buffer of one image, forward and gradient.
    .Workspace("col2im", [](const std::vector<Shape>& in, const std::vector<Shape>&, const Attrs&) {
      OpWorkspace w;
      if (in.size() < 2 || in[0].size() != 4 || in[1].size() != 4) return w;
      const double col = 4.0 * in[1][1] * in[1][2] * in[1][3] * in[0][2] * in[0][3];
      w.forward_bytes = col;
      w.gradient_bytes = {col, col};
      return w;
    });

// Sizes of one call, read from the (already validated) shapes and attributes.
struct Problem {
  int64_t batch, in_channels, out_channels, groups;
  int64_t in_per_group;  // Cin / groups
  // conv2d's view: over one group of one output image y, producing x's pixels.
  conv::ConvGeometry geometry;

  int64_t x_size() const { return in_channels * geometry.col_cols(); }
  int64_t y_size() const { return out_channels * geometry.in_h * geometry.in_w; }
  // Weight rows of one group, each col_rows() long.
  int64_t weight_group_size() const { return in_per_group * geometry.col_rows(); }
};

absl::StatusOr<Problem> MakeProblem(const Attrs& attrs, const Tensor& x, const Tensor& w,
                                    const Tensor& y) {
  Problem p;
  TS_ASSIGN_OR_RETURN(p.geometry.attrs, conv::ReadConvAttrs(attrs));
  p.batch = x.dim(0);
  p.in_channels = x.dim(1);
  p.groups = p.geometry.attrs.groups;
  p.in_per_group = p.in_channels / p.groups;
  p.out_channels = w.dim(1) * p.groups;
  p.geometry.channels = w.dim(1);
  p.geometry.in_h = y.dim(2);
  p.geometry.in_w = y.dim(3);
  p.geometry.kernel_h = w.dim(2);
  p.geometry.kernel_w = w.dim(3);
  p.geometry.out_h = x.dim(2);
  p.geometry.out_w = x.dim(3);
  return p;
}

absl::Status ConvTranspose2dForward(KernelContext& ctx, const std::vector<Tensor>& in,
                                    std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(const Problem p, MakeProblem(ctx.attrs, in[0], in[1], out[0]));
  const conv::ConvGeometry& g = p.geometry;
  std::vector<float> col(g.col_rows() * g.col_cols());
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t grp = 0; grp < p.groups; ++grp) {
      const float* x = in[0].data() + n * p.x_size() + grp * p.in_per_group * g.col_cols();
      Gemm(true, false, g.col_rows(), g.col_cols(), p.in_per_group,
           in[1].data() + grp * p.weight_group_size(), x, col.data(), false);
      conv::Col2im(g, col.data(), out[0].data() + n * p.y_size() + grp * g.image_size());
    }
  }
  if (in.size() == 3) {
    conv::AddBias(in[2].data(), p.batch, p.out_channels, g.in_h * g.in_w, out[0].data());
  }
  return absl::OkStatus();
}

absl::Status ConvTranspose2dGradient(KernelContext& ctx, GradientArgs& args) {
  const Tensor& x = args.inputs[0];
  const Tensor& w = args.inputs[1];
  const Tensor& dy = args.output_grads[0];
  TS_ASSIGN_OR_RETURN(const Problem p, MakeProblem(ctx.attrs, x, w, dy));
  const conv::ConvGeometry& g = p.geometry;
  std::vector<float> col(g.col_rows() * g.col_cols());
  Tensor& dx = args.input_grads[0];
  Tensor& dw = args.input_grads[1];
  if (dx.defined() || dw.defined()) {
    for (int64_t n = 0; n < p.batch; ++n) {
      for (int64_t grp = 0; grp < p.groups; ++grp) {
        conv::Im2col(g, dy.data() + n * p.y_size() + grp * g.image_size(), col.data());
        const int64_t x_offset = n * p.x_size() + grp * p.in_per_group * g.col_cols();
        const int64_t weight_offset = grp * p.weight_group_size();
        if (dx.defined()) {
          Gemm(false, false, p.in_per_group, g.col_cols(), g.col_rows(), w.data() + weight_offset,
               col.data(), dx.data() + x_offset, false);
        }
        if (dw.defined()) {
          // Images are summed in order (n = 0 overwrites), so dW is deterministic.
          Gemm(false, true, p.in_per_group, g.col_rows(), g.col_cols(), x.data() + x_offset,
               col.data(), dw.data() + weight_offset, n > 0);
        }
      }
    }
  }
  if (args.input_grads.size() == 3 && args.input_grads[2].defined()) {
    conv::BiasGradient(dy.data(), p.batch, p.out_channels, g.in_h * g.in_w,
                       args.input_grads[2].data());
  }
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("conv_transpose2d", Device::kCpu, ConvTranspose2dForward,
                        ConvTranspose2dGradient);

}  // namespace

#if TESSERA_CUDA
// Defined in conv_transpose2d.cu.
namespace cuda {
// dst [planes, dst_h, dst_w] = src [planes, src_h, src_w] zero-padded or
// cropped at the bottom and right.
void ConvTranspose2dCopyWindow(const float* src, float* dst, int64_t planes, int64_t src_h,
                               int64_t src_w, int64_t dst_h, int64_t dst_w, cudaStream_t stream);
}  // namespace cuda

namespace {

// conv_transpose2d(x, W) is the adjoint of the convolution conv2d(., W) that
// maps an image the size of y onto x's pixels, with the same padding, stride,
// dilation and groups. So cuDNN computes the forward pass as that
// convolution's backward data (x in the role of its output gradient), the
// input gradient as its forward pass over dy, and the weight gradient as its
// backward filter with dy as the image and x as the output gradient. The
// weight [Cin, Cout/groups, kH, kW] is exactly cuDNN's filter [K, C/groups,
// R, S] of that convolution.
//
// cuDNN derives the convolution's output size from the image:
//   Ho = floor((Hy + 2 pad - dil (kH - 1) - 1) / stride) + 1
//      = H + floor(output_padding / stride),
// larger than x when output_padding >= stride (allowed while it is below the
// dilation), likewise Wo. The CPU's operator is then the adjoint of the
// convolution restricted to its first H rows and W columns (the others read
// pixels that no x pixel reaches). So x is zero-padded to [Ho, Wo] wherever
// it is read, and the input gradient, computed at [Ho, Wo], is cropped to x's
// size: the extra rows and columns contribute nothing and receive nothing.
struct TransposeProblem {
  conv::CudnnConv c;  // image: y's shape, out: conv_out
  Shape conv_out;     // [N, Cin, Ho, Wo]
  bool padded;        // conv_out is larger than x
};

absl::StatusOr<TransposeProblem> MakeTransposeProblem(const Attrs& attrs, const Tensor& x,
                                                      const Tensor& w, const Shape& y) {
  TS_ASSIGN_OR_RETURN(const conv::ConvAttrs a, conv::ReadConvAttrs(attrs));
  TransposeProblem p;
  p.conv_out = {x.dim(0), x.dim(1),
                conv::ConvOutputSize(y[2], w.dim(2), a.stride[0], a.padding[0], a.dilation[0]),
                conv::ConvOutputSize(y[3], w.dim(3), a.stride[1], a.padding[1], a.dilation[1])};
  if (p.conv_out[2] < x.dim(2) || p.conv_out[3] < x.dim(3)) {
    return absl::InternalError(absl::StrCat("conv_transpose2d: the convolution over ",
                                            ShapeToString(y), " gives ", ShapeToString(p.conv_out),
                                            ", smaller than x ", ShapeToString(x.shape())));
  }
  p.padded = p.conv_out != x.shape();
  TS_ASSIGN_OR_RETURN(p.c, conv::MakeCudnnConv(y, w.shape(), p.conv_out, a));
  return p;
}

// x as the convolution's output gradient: x itself, or x zero-padded to
// conv_out.
absl::StatusOr<Tensor> ConvOutputFromX(CudaContext& context, const TransposeProblem& p,
                                       const Tensor& x) {
  if (!p.padded) return x;
  Tensor padded = Tensor::Empty(p.conv_out, Device::kCuda);
  cuda::ConvTranspose2dCopyWindow(x.data(), padded.data(), x.dim(0) * x.dim(1), x.dim(2), x.dim(3),
                                  p.conv_out[2], p.conv_out[3], context.stream);
  TS_RETURN_IF_ERROR(CudaLaunchStatus("conv_transpose2d: zero-pad x"));
  return padded;
}

absl::Status ConvTranspose2dForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                                       std::vector<Tensor>& out) {
  CudaContext& context = CudaContextOf(ctx.backend);
  TS_ASSIGN_OR_RETURN(const TransposeProblem p,
                      MakeTransposeProblem(ctx.attrs, in[0], in[1], out[0].shape()));
  TS_ASSIGN_OR_RETURN(const Tensor x, ConvOutputFromX(context, p, in[0]));
  TS_RETURN_IF_ERROR(
      conv::CudnnConvBackwardData(context, p.c, in[1].data(), x.data(), out[0].data()));
  if (in.size() == 3) {
    TS_RETURN_IF_ERROR(conv::CudnnAddBias(context, out[0].shape(), in[2].data(), out[0].data()));
  }
  return absl::OkStatus();
}

absl::Status ConvTranspose2dGradientGpu(KernelContext& ctx, GradientArgs& args) {
  CudaContext& context = CudaContextOf(ctx.backend);
  const Tensor& x = args.inputs[0];
  const Tensor& w = args.inputs[1];
  const Tensor& dy = args.output_grads[0];
  Tensor& dx = args.input_grads[0];
  Tensor& dw = args.input_grads[1];
  if (dx.defined() || dw.defined()) {
    TS_ASSIGN_OR_RETURN(const TransposeProblem p,
                        MakeTransposeProblem(ctx.attrs, x, w, dy.shape()));
    if (dx.defined() && !p.padded) {
      TS_RETURN_IF_ERROR(conv::CudnnConvForward(context, p.c, dy.data(), w.data(), dx.data()));
    } else if (dx.defined()) {
      Tensor full = Tensor::Empty(p.conv_out, Device::kCuda);
      TS_RETURN_IF_ERROR(conv::CudnnConvForward(context, p.c, dy.data(), w.data(), full.data()));
      cuda::ConvTranspose2dCopyWindow(full.data(), dx.data(), x.dim(0) * x.dim(1), p.conv_out[2],
                                      p.conv_out[3], x.dim(2), x.dim(3), context.stream);
      TS_RETURN_IF_ERROR(CudaLaunchStatus("conv_transpose2d: crop dx"));
    }
    if (dw.defined()) {
      TS_ASSIGN_OR_RETURN(const Tensor conv_out_grad, ConvOutputFromX(context, p, x));
      TS_RETURN_IF_ERROR(
          conv::CudnnConvBackwardFilter(context, p.c, dy.data(), conv_out_grad.data(), dw.data()));
    }
  }
  if (args.input_grads.size() == 3 && args.input_grads[2].defined()) {
    TS_RETURN_IF_ERROR(
        conv::CudnnBiasGradient(context, dy.shape(), dy.data(), args.input_grads[2].data()));
  }
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("conv_transpose2d", Device::kCuda, ConvTranspose2dForwardGpu,
                        ConvTranspose2dGradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
