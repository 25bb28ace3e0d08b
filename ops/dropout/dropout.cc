// dropout: inverted dropout (PyTorch's nn.Dropout). Attr `rate` (default
// 0.5, in [0, 1)) is the probability of zeroing an element.
//
// Training: each element is kept with probability 1 - rate and scaled by
// 1 / (1 - rate), so the expected output equals the input and evaluation
// needs no rescaling. The mask (0 or 1 / (1 - rate) per element) is saved
// for the gradient, dx = dy * mask. Evaluation: the identity, dx = dy.
//
// The mask is a pure function of (ctx.seed, element index), so it does not
// depend on the thread count or on how the work is split, and another
// backend can reproduce it bit for bit (the conformance suite compares
// devices with the same seed). Element i draws
//     z = splitmix64 output for state seed + (i + 1) * 0x9E3779B97F4A7C15,
//     u = (z >> 40) * 2^-24   (uniform in [0, 1), 24 bits like a float),
// and is kept when u >= rate.
//
// Output 1, `mask`, says which elements were kept: 1 kept, 0 dropped (all 1
// in evaluation), as ONNX's Dropout mask (bool there; Tessera tensors are
// float32, and 0/1 are exact). It has no gradient (it does not depend on x).
// Attr `force_training` (default false) makes every forward a training one,
// whatever the executor's mode: ONNX's Dropout with training_mode = true.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/rows.h"
#include "ops/dropout/dropout_mask.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

constexpr int64_t kMinChunk = 1 << 14;

absl::StatusOr<std::vector<Shape>> DropoutShape(const std::vector<Shape>& in, const Attrs& attrs) {
  const float rate = attrs.GetFloat("rate");
  if (!(rate >= 0.0f && rate < 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("rate must be in [0, 1), got ", rate));
  }
  return std::vector<Shape>{in[0], in[0]};
}

TESSERA_REGISTER_OP("dropout")
    .Input("x")
    .Output("y")
    // Computed only for a graph that reads it (ONNX's Dropout mask).
    .OptionalOutput("mask")
    .Attr("rate", AttrType::kFloat, FloatAttr(0.5f))
    .Attr("force_training", AttrType::kBool, BoolAttr(false))
    .Doc(
        "Inverted dropout: training zeroes with probability rate and scales the rest by "
        "1/(1-rate); evaluation is the identity.")
    .ShapeFn(DropoutShape)
    // The gradient reads only the saved mask.
    .GradientReads({}, {})
    .Saves([](const std::vector<Shape>& in, const std::vector<Shape>&, const Attrs&) {
      return std::vector<double>{4.0 * NumElements(in[0])};  // the mask
    })
    .Flops(FlopsPerOutputElement(1));

bool TrainingForward(const KernelContext& ctx) {
  return ctx.training || ctx.attrs.GetBool("force_training");
}

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  if (!TrainingForward(ctx)) {
    // Nothing saved: the gradient kernel reads an empty ctx.saved as eval.
    in[0].CopyInto(out[0]);
    if (!out[1].defined()) return absl::OkStatus();  // the mask output is not wanted
    float* keep = out[1].data();
    ParallelFor(out[1].num_elements(), kMinChunk,
                [&](int64_t b, int64_t e) { std::fill(keep + b, keep + e, 1.0f); });
    return absl::OkStatus();
  }
  const float rate = ctx.attrs.GetFloat("rate");
  const float scale = 1.0f / (1.0f - rate);
  Tensor mask = Tensor::Empty(in[0].shape());
  const float* x = in[0].data();
  float* m = mask.data();
  float* y = out[0].data();
  float* keep = out[1].defined() ? out[1].data() : nullptr;  // null: not wanted
  const uint32_t threshold = dropout::KeepThreshold(rate);
  ParallelFor(in[0].num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
    dropout::ForwardRange(ctx.seed, b, e, threshold, scale, x + b, m + b, y + b);
    if (keep == nullptr) return;
    for (int64_t i = b; i < e; ++i) keep[i] = m[i] != 0.0f ? 1.0f : 0.0f;
  });
  ctx.saved = {mask};
  return absl::OkStatus();
}

// The forward's mode decides, not ctx.training: the executor's backward
// context always says training, and the saved mask is what was applied.
// (The mask output's gradient is ignored: it does not depend on x.)
absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  const Tensor& dy = args.output_grads[0];
  if (ctx.saved.empty()) {
    dy.CopyInto(args.input_grads[0]);
    return absl::OkStatus();
  }
  const float* g = dy.data();
  const float* m = ctx.saved[0].data();
  float* dx = args.input_grads[0].data();
  ParallelFor(dy.num_elements(), kMinChunk,
              [&](int64_t b, int64_t e) { simd::Multiply(g + b, m + b, e - b, dx + b); });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("dropout", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in dropout.cu.
namespace cuda {
// The CPU kernel's mask (same seed, same counter-based stream), written to
// `mask`, y = x * mask and keep = (mask != 0) (keep may be null: not wanted).
void DropoutForward(const float* x, float* mask, float* y, float* keep, int64_t n, uint64_t seed,
                    float rate, float scale, cudaStream_t stream);
void FillOnes(float* out, int64_t n, cudaStream_t stream);
void DropoutGradient(const float* dy, const float* mask, float* dx, int64_t n, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status DeviceCopy(const Tensor& src, Tensor& dst, cudaStream_t stream, const char* what) {
  const size_t bytes = static_cast<size_t>(src.num_elements()) * sizeof(float);
  if (bytes == 0) return absl::OkStatus();
  return CudaStatus(
      cudaMemcpyAsync(dst.data(), src.data(), bytes, cudaMemcpyDeviceToDevice, stream), what);
}

// The same contract as the CPU kernels: training saves the mask (a GPU
// tensor here) in ctx.saved; evaluation copies and saves nothing, and the
// gradient reads an empty ctx.saved as evaluation.
absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  cudaStream_t stream = CudaContextOf(ctx.backend).stream;
  if (!TrainingForward(ctx)) {
    TS_RETURN_IF_ERROR(DeviceCopy(in[0], out[0], stream, "dropout forward (evaluation)"));
    if (!out[1].defined()) return absl::OkStatus();  // the mask output is not wanted
    cuda::FillOnes(out[1].data(), out[1].num_elements(), stream);
    return CudaLaunchStatus("dropout forward (evaluation mask)");
  }
  const float rate = ctx.attrs.GetFloat("rate");
  const float scale = 1.0f / (1.0f - rate);
  Tensor mask = Tensor::Empty(in[0].shape(), Device::kCuda);
  cuda::DropoutForward(in[0].data(), mask.data(), out[0].data(),
                       out[1].defined() ? out[1].data() : nullptr, in[0].num_elements(), ctx.seed,
                       rate, scale, stream);
  TS_RETURN_IF_ERROR(CudaLaunchStatus("dropout forward"));
  ctx.saved = {mask};
  return absl::OkStatus();
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  const Tensor& dy = args.output_grads[0];
  cudaStream_t stream = CudaContextOf(ctx.backend).stream;
  if (ctx.saved.empty()) {
    return DeviceCopy(dy, args.input_grads[0], stream, "dropout gradient (evaluation)");
  }
  cuda::DropoutGradient(dy.data(), ctx.saved[0].data(), args.input_grads[0].data(),
                        dy.num_elements(), stream);
  return CudaLaunchStatus("dropout gradient");
}

TESSERA_REGISTER_KERNEL("dropout", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
