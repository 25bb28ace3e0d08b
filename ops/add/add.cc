// add: y = x + y elementwise, both of one shape (residual/skip connections).
// No broadcasting: a shape mismatch is an error, so a wiring mistake is not
// silently broadcast away (use bias_add for per-channel biases).
// Gradients: dx = dy for both inputs.

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

absl::StatusOr<std::vector<Shape>> AddShape(const std::vector<Shape>& in, const Attrs&) {
  if (in[0] != in[1]) {
    return absl::InvalidArgumentError(
        absl::StrCat("x ", ShapeToString(in[0]), " and y ", ShapeToString(in[1]),
                     " must have the same shape (add does not broadcast)"));
  }
  return std::vector<Shape>{in[0]};
}

TESSERA_REGISTER_OP("add")
    .Input("x")
    .Input("y")
    .Output("z")
    .Doc("x + y, elementwise, same shapes.")
    .ShapeFn(AddShape);

absl::Status Forward(KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const float* x = in[0].data();
  const float* y = in[1].data();
  float* z = out[0].data();
  ParallelFor(in[0].num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) z[i] = x[i] + y[i];
  });
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext&, GradientArgs& args) {
  for (Tensor& g : args.input_grads) {
    if (g.defined()) args.output_grads[0].CopyInto(g);
  }
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("add", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in add.cu.
namespace cuda {
void AddForward(const float* x, const float* y, float* z, int64_t n, cudaStream_t stream);
// dx and dy may be null (that gradient is not wanted).
void AddGradient(const float* dz, float* dx, float* dy, int64_t n, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  cuda::AddForward(in[0].data(), in[1].data(), out[0].data(), in[0].num_elements(),
                   CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("add forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  Tensor& dx = args.input_grads[0];
  Tensor& dy = args.input_grads[1];
  if (!dx.defined() && !dy.defined()) return absl::OkStatus();
  cuda::AddGradient(args.output_grads[0].data(), dx.defined() ? dx.data() : nullptr,
                    dy.defined() ? dy.data() : nullptr, args.output_grads[0].num_elements(),
                    CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("add gradient");
}

TESSERA_REGISTER_KERNEL("add", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
