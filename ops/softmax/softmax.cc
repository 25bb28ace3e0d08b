// softmax: y = exp(x - max) / sum(exp(x - max)) along one axis (attr `axis`,
// default 1, the channels/classes of [N, C, ...]; negative counts from the
// end, -1 being the last). Subtracting the maximum keeps every exp in (0, 1],
// so large inputs neither overflow nor turn into NaN.
// Gradient from the saved output: dx = y * (dy - sum_axis(dy * y)).
// Along a contiguous axis (the last, or inner size 1) the CPU kernels are
// Highway (softmax_rows.cc, hwy's Exp, float sums); otherwise scalar with
// sums in double.

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/softmax/softmax_rows.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

// The tensor seen as [outer, n, inner] with n the softmax axis.
struct Layout {
  int64_t outer = 1, n = 1, inner = 1;
};

absl::StatusOr<Layout> LayoutFor(const Shape& shape, int64_t axis) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (axis < -rank || axis >= rank) {
    return absl::InvalidArgumentError(absl::StrCat("axis ", axis, " is out of range [", -rank, ", ",
                                                   rank, ") for input ", ShapeToString(shape)));
  }
  if (axis < 0) axis += rank;
  Layout l;
  for (int64_t d = 0; d < axis; ++d) l.outer *= shape[d];
  l.n = shape[axis];
  for (int64_t d = axis + 1; d < rank; ++d) l.inner *= shape[d];
  return l;
}

absl::StatusOr<std::vector<Shape>> SoftmaxShape(const std::vector<Shape>& in, const Attrs& attrs) {
  TS_ASSIGN_OR_RETURN(Layout l, LayoutFor(in[0], attrs.GetInt("axis")));
  (void)l;
  return std::vector<Shape>{in[0]};
}

TESSERA_REGISTER_OP("softmax")
    .Input("x")
    .Output("y")
    .Attr("axis", AttrType::kInt, IntAttr(1))
    .Doc("exp(x) / sum(exp(x)) along `axis` (negative from the end), max-subtracted.")
    .ShapeFn(SoftmaxShape)
    .Flops([](const std::vector<Shape>& in, const std::vector<Shape>&, const Attrs&) {
      // exp, sum and divide (or log) per input element.
      return 3.0 * NumElements(in[0]);
    });

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(const Layout l, LayoutFor(in[0].shape(), ctx.attrs.GetInt("axis")));
  if (l.n == 0) return absl::OkStatus();  // empty vectors: nothing to normalize
  const float* x = in[0].data();
  float* y = out[0].data();
  // One unit per softmax vector (o, i); its elements are `inner` apart.
  ParallelFor(l.outer * l.inner, std::max<int64_t>(1, 2048 / std::max<int64_t>(1, l.n)),
              [&](int64_t b, int64_t e) {
                if (l.inner == 1) {  // contiguous vectors: Highway
                  for (int64_t v = b; v < e; ++v)
                    softmax::ForwardRow(x + v * l.n, y + v * l.n, l.n);
                  return;
                }
                for (int64_t v = b; v < e; ++v) {
                  const int64_t base = (v / l.inner) * l.n * l.inner + v % l.inner;
                  const float* xv = x + base;
                  float* yv = y + base;
                  float max = xv[0];
                  for (int64_t j = 1; j < l.n; ++j) max = std::max(max, xv[j * l.inner]);
                  double sum = 0;
                  for (int64_t j = 0; j < l.n; ++j) {
                    yv[j * l.inner] = std::exp(xv[j * l.inner] - max);
                    sum += yv[j * l.inner];
                  }
                  const float inv = static_cast<float>(1.0 / sum);
                  for (int64_t j = 0; j < l.n; ++j) yv[j * l.inner] *= inv;
                }
              });
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  TS_ASSIGN_OR_RETURN(const Layout l, LayoutFor(args.inputs[0].shape(), ctx.attrs.GetInt("axis")));
  const float* y = args.outputs[0].data();
  const float* dy = args.output_grads[0].data();
  float* dx = args.input_grads[0].data();
  ParallelFor(l.outer * l.inner, std::max<int64_t>(1, 2048 / std::max<int64_t>(1, l.n)),
              [&](int64_t b, int64_t e) {
                if (l.inner == 1) {  // contiguous vectors: Highway
                  for (int64_t v = b; v < e; ++v) {
                    softmax::GradientRow(y + v * l.n, dy + v * l.n, dx + v * l.n, l.n);
                  }
                  return;
                }
                for (int64_t v = b; v < e; ++v) {
                  const int64_t base = (v / l.inner) * l.n * l.inner + v % l.inner;
                  double dot = 0;
                  for (int64_t j = 0; j < l.n; ++j) {
                    dot += double(dy[base + j * l.inner]) * y[base + j * l.inner];
                  }
                  const float d = static_cast<float>(dot);
                  for (int64_t j = 0; j < l.n; ++j) {
                    const int64_t at = base + j * l.inner;
                    dx[at] = y[at] * (dy[at] - d);
                  }
                }
              });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("softmax", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in softmax.cu: the same max-subtracted form, sums in double.
namespace cuda {
void SoftmaxForward(const float* x, float* y, int64_t outer, int64_t n, int64_t inner,
                    cudaStream_t stream);
void SoftmaxGradient(const float* y, const float* dy, float* dx, int64_t outer, int64_t n,
                     int64_t inner, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(const Layout l, LayoutFor(in[0].shape(), ctx.attrs.GetInt("axis")));
  if (in[0].num_elements() == 0) return absl::OkStatus();  // nothing to normalize
  cuda::SoftmaxForward(in[0].data(), out[0].data(), l.outer, l.n, l.inner,
                       CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("softmax forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  TS_ASSIGN_OR_RETURN(const Layout l, LayoutFor(args.inputs[0].shape(), ctx.attrs.GetInt("axis")));
  if (!args.input_grads[0].defined() || args.inputs[0].num_elements() == 0) return absl::OkStatus();
  cuda::SoftmaxGradient(args.outputs[0].data(), args.output_grads[0].data(),
                        args.input_grads[0].data(), l.outer, l.n, l.inner,
                        CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("softmax gradient");
}

TESSERA_REGISTER_KERNEL("softmax", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA
}  // namespace tessera
