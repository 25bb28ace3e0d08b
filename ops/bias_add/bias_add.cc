// bias_add: y = x + bias, with x [N, C, ...] and one bias value per channel
// (dimension 1), broadcast over the batch and any spatial dimensions: the
// bias of a convolution or of a matmul written without its own bias.
// Gradients: dx = dy (passed on by the executor, OpSchema::
// GradientPassesThrough; written here only for callers that ask, such as
// the gradient check); dbias[c] = sum of dy over every element of channel c.

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/rows.h"
#include "ops/common/sum.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> BiasAddShape(const std::vector<Shape>& in, const Attrs&) {
  if (in[0].size() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("x must be [N, C, ...] with rank >= 2, got ", ShapeToString(in[0])));
  }
  if (in[1] != Shape{in[0][1]}) {
    return absl::InvalidArgumentError(absl::StrCat("bias must have shape [", in[0][1],
                                                   "] (the channels of x ", ShapeToString(in[0]),
                                                   "), got ", ShapeToString(in[1])));
  }
  return std::vector<Shape>{in[0]};
}

TESSERA_REGISTER_OP("bias_add")
    .Input("x")
    .Input("bias")
    .Output("y")
    .Doc("x [N, C, ...] + bias [C], broadcast over batch and spatial dimensions.")
    .ShapeFn(BiasAddShape)
    // The gradient reads dy and the shapes only (a released x keeps its
    // shape), and dx is dy: the executor hands dy's buffer on as dx, so in
    // a graph the kernel only sums dbias (one read of dy, as PyTorch).
    .GradientReads({}, {})
    .GradientPassesThrough(0)
    .Flops(FlopsPerOutputElement(1));

// x viewed as [batch, channels, inner] with inner = product of the spatial dims.
struct Layout {
  int64_t batch, channels, inner;
};

Layout LayoutOf(const Tensor& x) {
  int64_t inner = 1;
  for (int d = 2; d < x.rank(); ++d) inner *= x.dim(d);
  return {x.dim(0), x.dim(1), inner};
}

// Below this many elements per plane (a matmul's [N, C] has 1) a call per
// plane costs more than it saves.
constexpr int64_t kMinSimdInner = 64;

absl::Status Forward(KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const Layout l = LayoutOf(in[0]);
  const float* x = in[0].data();
  const float* bias = in[1].data();
  float* y = out[0].data();
  // One (n, c) plane per unit of work; min_chunk keeps tiny planes together.
  ParallelFor(l.batch * l.channels, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, l.inner)),
              [&](int64_t b, int64_t e) {
                for (int64_t plane = b; plane < e; ++plane) {
                  const float v = bias[plane % l.channels];
                  const float* xp = x + plane * l.inner;
                  float* yp = y + plane * l.inner;
                  if (l.inner >= kMinSimdInner) {
                    simd::ScaleShift(xp, 1.0f, v, yp, l.inner);  // x * 1 + v: exact
                    continue;
                  }
                  for (int64_t i = 0; i < l.inner; ++i) yp[i] = xp[i] + v;
                }
              });
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext&, GradientArgs& args) {
  const Layout l = LayoutOf(args.inputs[0]);
  const Tensor& dy = args.output_grads[0];
  Tensor& dx = args.input_grads[0];
  if (!args.input_grads[1].defined()) {
    if (dx.defined()) dy.CopyInto(dx);
    return absl::OkStatus();
  }
  const float* g = dy.data();
  float* d = dx.defined() ? dx.data() : nullptr;
  float* db = args.input_grads[1].data();
  // One pass over dy writes dx and sums dbias. Each channel is summed by one
  // thread, a plane at a time in a fixed order (plane sums in double):
  // reproducible for any thread count.
  ParallelFor(l.channels, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double s = 0;
      for (int64_t n = 0; n < l.batch; ++n) {
        const int64_t at = (n * l.channels + c) * l.inner;
        if (l.inner >= kMinSimdInner) {
          s += simd::CopyAndSum(g + at, d == nullptr ? nullptr : d + at, l.inner);
          continue;
        }
        for (int64_t i = 0; i < l.inner; ++i) {
          if (d != nullptr) d[at + i] = g[at + i];
          s += g[at + i];
        }
      }
      db[c] = static_cast<float>(s);
    }
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("bias_add", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in bias_add.cu.
namespace cuda {
void BiasAddForward(const float* x, const float* bias, float* y, int64_t batch, int64_t channels,
                    int64_t inner, cudaStream_t stream);
// dx = dy and dbias[c] = sum of dy over channel c (in double); either may be
// null (that gradient is not wanted).
void BiasAddGradient(const float* dy, float* dx, float* dbias, int64_t batch, int64_t channels,
                     int64_t inner, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  const Layout l = LayoutOf(in[0]);
  cuda::BiasAddForward(in[0].data(), in[1].data(), out[0].data(), l.batch, l.channels, l.inner,
                       CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("bias_add forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  const Layout l = LayoutOf(args.inputs[0]);
  Tensor& dx = args.input_grads[0];
  Tensor& dbias = args.input_grads[1];
  if (!dx.defined() && !dbias.defined()) return absl::OkStatus();
  cuda::BiasAddGradient(args.output_grads[0].data(), dx.defined() ? dx.data() : nullptr,
                        dbias.defined() ? dbias.data() : nullptr, l.batch, l.channels, l.inner,
                        CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("bias_add gradient");
}

TESSERA_REGISTER_KERNEL("bias_add", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
