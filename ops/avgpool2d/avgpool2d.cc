// avgpool2d: the mean over each kernel window of an NCHW image, as PyTorch's
// nn.AvgPool2d, plus global pooling (nn.AdaptiveAvgPool2d(1)).
//
// Attributes: kernel [h, w], stride [h, w] (empty: the kernel), padding
// [h, w] (at most half the kernel), ceil_mode (as in maxpool2d),
// count_include_pad and global. With count_include_pad the divisor counts
// the zero padding but not the part of a ceil_mode window that hangs past
// the padding (PyTorch's rule); without it, only input cells count. With
// global the window is the whole H x W image, the output [N, C, 1, 1], and
// kernel, stride and padding must be left unset.
//
// Gradient: each dy spreads evenly, dy / divisor, over its window's input
// cells; overlapping windows add up.

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/avgpool2d/avg_rows.h"
#include "ops/common/pool.h"
#include "ops/common/rows.h"
#include "ops/common/sum.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

// The pooling geometry for input `x` [N, C, H, W].
absl::StatusOr<pool::Window> ReadPool(const Attrs& attrs, const Shape& x) {
  if (attrs.GetBool("global")) {
    if (!attrs.GetInts("kernel").empty() || !attrs.GetInts("stride").empty() ||
        attrs.GetInts("padding") != std::vector<int64_t>{0, 0}) {
      return absl::InvalidArgumentError(
          "global pooling takes the whole image: leave kernel, stride and padding unset");
    }
    if (x[2] < 1 || x[3] < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("global pooling of input ", ShapeToString(x), ", which has an empty image"));
    }
    return pool::Window{x[2], x[3], x[2], x[3], 0, 0};
  }
  if (attrs.GetInts("kernel").empty()) {
    return absl::InvalidArgumentError("attribute 'kernel' is required unless global is true");
  }
  return pool::ReadWindow(attrs);
}

absl::StatusOr<std::vector<Shape>> AvgPoolShape(const std::vector<Shape>& in, const Attrs& attrs) {
  TS_RETURN_IF_ERROR(ExpectRank(in[0], 4, "input x [N, C, H, W]"));
  TS_ASSIGN_OR_RETURN(pool::Window p, ReadPool(attrs, in[0]));
  const bool ceil_mode = attrs.GetBool("ceil_mode");
  const int64_t oh = pool::PooledSize(in[0][2], p.kh, p.sh, p.ph, ceil_mode);
  const int64_t ow = pool::PooledSize(in[0][3], p.kw, p.sw, p.pw, ceil_mode);
  if (oh < 1 || ow < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kernel [", p.kh, ",", p.kw, "] with padding [", p.ph, ",", p.pw, "] is larger than input ",
        ShapeToString(in[0]), ": output would be ", oh, "x", ow));
  }
  return std::vector<Shape>{{in[0][0], in[0][1], oh, ow}};
}

TESSERA_REGISTER_OP("avgpool2d")
    .Input("x")
    .Output("y")
    .Attr("kernel", AttrType::kInts, IntsAttr({}))
    .Attr("stride", AttrType::kInts, IntsAttr({}))
    .Attr("padding", AttrType::kInts, IntsAttr({0, 0}))
    .Attr("ceil_mode", AttrType::kBool, BoolAttr(false))
    .Attr("count_include_pad", AttrType::kBool, BoolAttr(true))
    .Attr("global", AttrType::kBool, BoolAttr(false))
    .Doc("2-D average pooling over NCHW (PyTorch AvgPool2d), or global average pooling.")
    .ShapeFn(AvgPoolShape)
    // The gradient reads only shapes.
    .GradientReads({}, {})
    .Flops([](const std::vector<Shape>& in, const std::vector<Shape>& out, const Attrs& attrs) {
      // One per window element per output.
      const double window =
          attrs.GetBool("global")
              ? static_cast<double>(in[0][2] * in[0][3])
              : static_cast<double>(attrs.GetInts("kernel")[0] * attrs.GetInts("kernel")[1]);
      return window * NumElements(out[0]);
    });

