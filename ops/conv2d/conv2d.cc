// conv2d: 2-D convolution (cross-correlation), as PyTorch's nn.Conv2d.
//
// x is [N, C, H, W], weight is [O, C/groups, kH, kW] (OIHW) and the optional
// bias is [O]; y is [N, O, Hout, Wout] with
//   Hout = floor((H + 2 pad_h - dil_h (kH - 1) - 1) / stride_h) + 1
// and likewise Wout. Input channel group g (C/groups channels) feeds output
// channel group g (O/groups channels).
//
// Per image (or several side by side) and group: y = W_g im2col(x) (+ b),
// an implicit GEMM that packs im2col's blocks straight from x (or from its
// stride phases, conv::PhaseLayout). Gradients:
//   dx  = for stride 1, the convolution of dy with the weight turned by 180
//         degrees and its channel axes swapped (the same implicit GEMM, no
//         column buffer); otherwise col2im(W_g^T dy),
//   dW_g = sum over images of dy col^T,   db = sum of dy over images and pixels.
// Stride-1 3x3 convolutions with enough channels and pixels take Winograd
// F(4x4, 3x3) instead (ops/common/winograd.h), forward and for dx; other
// undilated ones a direct convolution (direct_conv.h) where it measured
// faster than the implicit GEMM.

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/gemm.h"
#include "ops/common/im2col.h"
#include "ops/common/winograd.h"
#include "ops/conv2d/direct_conv.h"

#if TESSERA_CUDA
#include "ops/common/cudnn_conv.h"
#endif

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> Conv2dShape(const std::vector<Shape>& in, const Attrs& attrs) {
  const Shape& x = in[0];
  const Shape& w = in[1];
  TS_RETURN_IF_ERROR(ExpectRank(x, 4, "input x [N, C, H, W]"));
  TS_RETURN_IF_ERROR(ExpectRank(w, 4, "weight [O, C/groups, kH, kW]"));
  TS_RETURN_IF_ERROR(conv::ExpectPositiveDims(x, "input x"));
  TS_RETURN_IF_ERROR(conv::ExpectPositiveDims(w, "weight"));
  TS_ASSIGN_OR_RETURN(const conv::ConvAttrs a, conv::ReadConvAttrs(attrs));
  if (x[1] % a.groups != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("x has ", x[1], " channels, not divisible by groups = ", a.groups));
  }
  if (w[0] % a.groups != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("weight ", ShapeToString(w), " has ", w[0],
                     " output channels, not divisible by groups = ", a.groups));
  }
  if (w[1] * a.groups != x[1]) {
    return absl::InvalidArgumentError(absl::StrCat(
        "weight ", ShapeToString(w), " expects ", w[1], " input channels per group (",
        w[1] * a.groups, " with groups = ", a.groups, ") but x ", ShapeToString(x), " has ", x[1]));
  }
  if (in.size() == 3 && in[2] != Shape{w[0]}) {
    return absl::InvalidArgumentError(
        absl::StrCat("bias must have shape [", w[0], "], got ", ShapeToString(in[2])));
  }
  Shape y = {x[0], w[0], 0, 0};
  const char* axis[2] = {"height", "width"};
  for (int i = 0; i < 2; ++i) {
    y[2 + i] = conv::ConvOutputSize(x[2 + i], w[2 + i], a.stride[i], a.padding[i], a.dilation[i]);
    if (y[2 + i] <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kernel ", axis[i], " ", w[2 + i], " with dilation ", a.dilation[i], " spans ",
          a.dilation[i] * (w[2 + i] - 1) + 1, " pixels, more than the padded input ", axis[i], " ",
          x[2 + i], " + 2*", a.padding[i]));
    }
  }
  return std::vector<Shape>{y};
}

