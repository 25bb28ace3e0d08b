// leaky_relu: y = x for x > 0, negative_slope * x otherwise (PyTorch's
// nn.LeakyReLU, default slope 0.01). The gradient is 1 for x > 0 and
// negative_slope for x <= 0 (at exactly 0 PyTorch also takes the slope).

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

constexpr int64_t kMinChunk = 1 << 14;

absl::StatusOr<std::vector<Shape>> LeakyReluShape(const std::vector<Shape>& in,
                                                  const Attrs& attrs) {
  const float slope = attrs.GetFloat("negative_slope");
  if (!std::isfinite(slope)) {
    return absl::InvalidArgumentError(absl::StrCat("negative_slope must be finite, got ", slope));
  }
  return std::vector<Shape>{in[0]};
}

TESSERA_REGISTER_OP("leaky_relu")
    .Input("x")
    .Output("y")
    .Attr("negative_slope", AttrType::kFloat, FloatAttr(0.01f))
    .Doc("x for x > 0, negative_slope * x otherwise, elementwise.")
    .ShapeFn(LeakyReluShape);

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const float slope = ctx.attrs.GetFloat("negative_slope");
  const float* x = in[0].data();
  float* y = out[0].data();
  ParallelFor(in[0].num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
    // A local slope, and a multiply by 1 or slope (the same values as the
    // plain ternary), are what GCC needs to vectorize this loop.
    const float s = slope;
    for (int64_t i = b; i < e; ++i) y[i] = (x[i] > 0 ? 1.0f : s) * x[i];
  });
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  const float slope = ctx.attrs.GetFloat("negative_slope");
  const float* x = args.inputs[0].data();
  const float* dy = args.output_grads[0].data();
  float* dx = args.input_grads[0].data();
  ParallelFor(args.inputs[0].num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
    const float s = slope;
    for (int64_t i = b; i < e; ++i) dx[i] = (x[i] > 0 ? 1.0f : s) * dy[i];
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("leaky_relu", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in leaky_relu.cu.
namespace cuda {
void LeakyReluForward(const float* x, float* y, int64_t n, float slope, cudaStream_t stream);
void LeakyReluGradient(const float* x, const float* dy, float* dx, int64_t n, float slope,
                       cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  cuda::LeakyReluForward(in[0].data(), out[0].data(), in[0].num_elements(),
                         ctx.attrs.GetFloat("negative_slope"), CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("leaky_relu forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  cuda::LeakyReluGradient(args.inputs[0].data(), args.output_grads[0].data(),
                          args.input_grads[0].data(), args.inputs[0].num_elements(),
                          ctx.attrs.GetFloat("negative_slope"), CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("leaky_relu gradient");
}

TESSERA_REGISTER_KERNEL("leaky_relu", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
