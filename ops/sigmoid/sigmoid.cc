// sigmoid: y = 1 / (1 + exp(-x)), elementwise.
//
// Computed so that no exp ever overflows: for x >= 0 as 1 / (1 + exp(-x)),
// for x < 0 as exp(x) / (1 + exp(x)); both exps take a non-positive argument,
// so a large |x| gives exactly 0 or 1 instead of inf / inf = NaN.
// The gradient uses the saved output: dx = dy * y * (1 - y).

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

TESSERA_REGISTER_OP("sigmoid")
    .Input("x")
    .Output("y")
    .Doc("1 / (1 + exp(-x)), elementwise, overflow-free.")
    .ShapeFn(SameShapeAsInput(0));

inline float StableSigmoid(float x) {
  if (x >= 0) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}

absl::Status Forward(KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const float* x = in[0].data();
  float* y = out[0].data();
  ParallelFor(in[0].num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = StableSigmoid(x[i]);
  });
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext&, GradientArgs& args) {
  const float* y = args.outputs[0].data();
  const float* dy = args.output_grads[0].data();
  float* dx = args.input_grads[0].data();
  ParallelFor(args.outputs[0].num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("sigmoid", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in sigmoid.cu.
namespace cuda {
void SigmoidForward(const float* x, float* y, int64_t n, cudaStream_t stream);
// From the forward's output y.
void SigmoidGradient(const float* y, const float* dy, float* dx, int64_t n, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  cuda::SigmoidForward(in[0].data(), out[0].data(), in[0].num_elements(),
                       CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("sigmoid forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  cuda::SigmoidGradient(args.outputs[0].data(), args.output_grads[0].data(),
                        args.input_grads[0].data(), args.outputs[0].num_elements(),
                        CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("sigmoid gradient");
}

TESSERA_REGISTER_KERNEL("sigmoid", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