TESSERA_REGISTER_OP("conv2d")
    .Input("x")
    .Input("weight")
    .OptionalInput("bias")
    .Output("y")
    .Attr("stride", AttrType::kInts, IntsAttr({1, 1}))
    .Attr("padding", AttrType::kInts, IntsAttr({0, 0}))
    .Attr("dilation", AttrType::kInts, IntsAttr({1, 1}))
    .Attr("groups", AttrType::kInt, IntAttr(1))
    .Doc("2-D convolution as PyTorch's Conv2d: x NCHW, weight [O, C/groups, kH, kW], zero padding.")
    .ShapeFn(Conv2dShape)
    // The gradient reads x and the weight (for the weight and x gradients), never y.
    .GradientReads({0, 1, 2}, {})
    .Flops([](const std::vector<Shape>& in, const std::vector<Shape>& out, const Attrs&) {
      // 2 * N * O * Hout * Wout * (C / groups) * kH * kW; the bias is not counted.
      if (in.size() < 2 || in[1].size() != 4 || out.empty()) return -1.0;
      return 2.0 * NumElements(out[0]) * in[1][1] * in[1][2] * in[1][3];
    })
    // The CPU kernels' scratch (below): the forward's GEMM output for images
    // side by side (ImagesPerForwardGemm), and dx's column and GEMM buffers
    // of ImagesPerChunk images (Col2imInputGradient; an upper bound where dx
    // runs as a convolution or by Winograd); dw packs small panels only.
    .Workspace("im2col", [](const std::vector<Shape>& in, const std::vector<Shape>& out,
                            const Attrs& attrs) {
      OpWorkspace w;
      if (in.size() < 2 || in[0].size() != 4 || in[1].size() != 4 || out.empty()) return w;
      const double batch = in[0][0], out_per_group = in[1][0] / attrs.GetInt("groups");
      const double rows = in[1][1] * in[1][2] * in[1][3], pixels = out[0][2] * out[0][3];
      if (batch < 1 || pixels < 1) return w;
      const double images = pixels >= 1024 ? 1 : std::min(std::ceil(4096 / pixels), batch);
      if (images > 1) w.forward_bytes = 4 * out_per_group * images * pixels;
      // The direct convolution's phases and packed weight, forward and for dx.
      conv::ConvGeometry g;
      g.channels = in[1][1];
      g.in_h = in[0][2];
      g.in_w = in[0][3];
      g.kernel_h = in[1][2];
      g.kernel_w = in[1][3];
      g.out_h = out[0][2];
      g.out_w = out[0][3];
      const auto a = conv::ReadConvAttrs(attrs);
      double direct = 0, direct_dx = 0;
      if (a.ok()) {
        g.attrs = *a;
        direct = 4.0 * conv::DirectConvScratchFloats(g, batch, a->groups, out_per_group);
        // dx as a convolution of dy (InputGradientAsConvolution).
        conv::ConvGeometry q = g;
        q.channels = out_per_group;
        std::swap(q.in_h, q.out_h);
        std::swap(q.in_w, q.out_w);
        q.attrs.padding = {std::max<int64_t>(0, g.kernel_h - 1 - a->padding[0]),
                           std::max<int64_t>(0, g.kernel_w - 1 - a->padding[1])};
        direct_dx = 4.0 * conv::DirectConvScratchFloats(q, batch, a->groups, g.channels);
      }
      w.forward_bytes = std::max<double>(w.forward_bytes, direct);
      const double chunk = std::clamp(std::floor((1 << 22) / (rows * pixels)), 1.0, batch);
      w.gradient_bytes = {std::max(4 * (rows + out_per_group) * chunk * pixels, direct_dx)};
      return w;
    });

// Sizes of one call, read from the (already validated) shapes and attributes.
struct Conv2dProblem {
  int64_t batch, in_channels, out_channels, groups;
  int64_t out_per_group;        // O / groups
  conv::ConvGeometry geometry;  // over one group of one input image

  int64_t image_size() const { return in_channels * geometry.in_h * geometry.in_w; }
  int64_t out_size() const { return out_channels * geometry.col_cols(); }
  // Weight rows of one group, each col_rows() long.
  int64_t weight_group_size() const { return out_per_group * geometry.col_rows(); }
};

absl::StatusOr<Conv2dProblem> MakeProblem(const Attrs& attrs, const Tensor& x, const Tensor& w,
                                          const Tensor& y) {
  Conv2dProblem p;
  TS_ASSIGN_OR_RETURN(p.geometry.attrs, conv::ReadConvAttrs(attrs));
  p.batch = x.dim(0);
  p.in_channels = x.dim(1);
  p.out_channels = w.dim(0);
  p.groups = p.geometry.attrs.groups;
  p.out_per_group = p.out_channels / p.groups;
  p.geometry.channels = w.dim(1);
  p.geometry.in_h = x.dim(2);
  p.geometry.in_w = x.dim(3);
  p.geometry.kernel_h = w.dim(2);
  p.geometry.kernel_w = w.dim(3);
  p.geometry.out_h = y.dim(2);
  p.geometry.out_w = y.dim(3);
  return p;
}

