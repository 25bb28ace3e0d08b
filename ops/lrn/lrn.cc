// lrn: local response normalization across channels (AlexNet, Krizhevsky et
// al. 2012), in the convention of PyTorch's nn.LocalResponseNorm:
//
//   y[c] = x[c] / s[c]^beta,   s[c] = k + alpha / size * sum_{c' in W(c)} x[c']^2,
//
// for x [N, C, ...] (channels in dimension 1, any number of spatial dims).
// W(c) = [c - size/2, c + (size-1)/2] (integer division), clipped to the
// channels: PyTorch zero-pads size/2 channels in front and (size-1)/2 behind
// and averages `size` squares, so for size 5 the window is c-2..c+2 and for
// an even size it reaches one further back than forward. Note alpha is
// divided by size, as in PyTorch (the AlexNet paper does not divide).
// Attrs: size (default 5), alpha (1e-4), beta (0.75), k (2, AlexNet's; PyTorch
// defaults to 1).
//
// Gradient: with t[c] = dy[c] * y[c] / s[c],
//   dx[j] = dy[j] * s[j]^-beta - 2 alpha beta / size * x[j] * sum_{c : j in W(c)} t[c],
// where j in W(c) exactly when c in [j - (size-1)/2, j + size/2].

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/lrn/lrn_planes.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> LrnShape(const std::vector<Shape>& in, const Attrs& attrs) {
  if (in[0].size() < 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("x must be [N, C, ...] with rank >= 3, got ", ShapeToString(in[0])));
  }
  const int64_t size = attrs.GetInt("size");
  const float alpha = attrs.GetFloat("alpha"), beta = attrs.GetFloat("beta"),
              k = attrs.GetFloat("k");
  if (size < 1) return absl::InvalidArgumentError(absl::StrCat("size must be >= 1, got ", size));
  // k > 0 and alpha >= 0 keep s positive, so s^beta is defined for any beta.
  if (!(alpha >= 0.0f && std::isfinite(alpha))) {
    return absl::InvalidArgumentError(absl::StrCat("alpha must be >= 0 and finite, got ", alpha));
  }
  if (!(k > 0.0f && std::isfinite(k))) {
    return absl::InvalidArgumentError(absl::StrCat("k must be > 0 and finite, got ", k));
  }
  if (!std::isfinite(beta)) {
    return absl::InvalidArgumentError(absl::StrCat("beta must be finite, got ", beta));
  }
  return std::vector<Shape>{in[0]};
}

TESSERA_REGISTER_OP("lrn")
    .Input("x")
    .Output("y")
    .Attr("size", AttrType::kInt, IntAttr(5))
    .Attr("alpha", AttrType::kFloat, FloatAttr(1e-4f))
    .Attr("beta", AttrType::kFloat, FloatAttr(0.75f))
    .Attr("k", AttrType::kFloat, FloatAttr(2.0f))
    .Doc(
        "Local response normalization across channels: x / (k + alpha/size * window sum of "
        "x^2)^beta, PyTorch's LocalResponseNorm.")
    .ShapeFn(LrnShape)
    .Saves([](const std::vector<Shape>& in, const std::vector<Shape>&, const Attrs&) {
      return std::vector<double>{4.0 * NumElements(in[0])};  // s, per element
    })
    .Flops([](const std::vector<Shape>&, const std::vector<Shape>& out, const Attrs& attrs) {
      // The windowed sum of squares, the power and the multiply.
      return (2.0 * attrs.GetInt("size") + 2.0) * NumElements(out[0]);
    });

struct Params {
  int64_t batch, channels, inner;  // x as [batch, channels, inner]
  int64_t back, forward;           // W(c) = [c - back, c + forward]
  float alpha_over_size, beta, k;
};

Params ParamsFor(const Tensor& x, const Attrs& attrs) {
  Params p;
  p.batch = x.dim(0);
  p.channels = x.dim(1);
  p.inner = 1;
  for (int d = 2; d < x.rank(); ++d) p.inner *= x.dim(d);
  const int64_t size = attrs.GetInt("size");
  p.back = size / 2;
  p.forward = (size - 1) / 2;
  p.alpha_over_size = attrs.GetFloat("alpha") / static_cast<float>(size);
  p.beta = attrs.GetFloat("beta");
  p.k = attrs.GetFloat("k");
  return p;
}

// Units of work: (n, c) planes; tiny planes are grouped.
int64_t MinPlanes(const Params& p) {
  return std::max<int64_t>(1, 2048 / std::max<int64_t>(1, p.inner));
}