// One output's window clipped to the input, [h0, h1) x [w0, w1), and the
// number it divides by.
struct ClippedWindow {
  int64_t h0, h1, w0, w1;
  float divisor;
};

ClippedWindow WindowAt(const pool::Window& p, int64_t h, int64_t w, bool count_include_pad,
                       int64_t i, int64_t j) {
  const int64_t h0 = i * p.sh - p.ph, w0 = j * p.sw - p.pw;
  // PyTorch clips first to the padded input (for the padded count), then to
  // the input itself.
  const int64_t h1 = std::min(h0 + p.kh, h + p.ph), w1 = std::min(w0 + p.kw, w + p.pw);
  ClippedWindow win{std::max<int64_t>(h0, 0), std::min(h1, h), std::max<int64_t>(w0, 0),
                    std::min(w1, w), 0};
  win.divisor = static_cast<float>(count_include_pad ? (h1 - h0) * (w1 - w0)
                                                     : (win.h1 - win.h0) * (win.w1 - win.w0));
  return win;
}

// The geometry of one call: every output's divisor, and the length of a
// row of column sums with the padding in front and zeros behind, long
// enough for every window (ceil_mode's last one may pass the padding) and
// for the one float that pool::PoolRow reads past the last window.
struct Plan {
  pool::Window p;
  int64_t h, w, oh, ow;
  bool include_pad;
  std::vector<float> divisor;  // [oh * ow]
  int64_t padded_length;
  // The gradient's row of shares spaced sw apart after kw - 1 zeros, long
  // enough for the window sums of every padded column.
  int64_t stuffed_length;
  // One window, the whole image (global pooling, or a kernel of its size).
  bool whole_plane;
};

