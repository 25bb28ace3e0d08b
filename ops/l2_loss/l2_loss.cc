// l2_loss: 1/2 ||prediction - target||^2, averaged over the batch (the first
// dimension). Gradients: (prediction - target) / batch, and its negative for
// the target.

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/l2_loss/l2_rows.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> L2Shape(const std::vector<Shape>& in, const Attrs&) {
  if (in[0].empty()) return absl::InvalidArgumentError("prediction needs a batch dimension");
  if (in[0] != in[1]) {
    return absl::InvalidArgumentError(absl::StrCat("prediction ", ShapeToString(in[0]),
                                                   " and target ", ShapeToString(in[1]),
                                                   " must have the same shape"));
  }
  return std::vector<Shape>{Shape{}};
}

TESSERA_REGISTER_OP("l2_loss")
    .Input("prediction")
    .Input("target")
    .Output("loss")
    .Doc("0.5 * sum((prediction - target)^2) / batch.")
    .ShapeFn(L2Shape)
    .Flops([](const std::vector<Shape>& in, const std::vector<Shape>&, const Attrs&) {
      // exp, sum and divide (or log) per input element.
      return 3.0 * NumElements(in[0]);
    });

// The forward's unit of work: 64K floats of each input (512 KB read).
constexpr int64_t kBlock = 1 << 16;

absl::Status Forward(KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const int64_t n = in[0].num_elements(), batch = in[0].dim(0);
  const float* y = in[0].data();
  const float* t = in[1].data();
  // Blocks of a fixed size, summed in block order: the same result for any
  // thread count.
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(blocks);
  ParallelFor(blocks, 1, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      const int64_t at = k * kBlock;
      partial[k] = l2::SumSquaredDifference(y + at, t + at, std::min(kBlock, n - at));
    }
  });
  double sum = 0;
  for (double p : partial) sum += p;
  out[0].data()[0] = static_cast<float>(0.5 * sum / batch);
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext&, GradientArgs& args) {
  const int64_t n = args.inputs[0].num_elements(), batch = args.inputs[0].dim(0);
  const float scale = args.output_grads[0].data()[0] / static_cast<float>(batch);
  const float* y = args.inputs[0].data();
  const float* t = args.inputs[1].data();
  float* dy = args.input_grads[0].defined() ? args.input_grads[0].data() : nullptr;
  float* dt = args.input_grads[1].defined() ? args.input_grads[1].data() : nullptr;
  ParallelFor(n, 1 << 14, [&](int64_t b, int64_t e) {
    l2::ScaledDifference(y + b, t + b, scale, dy == nullptr ? nullptr : dy + b,
                         dt == nullptr ? nullptr : dt + b, e - b);
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("l2_loss", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in l2_loss.cu.
namespace cuda {
// How many doubles of device scratch L2LossForward needs for n elements.
int64_t L2LossScratchDoubles(int64_t n);
// loss[0] = 0.5 * sum((y - t)^2) / batch, summed in double in a fixed order.
void L2LossForward(const float* y, const float* t, int64_t n, int64_t batch, double* scratch,
                   float* loss, cudaStream_t stream);
// dloss: the loss's output gradient (one float on the device); dy, dt may be
// null (that gradient is not wanted).
void L2LossGradient(const float* y, const float* t, const float* dloss, int64_t n, int64_t batch,
                    float* dy, float* dt, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  const int64_t n = in[0].num_elements();
  // The per-block partial sums, as doubles in float storage (device
  // allocations are 256-byte aligned).
  Tensor scratch = Tensor::Empty({2 * cuda::L2LossScratchDoubles(n)}, Device::kCuda);
  cuda::L2LossForward(in[0].data(), in[1].data(), n, in[0].dim(0),
                      reinterpret_cast<double*>(scratch.data()), out[0].data(),
                      CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("l2_loss forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  Tensor& dy = args.input_grads[0];
  Tensor& dt = args.input_grads[1];
  if (!dy.defined() && !dt.defined()) return absl::OkStatus();
  cuda::L2LossGradient(args.inputs[0].data(), args.inputs[1].data(), args.output_grads[0].data(),
                       args.inputs[0].num_elements(), args.inputs[0].dim(0),
                       dy.defined() ? dy.data() : nullptr, dt.defined() ? dt.data() : nullptr,
                       CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("l2_loss gradient");
}

TESSERA_REGISTER_KERNEL("l2_loss", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