// Images per GEMM: the columns of several images side by side make one
// wide matrix, so that late layers with few output pixels (AlexNet's conv3-5
// have 13x13 or fewer) still give the GEMM enough columns. The chunk depends
// only on the shapes, so results do not depend on the thread count.
int64_t ImagesPerChunk(const conv::ConvGeometry& g, int64_t batch) {
  // Tests: two or more chunks, the last one short when batch is odd.
  if (SmallChunksForTesting()) return std::max<int64_t>(1, (batch + 1) / 2);
  constexpr int64_t kColBudget = int64_t{1} << 22;  // floats in the column buffer (16 MiB)
  return std::clamp<int64_t>(kColBudget / std::max<int64_t>(1, g.col_rows() * g.col_cols()), 1,
                             batch);
}

// Moves [out_per_group, count * pixels] (images side by side) to or from
// the NCHW tensor's group slice.
void ScatterToNchw(const Conv2dProblem& p, int64_t n0, int64_t count, int64_t grp,
                   const float* wide, float* y) {
  const int64_t pixels = p.geometry.col_cols(), ld = count * pixels;
  for (int64_t j = 0; j < count; ++j) {
    for (int64_t o = 0; o < p.out_per_group; ++o) {
      const float* src = wide + o * ld + j * pixels;
      std::copy(src, src + pixels,
                y + (n0 + j) * p.out_size() + (grp * p.out_per_group + o) * pixels);
    }
  }
}

void GatherFromNchw(const Conv2dProblem& p, int64_t n0, int64_t count, int64_t grp, const float* y,
                    float* wide) {
  const int64_t pixels = p.geometry.col_cols(), ld = count * pixels;
  for (int64_t j = 0; j < count; ++j) {
    for (int64_t o = 0; o < p.out_per_group; ++o) {
      const float* src = y + (n0 + j) * p.out_size() + (grp * p.out_per_group + o) * pixels;
      std::copy(src, src + pixels, wide + o * ld + j * pixels);
    }
  }
}

// Images per forward GEMM: one when an image has pixels enough for the
// GEMM's columns (its output then lands in y directly), else enough images
// side by side to give it a few thousand columns.
int64_t ImagesPerForwardGemm(const conv::ConvGeometry& g, int64_t batch) {
  const int64_t pixels = g.col_cols();
  if (pixels >= 1024) return 1;
  return std::clamp<int64_t>((4096 + pixels - 1) / pixels, 1, batch);
}

// The Winograd forms, group by group: y = conv(x, W_g), and dx = conv(dy,
// W_g turned by 180 degrees with its channel axes swapped), padded by 2 - pad.
void WinogradForward(const Conv2dProblem& p, const float* x, const float* w, const float* bias,
                     float* y) {
  const conv::ConvGeometry& g = p.geometry;
  std::vector<float> u(conv::WinogradWeightSize(p.out_per_group, g.channels));
  for (int64_t grp = 0; grp < p.groups; ++grp) {
    conv::WinogradTransformWeights(w + grp * p.weight_group_size(), p.out_per_group, g.channels,
                                   false, u.data());
    const conv::WinogradConv wc{
        p.batch,           g.channels, g.in_h,  g.in_w,       p.image_size(),
        p.out_per_group,   g.out_h,    g.out_w, p.out_size(), g.attrs.padding[0],
        g.attrs.padding[1]};
    conv::WinogradConv3x3(wc, u.data(), x + grp * g.image_size(),
                          bias != nullptr ? bias + grp * p.out_per_group : nullptr,
                          y + grp * p.out_per_group * g.col_cols());
  }
}

void WinogradInputGradient(const Conv2dProblem& p, const float* w, const float* dy, float* dx) {
  const conv::ConvGeometry& g = p.geometry;
  std::vector<float> u(conv::WinogradWeightSize(g.channels, p.out_per_group));
  for (int64_t grp = 0; grp < p.groups; ++grp) {
    conv::WinogradTransformWeights(w + grp * p.weight_group_size(), g.channels, p.out_per_group,
                                   true, u.data());
    const conv::WinogradConv wc{p.batch,
                                p.out_per_group,
                                g.out_h,
                                g.out_w,
                                p.out_size(),
                                g.channels,
                                g.in_h,
                                g.in_w,
                                p.image_size(),
                                2 - g.attrs.padding[0],
                                2 - g.attrs.padding[1]};
    conv::WinogradConv3x3(wc, u.data(), dy + grp * p.out_per_group * g.col_cols(), nullptr,
                          dx + grp * g.image_size());
  }
}

