// tanh: y = tanh(x), elementwise. std::tanh saturates to +-1 for large |x|
// without overflow. The gradient uses the saved output: dx = dy * (1 - y^2).

#include <cmath>

#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

constexpr int64_t kMinChunk = 1 << 13;

TESSERA_REGISTER_OP("tanh")
    .Input("x")
    .Output("y")
    .Doc("tanh(x), elementwise.")
    .ShapeFn(SameShapeAsInput(0));

absl::Status Forward(KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const float* x = in[0].data();
  float* y = out[0].data();
  ParallelFor(in[0].num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = std::tanh(x[i]);
  });
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext&, GradientArgs& args) {
  const float* y = args.outputs[0].data();
  const float* dy = args.output_grads[0].data();
  float* dx = args.input_grads[0].data();
  ParallelFor(args.outputs[0].num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("tanh", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in tanh.cu.
namespace cuda {
void TanhForward(const float* x, float* y, int64_t n, cudaStream_t stream);
// From the forward's output y.
void TanhGradient(const float* y, const float* dy, float* dx, int64_t n, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  cuda::TanhForward(in[0].data(), out[0].data(), in[0].num_elements(),
                    CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("tanh forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  cuda::TanhGradient(args.outputs[0].data(), args.output_grads[0].data(),
                     args.input_grads[0].data(), args.outputs[0].num_elements(),
                     CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("tanh gradient");
}

TESSERA_REGISTER_KERNEL("tanh", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
