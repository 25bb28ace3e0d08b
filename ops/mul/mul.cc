// mul: elementwise product z = x * y of two tensors of the same shape (no
// broadcasting). Gradients: dx = dz * y, dy = dz * x. Useful for masks.

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "core/thread_pool.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

// Elementwise loops are memory-bound: only split when a chunk is large
// enough to pay for waking a worker.
constexpr int64_t kMinChunk = 16384;

absl::StatusOr<std::vector<Shape>> MulShape(const std::vector<Shape>& in, const Attrs& /*attrs*/) {
  // The registry has already checked that there are exactly two inputs.
  if (in[0] != in[1]) {
    return absl::InvalidArgumentError(absl::StrCat("x has shape ", ShapeToString(in[0]),
                                                   " but y has shape ", ShapeToString(in[1]),
                                                   "; mul needs equal shapes (no broadcasting)"));
  }
  return std::vector<Shape>{in[0]};
}

absl::Status MulForward(KernelContext& /*ctx*/, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  const float* x = in[0].data();
  const float* y = in[1].data();
  float* z = out[0].data();
  ParallelFor(out[0].num_elements(), kMinChunk, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) z[i] = x[i] * y[i];
  });
  return absl::OkStatus();
}

absl::Status MulGradient(KernelContext& /*ctx*/, GradientArgs& args) {
  const float* x = args.inputs[0].data();
  const float* y = args.inputs[1].data();
  const float* dz = args.output_grads[0].data();
  Tensor& dx_t = args.input_grads[0];
  Tensor& dy_t = args.input_grads[1];
  float* dx = dx_t.defined() ? dx_t.data() : nullptr;
  float* dy = dy_t.defined() ? dy_t.data() : nullptr;
  if (dx == nullptr && dy == nullptr) return absl::OkStatus();
  ParallelFor(args.output_grads[0].num_elements(), kMinChunk, [&](int64_t begin, int64_t end) {
    if (dx != nullptr) {
      for (int64_t i = begin; i < end; ++i) dx[i] = dz[i] * y[i];
    }
    if (dy != nullptr) {
      for (int64_t i = begin; i < end; ++i) dy[i] = dz[i] * x[i];
    }
  });
  return absl::OkStatus();
}

}  // namespace

TESSERA_REGISTER_OP("mul")
    .Input("x")
    .Input("y")
    .Output("z")
    .Doc("x * y, elementwise; x and y must have the same shape (no broadcasting).")
    .ShapeFn(MulShape);

TESSERA_REGISTER_KERNEL("mul", Device::kCpu, MulForward, MulGradient);

#if TESSERA_CUDA
// Defined in mul.cu.
namespace cuda {
void MulForward(const float* x, const float* y, float* z, int64_t n, cudaStream_t stream);
// dx and dy may be null (that gradient is not wanted).
void MulGradient(const float* x, const float* y, const float* dz, float* dx, float* dy, int64_t n,
                 cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status MulForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                           std::vector<Tensor>& out) {
  cuda::MulForward(in[0].data(), in[1].data(), out[0].data(), out[0].num_elements(),
                   CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("mul forward");
}

absl::Status MulGradientGpu(KernelContext& ctx, GradientArgs& args) {
  Tensor& dx = args.input_grads[0];
  Tensor& dy = args.input_grads[1];
  if (!dx.defined() && !dy.defined()) return absl::OkStatus();
  cuda::MulGradient(args.inputs[0].data(), args.inputs[1].data(), args.output_grads[0].data(),
                    dx.defined() ? dx.data() : nullptr, dy.defined() ? dy.data() : nullptr,
                    args.output_grads[0].num_elements(), CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("mul gradient");
}

}  // namespace

TESSERA_REGISTER_KERNEL("mul", Device::kCuda, MulForwardGpu, MulGradientGpu);
#endif  // TESSERA_CUDA

}  // namespace tessera