// y = conv(x, w) without bias: per chunk of images and group, an implicit
// GEMM whose im2col matrix is packed block by block from x, or from its
// stride phases (conv::PhaseLayout) when copies would otherwise be clamped
// or strided.
void ImplicitGemmForward(const Conv2dProblem& p, const float* x, const float* w, float* y) {
  const conv::ConvGeometry& g = p.geometry;
  const int64_t chunk = ImagesPerForwardGemm(g, p.batch), pixels = g.col_cols();
  std::vector<float> wide(chunk > 1 ? p.out_per_group * chunk * pixels : 0);
  const bool phased = conv::UsePhases(g);
  const conv::PhaseLayout layout = conv::MakePhaseLayout(g);
  const int64_t phased_image = p.in_channels * layout.channel();
  std::vector<float> phases(phased ? chunk * phased_image : 0);
  for (int64_t n0 = 0; n0 < p.batch; n0 += chunk) {
    const int64_t count = std::min(chunk, p.batch - n0), ld = count * pixels;
    for (int64_t j = 0; phased && j < count; ++j) {
      conv::SplitPhases(g, layout, p.in_channels, x + (n0 + j) * p.image_size(),
                        phases.data() + j * phased_image);
    }
    for (int64_t grp = 0; grp < p.groups; ++grp) {
      const float* images = x + n0 * p.image_size() + grp * g.image_size();
      const float* group_phases = phases.data() + grp * g.channels * layout.channel();
      const PackBFn pack = [&](int64_t k0, int64_t kc, int64_t c0, int64_t cols, int64_t nr,
                               float* panels) {
        if (phased) {
          conv::PackPhasedPanels(g, layout, group_phases, phased_image, k0, kc, c0, cols, nr,
                                 panels);
        } else {
          conv::PackIm2colPanels(g, images, p.image_size(), k0, kc, c0, cols, nr, panels);
        }
      };
      const float* wg = w + grp * p.weight_group_size();
      if (count == 1) {
        GemmImplicitB(false, p.out_per_group, ld, g.col_rows(), wg, pack,
                      y + n0 * p.out_size() + grp * p.out_per_group * pixels, false);
      } else {
        GemmImplicitB(false, p.out_per_group, ld, g.col_rows(), wg, pack, wide.data(), false);
        ScatterToNchw(p, n0, count, grp, wide.data(), y);
      }
    }
  }
}

// For stride 1 and no dilation, dx is itself a stride-1 convolution: of dy
// with the weight turned by 180 degrees and its channel axes swapped,
// padded by k - 1 - pad; it runs as the forward's implicit GEMM, with no
// column buffer. False when that padding would be negative.
bool InputGradientAsConvolution(const Conv2dProblem& p, const float* w, const float* dy,
                                float* dx) {
  const conv::ConvGeometry& g = p.geometry;
  const auto& a = g.attrs;
  const int64_t pad_h = g.kernel_h - 1 - a.padding[0], pad_w = g.kernel_w - 1 - a.padding[1];
  if (a.stride[0] != 1 || a.stride[1] != 1 || a.dilation[0] != 1 || a.dilation[1] != 1 ||
      pad_h < 0 || pad_w < 0) {
    return false;
  }
  Conv2dProblem q;
  q.batch = p.batch;
  q.in_channels = p.out_channels;
  q.out_channels = p.in_channels;
  q.groups = p.groups;
  q.out_per_group = g.channels;
  q.geometry = g;
  q.geometry.channels = p.out_per_group;
  q.geometry.in_h = g.out_h;
  q.geometry.in_w = g.out_w;
  q.geometry.out_h = g.in_h;
  q.geometry.out_w = g.in_w;
  q.geometry.attrs.padding = {pad_h, pad_w};
  // turned[grp * C_g + c][o][kh][kw] = w[grp * O_g + o][c][kH-1-kh][kW-1-kw].
  std::vector<float> turned(p.out_channels * g.col_rows());
  const int64_t taps = g.kernel_h * g.kernel_w;
  ParallelFor(p.in_channels, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t ci = c0; ci < c1; ++ci) {
      const int64_t grp = ci / g.channels, c = ci % g.channels;
      for (int64_t o = 0; o < p.out_per_group; ++o) {
        const float* src = w + ((grp * p.out_per_group + o) * g.channels + c) * taps;
        float* dst = turned.data() + (ci * p.out_per_group + o) * taps;
        for (int64_t t = 0; t < taps; ++t) dst[t] = src[taps - 1 - t];
      }
    }
  });
  if (conv::UseDirectConv(q.geometry, q.out_per_group)) {
    conv::DirectConvForward(q.geometry, q.batch, q.groups, q.out_per_group, dy, turned.data(),
                            nullptr, dx);
  } else {
    ImplicitGemmForward(q, dy, turned.data(), dx);
  }
  return true;
}

