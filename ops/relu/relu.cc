// relu: y = max(x, 0). The gradient passes where x > 0 (0 at x = 0, as in
// PyTorch).

#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

constexpr int64_t kMinChunk = 1 << 14;

TESSERA_REGISTER_OP("relu")
    .Input("x")
    .Output("y")
    .Doc("max(x, 0), elementwise.")
    .ShapeFn(SameShapeAsInput(0));

absl::Status ReluForward(KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const float* x = in[0].data();
  float* y = out[0].data();
  ParallelFor(in[0].num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) y[i] = x[i] > 0 ? x[i] : 0.0f;
  });
  return absl::OkStatus();
}

absl::Status ReluGradient(KernelContext&, GradientArgs& args) {
  const float* x = args.inputs[0].data();
  const float* dy = args.output_grads[0].data();
  float* dx = args.input_grads[0].data();
  ParallelFor(args.inputs[0].num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) dx[i] = x[i] > 0 ? dy[i] : 0.0f;
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("relu", Device::kCpu, ReluForward, ReluGradient);

}  // namespace

#if TESSERA_CUDA
// Defined in relu.cu.
namespace cuda {
void ReluForward(const float* x, float* y, int64_t n, cudaStream_t stream);
void ReluGradient(const float* x, const float* dy, float* dx, int64_t n, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ReluForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                            std::vector<Tensor>& out) {
  cuda::ReluForward(in[0].data(), out[0].data(), in[0].num_elements(),
                    CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("relu forward");
}

absl::Status ReluGradientGpu(KernelContext& ctx, GradientArgs& args) {
  cuda::ReluGradient(args.inputs[0].data(), args.output_grads[0].data(), args.input_grads[0].data(),
                     args.inputs[0].num_elements(), CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("relu gradient");
}

TESSERA_REGISTER_KERNEL("relu", Device::kCuda, ReluForwardGpu, ReluGradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