// The planes of channels [lo, hi] of sample n, for lrn_planes.h.
void WindowOf(const float* data, const Params& p, int64_t n, int64_t lo, int64_t hi,
              std::vector<const float*>& window) {
  window.clear();
  for (int64_t c = lo; c <= hi; ++c) window.push_back(data + (n * p.channels + c) * p.inner);
}

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const Params p = ParamsFor(in[0], ctx.attrs);
  Tensor s_t = Tensor::Empty(in[0].shape());  // s, saved for the gradient
  const float* x = in[0].data();
  float* s = s_t.data();
  float* y = out[0].data();
  ParallelFor(p.batch * p.channels, MinPlanes(p), [&](int64_t b, int64_t e) {
    std::vector<const float*> window;
    for (int64_t plane = b; plane < e; ++plane) {
      const int64_t n = plane / p.channels, c = plane % p.channels;
      WindowOf(x, p, n, std::max<int64_t>(0, c - p.back),
               std::min<int64_t>(p.channels - 1, c + p.forward), window);
      const int64_t at = plane * p.inner;
      lrn::ForwardPlane(window.data(), static_cast<int64_t>(window.size()), x + at, s + at, y + at,
                        p.inner, p.k, p.alpha_over_size, p.beta);
    }
  });
  ctx.saved = {s_t};
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  const Params p = ParamsFor(args.inputs[0], ctx.attrs);
  const float* x = args.inputs[0].data();
  const float* y = args.outputs[0].data();
  const float* s = ctx.saved.at(0).data();
  const float* dy = args.output_grads[0].data();
  float* dx = args.input_grads[0].data();
  const int64_t planes = p.batch * p.channels, total = planes * p.inner;
  Tensor t_t = Tensor::Empty(args.inputs[0].shape());
  float* t = t_t.data();
  ParallelFor(total, 1 << 14, [&](int64_t b, int64_t e) {
    lrn::GradientRatio(dy + b, y + b, s + b, t + b, e - b);
  });
  const float coeff = 2.0f * p.alpha_over_size * p.beta;
  ParallelFor(planes, MinPlanes(p), [&](int64_t b, int64_t e) {
    std::vector<const float*> window;
    for (int64_t plane = b; plane < e; ++plane) {
      const int64_t n = plane / p.channels, j = plane % p.channels;
      // The channels c whose window W(c) contains j.
      WindowOf(t, p, n, std::max<int64_t>(0, j - p.forward),
               std::min<int64_t>(p.channels - 1, j + p.back), window);
      const int64_t at = plane * p.inner;
      lrn::GradientPlane(window.data(), static_cast<int64_t>(window.size()), x + at, s + at,
                         dy + at, dx + at, p.inner, p.beta, coeff);
    }
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("lrn", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in lrn.cu: the same window, s and formulas as above.
namespace cuda {
void LrnForward(const float* x, float* s, float* y, int64_t batch, int64_t channels, int64_t inner,
                int64_t back, int64_t forward, float alpha_over_size, float beta, float k,
                cudaStream_t stream);
void LrnGradient(const float* x, const float* y, const float* s, const float* dy, float* t,
                 float* dx, int64_t batch, int64_t channels, int64_t inner, int64_t back,
                 int64_t forward, float beta, float coeff, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  const Params p = ParamsFor(in[0], ctx.attrs);
  Tensor s = Tensor::Empty(in[0].shape(), Device::kCuda);  // saved for the gradient, as on the CPU
  cuda::LrnForward(in[0].data(), s.data(), out[0].data(), p.batch, p.channels, p.inner, p.back,
                   p.forward, p.alpha_over_size, p.beta, p.k, CudaContextOf(ctx.backend).stream);
  TS_RETURN_IF_ERROR(CudaLaunchStatus("lrn forward"));
  ctx.saved = {s};
  return absl::OkStatus();
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  const Params p = ParamsFor(args.inputs[0], ctx.attrs);
  Tensor t = Tensor::Empty(args.inputs[0].shape(), Device::kCuda);
  cuda::LrnGradient(args.inputs[0].data(), args.outputs[0].data(), ctx.saved.at(0).data(),
                    args.output_grads[0].data(), t.data(), args.input_grads[0].data(), p.batch,
                    p.channels, p.inner, p.back, p.forward, p.beta,
                    2.0f * p.alpha_over_size * p.beta, CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("lrn gradient");
}

TESSERA_REGISTER_KERNEL("lrn", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA
}  // namespace tessera