absl::Status Conv2dForward(KernelContext& ctx, const std::vector<Tensor>& in,
                           std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(const Conv2dProblem p, MakeProblem(ctx.attrs, in[0], in[1], out[0]));
  const conv::ConvGeometry& g = p.geometry;
  if (conv::UseWinograd(g, p.out_per_group)) {
    WinogradForward(p, in[0].data(), in[1].data(), in.size() == 3 ? in[2].data() : nullptr,
                    out[0].data());
    return absl::OkStatus();
  }
  if (conv::UseDirectConv(g, p.out_per_group)) {
    conv::DirectConvForward(g, p.batch, p.groups, p.out_per_group, in[0].data(), in[1].data(),
                            in.size() == 3 ? in[2].data() : nullptr, out[0].data());
    return absl::OkStatus();
  }
  ImplicitGemmForward(p, in[0].data(), in[1].data(), out[0].data());
  if (in.size() == 3) {
    conv::AddBias(in[2].data(), p.batch, p.out_channels, g.col_cols(), out[0].data());
  }
  return absl::OkStatus();
}

// dx the general way (strided or dilated): d col = W_g^T dy, then
// scattered back onto the pixels it read.
void Col2imInputGradient(const Conv2dProblem& p, const float* w, const float* dy, float* dx) {
  const conv::ConvGeometry& g = p.geometry;
  const int64_t chunk = ImagesPerChunk(g, p.batch), pixels = g.col_cols();
  std::vector<float> col(g.col_rows() * chunk * pixels), wide(p.out_per_group * chunk * pixels);
  for (int64_t n0 = 0; n0 < p.batch; n0 += chunk) {
    const int64_t count = std::min(chunk, p.batch - n0), ld = count * pixels;
    for (int64_t grp = 0; grp < p.groups; ++grp) {
      GatherFromNchw(p, n0, count, grp, dy, wide.data());
      Gemm(true, false, g.col_rows(), ld, p.out_per_group, w + grp * p.weight_group_size(),
           wide.data(), col.data(), false);
      for (int64_t j = 0; j < count; ++j) {
        conv::Col2im(g, col.data() + j * pixels,
                     dx + (n0 + j) * p.image_size() + grp * g.image_size(), ld);
      }
    }
  }
}