Plan PlanFor(const pool::Window& p, const Attrs& attrs, int64_t h, int64_t w, int64_t oh,
             int64_t ow) {
  Plan plan{p, h, w, oh, ow, attrs.GetBool("count_include_pad"), {}, 0, 0, false};
  plan.whole_plane = oh == 1 && ow == 1 && p.kh == h && p.kw == w && p.ph == 0 && p.pw == 0;
  plan.divisor.resize(oh * ow);
  for (int64_t i = 0; i < oh; ++i) {
    for (int64_t j = 0; j < ow; ++j) {
      plan.divisor[i * ow + j] = WindowAt(p, h, w, plan.include_pad, i, j).divisor;
    }
  }
  plan.padded_length = std::max(p.pw + w, (ow - 1) * p.sw + p.kw + 1);
  plan.stuffed_length = std::max(p.kw + (ow - 1) * p.sw, p.pw + w + p.kw - 1);
  return plan;
}

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(pool::Window p, ReadPool(ctx.attrs, in[0].shape()));
  const Plan plan = PlanFor(p, ctx.attrs, in[0].dim(2), in[0].dim(3), out[0].dim(2), out[0].dim(3));
  const int64_t planes = in[0].dim(0) * in[0].dim(1), h = plan.h, w = plan.w;
  const int64_t oh = plan.oh, ow = plan.ow;
  const float* x = in[0].data();
  float* y = out[0].data();
  if (plan.whole_plane) {
    ParallelFor(planes, std::max<int64_t>(1, 4096 / (h * w)), [&](int64_t b, int64_t e) {
      simd::SumEach(x + b * h * w, e - b, h * w, y + b);
      for (int64_t c = b; c < e; ++c) y[c] /= plan.divisor[0];
    });
    return absl::OkStatus();
  }
  ParallelFor(planes, 1, [&](int64_t b, int64_t e) {
    // Column sums of an output row's input rows; zero padding stays zero.
    std::vector<float> padded(plan.padded_length, 0.0f);
    for (int64_t c = b; c < e; ++c) {
      const float* xc = x + c * h * w;
      for (int64_t i = 0; i < oh; ++i) {
        const ClippedWindow win = WindowAt(p, h, w, plan.include_pad, i, 0);
        if (win.h1 > win.h0) {
          simd::SumRows(xc + win.h0 * w, win.h1 - win.h0, w, w, padded.data() + p.pw);
        } else {  // not reached with PyTorch's geometry; kept safe
          std::fill(padded.begin() + p.pw, padded.begin() + p.pw + w, 0.0f);
        }
        pool::PoolRow(padded.data(), p.kw, p.sw, ow, plan.divisor.data() + i * ow,
                      y + (c * oh + i) * ow);
      }
    }
  });
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  Tensor& dx = args.input_grads[0];
  TS_ASSIGN_OR_RETURN(pool::Window p, ReadPool(ctx.attrs, dx.shape()));
  const Tensor& dy = args.output_grads[0];
  const Plan plan = PlanFor(p, ctx.attrs, dx.dim(2), dx.dim(3), dy.dim(2), dy.dim(3));
  const int64_t planes = dx.dim(0) * dx.dim(1), h = plan.h, w = plan.w;
  const int64_t oh = plan.oh, ow = plan.ow;
  const float* g = dy.data();
  float* d = dx.data();
  if (plan.whole_plane) {
    ParallelFor(planes, std::max<int64_t>(1, 4096 / (h * w)), [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c)
        std::fill(d + c * h * w, d + (c + 1) * h * w, g[c] / plan.divisor[0]);
    });
    return absl::OkStatus();
  }
  // One plane per task: writes stay within the plane, in a fixed order.
  ParallelFor(planes, 1, [&](int64_t b, int64_t e) {
    // An output row's shares, placed every sw floats after kw - 1 zeros
    // (the other entries stay zero), so that padded column q, covered by
    // the windows j with j * sw <= q < j * sw + kw, is the sum of the kw
    // entries from q on; then added to each of the window's input rows.
    std::vector<float> share(ow), stuffed(plan.stuffed_length, 0.0f), padded(p.pw + w);
    for (int64_t c = b; c < e; ++c) {
      float* dc = d + c * h * w;
      std::fill(dc, dc + h * w, 0.0f);
      for (int64_t i = 0; i < oh; ++i) {
        pool::DivideRow(g + (c * oh + i) * ow, plan.divisor.data() + i * ow, ow, share.data());
        for (int64_t j = 0; j < ow; ++j) stuffed[p.kw - 1 + j * p.sw] = share[j];
        // out[q] = z[q] + ... + z[q + kw - 1]: kw "rows" one float apart.
        simd::SumRows(stuffed.data() + p.pw, p.kw, 1, w, padded.data() + p.pw);
        const ClippedWindow win = WindowAt(p, h, w, plan.include_pad, i, 0);
        for (int64_t r = win.h0; r < win.h1; ++r) simd::AddTo(padded.data() + p.pw, w, dc + r * w);
      }
    }
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("avgpool2d", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in avgpool2d.cu: the same windows and divisors as WindowAt above.
namespace cuda {
void AvgPoolForward(const float* x, float* y, int64_t planes, int64_t h, int64_t w, int64_t oh,
                    int64_t ow, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                    int64_t pw, bool count_include_pad, cudaStream_t stream);
void AvgPoolGradient(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w, int64_t oh,
                     int64_t ow, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                     int64_t pw, bool count_include_pad, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(pool::Window p, ReadPool(ctx.attrs, in[0].shape()));
  cuda::AvgPoolForward(in[0].data(), out[0].data(), in[0].dim(0) * in[0].dim(1), in[0].dim(2),
                       in[0].dim(3), out[0].dim(2), out[0].dim(3), p.kh, p.kw, p.sh, p.sw, p.ph,
                       p.pw, ctx.attrs.GetBool("count_include_pad"),
                       CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("avgpool2d forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  Tensor& dx = args.input_grads[0];
  TS_ASSIGN_OR_RETURN(pool::Window p, ReadPool(ctx.attrs, dx.shape()));
  const Tensor& dy = args.output_grads[0];
  cuda::AvgPoolGradient(dy.data(), dx.data(), dx.dim(0) * dx.dim(1), dx.dim(2), dx.dim(3),
                        dy.dim(2), dy.dim(3), p.kh, p.kw, p.sh, p.sw, p.ph, p.pw,
                        ctx.attrs.GetBool("count_include_pad"), CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("avgpool2d gradient");
}

TESSERA_REGISTER_KERNEL("avgpool2d", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA
}  // namespace tessera