absl::Status Conv2dGradient(KernelContext& ctx, GradientArgs& args) {
  const Tensor& x = args.inputs[0];
  const Tensor& w = args.inputs[1];
  const Tensor& dy = args.output_grads[0];
  TS_ASSIGN_OR_RETURN(const Conv2dProblem p, MakeProblem(ctx.attrs, x, w, dy));
  const conv::ConvGeometry& g = p.geometry;
  const int64_t pixels = g.col_cols();
  Tensor& dx = args.input_grads[0];
  Tensor& dw = args.input_grads[1];
  if (dx.defined()) {
    if (conv::UseWinograd(g, p.out_per_group)) {
      WinogradInputGradient(p, w.data(), dy.data(), dx.data());
    } else if (!InputGradientAsConvolution(p, w.data(), dy.data(), dx.data())) {
      Col2imInputGradient(p, w.data(), dy.data(), dx.data());
    }
  }
  const bool want_db = args.input_grads.size() == 3 && args.input_grads[2].defined();
  bool db_done = false;
  if (dw.defined() && conv::UseDirectWeightGradient(g, p.out_per_group)) {
    conv::DirectConvWeightGradient(g, p.batch, p.groups, p.out_per_group, x.data(), dy.data(),
                                   dw.data(), want_db ? args.input_grads[2].data() : nullptr);
    db_done = want_db;
  } else if (dw.defined()) {
    // dW_g = sum over images of dy_n col_n^T: an implicit GEMM per image,
    // dy_n read in place, col_n^T packed from x; images summed in order, so
    // dW is deterministic.
    float* dw_data = dw.data();
    const bool phased = conv::UsePhases(g);
    const conv::PhaseLayout layout = conv::MakePhaseLayout(g);
    std::vector<float> phases(phased ? p.in_channels * layout.channel() : 0);
    for (int64_t n = 0; n < p.batch; ++n) {
      if (phased) {
        conv::SplitPhases(g, layout, p.in_channels, x.data() + n * p.image_size(), phases.data());
      }
      for (int64_t grp = 0; grp < p.groups; ++grp) {
        const float* image = x.data() + n * p.image_size() + grp * g.image_size();
        const float* group_phases = phases.data() + grp * g.channels * layout.channel();
        const PackBFn pack = [&](int64_t k0, int64_t kc, int64_t c0, int64_t cols, int64_t nr,
                                 float* out) {
          std::vector<float> lines(nr * kc);
          for (int64_t pnl = 0; pnl < cols; pnl += nr, out += kc * nr) {
            const int64_t valid = std::min(nr, cols - pnl);
            for (int64_t j = 0; j < valid; ++j) {
              if (phased) {
                conv::PhasedRowSegment(g, layout, group_phases, c0 + pnl + j, k0, kc,
                                       lines.data() + j * kc);
              } else {
                conv::Im2colRowSegment(g, image, c0 + pnl + j, k0, kc, lines.data() + j * kc);
              }
            }
            PackLinesIntoPanel(lines.data(), kc, kc, nr, valid, out);
          }
        };
        GemmImplicitB(false, p.out_per_group, g.col_rows(), pixels,
                      dy.data() + n * p.out_size() + grp * p.out_per_group * pixels, pack,
                      dw_data + grp * p.weight_group_size(), n > 0);
      }
    }
  }
  if (want_db && !db_done) {
    conv::BiasGradient(dy.data(), p.batch, p.out_channels, g.col_cols(),
                       args.input_grads[2].data());
  }
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("conv2d", Device::kCpu, Conv2dForward, Conv2dGradient);

}  // namespace

#if TESSERA_CUDA
namespace {

// cuDNN computes exactly the CPU's convolution: cross-correlation with
// symmetric zero padding, stride, dilation and groups, the weight in the same
// [O, C/groups, kH, kW] layout, and the same output size (the shape function
// already checked it; MakeCudnnConv checks that cuDNN agrees).
absl::Status Conv2dForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                              std::vector<Tensor>& out) {
  CudaContext& cuda = CudaContextOf(ctx.backend);
  TS_ASSIGN_OR_RETURN(const conv::ConvAttrs a, conv::ReadConvAttrs(ctx.attrs));
  TS_ASSIGN_OR_RETURN(const conv::CudnnConv c,
                      conv::MakeCudnnConv(in[0].shape(), in[1].shape(), out[0].shape(), a));
  TS_RETURN_IF_ERROR(conv::CudnnConvForward(cuda, c, in[0].data(), in[1].data(), out[0].data()));
  if (in.size() == 3) {
    TS_RETURN_IF_ERROR(conv::CudnnAddBias(cuda, out[0].shape(), in[2].data(), out[0].data()));
  }
  return absl::OkStatus();
}

absl::Status Conv2dGradientGpu(KernelContext& ctx, GradientArgs& args) {
  CudaContext& cuda = CudaContextOf(ctx.backend);
  const Tensor& x = args.inputs[0];
  const Tensor& w = args.inputs[1];
  const Tensor& dy = args.output_grads[0];
  Tensor& dx = args.input_grads[0];
  Tensor& dw = args.input_grads[1];
  if (dx.defined() || dw.defined()) {
    TS_ASSIGN_OR_RETURN(const conv::ConvAttrs a, conv::ReadConvAttrs(ctx.attrs));
    TS_ASSIGN_OR_RETURN(const conv::CudnnConv c,
                        conv::MakeCudnnConv(x.shape(), w.shape(), dy.shape(), a));
    if (dx.defined())
      TS_RETURN_IF_ERROR(conv::CudnnConvBackwardData(cuda, c, w.data(), dy.data(), dx.data()));
    if (dw.defined())
      TS_RETURN_IF_ERROR(conv::CudnnConvBackwardFilter(cuda, c, x.data(), dy.data(), dw.data()));
  }
  if (args.input_grads.size() == 3 && args.input_grads[2].defined()) {
    TS_RETURN_IF_ERROR(
        conv::CudnnBiasGradient(cuda, dy.shape(), dy.data(), args.input_grads[2].data()));
  }
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("conv2d", Device::kCuda, Conv2dForwardGpu, Conv2dGradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
