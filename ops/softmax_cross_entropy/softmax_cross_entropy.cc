// softmax_cross_entropy: mean over the batch of -log softmax(logits)[label].
//
// logits [batch, classes]; labels [batch] holding class indices as floats
// (Tensors are float32). Computed as logsumexp(z) - z[label] with the row
// maximum subtracted first, so large logits neither overflow nor lose the
// answer. The forward saves the probabilities; the gradient with respect to
// the logits is (softmax(z) - onehot(label)) / batch, times the loss grad.

#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/rows.h"
#include "ops/softmax_cross_entropy/sce_rows.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> LossShape(const std::vector<Shape>& in, const Attrs&) {
  TS_RETURN_IF_ERROR(ExpectRank(in[0], 2, "logits [batch, classes]"));
  if (in[1] != Shape{in[0][0]}) {
    return absl::InvalidArgumentError(absl::StrCat(
        "labels must have shape [", in[0][0], "] to match the logits, got ", ShapeToString(in[1])));
  }
  return std::vector<Shape>{Shape{}};
}

TESSERA_REGISTER_OP("softmax_cross_entropy")
    .Input("logits")
    .NonDifferentiableInput("labels")
    .Output("loss")
    .Doc("Mean cross-entropy of softmax(logits) against integer class labels.")
    .ShapeFn(LossShape)
    .Saves([](const std::vector<Shape>& in, const std::vector<Shape>&, const Attrs&) {
      return std::vector<double>{4.0 * NumElements(in[0])};  // the probabilities
    })
    .Flops([](const std::vector<Shape>& in, const std::vector<Shape>&, const Attrs&) {
      // exp, sum and divide (or log) per input element.
      return 3.0 * NumElements(in[0]);
    });

// Every label must be an integer class index in [0, classes).
absl::Status CheckLabels(const float* labels, int64_t batch, int64_t classes) {
  for (int64_t i = 0; i < batch; ++i) {
    const float label = labels[i];
    if (!(label >= 0 && label < classes && label == std::floor(label))) {
      return absl::InvalidArgumentError(absl::StrCat(
          "label ", label, " of example ", i, " is not a class index in [0, ", classes, ")"));
    }
  }
  return absl::OkStatus();
}

// Rows per piece of work: at least 64K floats, or waking the second thread
// costs more than it saves (64x1000 logits ran at a tenth of the serial
// speed when split into 16-row pieces).
int64_t MinRows(int64_t classes) {
  return std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, classes));
}

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const int64_t batch = in[0].dim(0), classes = in[0].dim(1);
  const float* z = in[0].data();
  const float* labels = in[1].data();
  TS_RETURN_IF_ERROR(CheckLabels(labels, batch, classes));
  Tensor probs = Tensor::Empty(in[0].shape());
  float* p = probs.data();
  std::vector<double> row_loss(batch);
  ParallelFor(batch, MinRows(classes), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const float* zi = z + i * classes;
      float* pi = p + i * classes;
      const float max = sce::MaxOf(zi, classes);
      const double sum = sce::ExpAndSum(zi, max, pi, classes);
      const float inv = static_cast<float>(1.0 / sum);
      simd::ScaleShift(pi, inv, 0.0f, pi,
                       classes);  // pi * inv + 0: one rounding, as pi *= inv
      row_loss[i] = std::log(sum) - (zi[static_cast<int64_t>(labels[i])] - max);
    }
  });
  double total = 0;
  for (double l : row_loss) total += l;  // in order: reproducible
  out[0].data()[0] = static_cast<float>(total / batch);
  ctx.saved = {probs};
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  const Tensor& probs = ctx.saved.at(0);
  const int64_t batch = probs.dim(0), classes = probs.dim(1);
  const float scale = args.output_grads[0].data()[0] / static_cast<float>(batch);
  const float* p = probs.data();
  const float* labels = args.inputs[1].data();
  float* dz = args.input_grads[0].data();
  ParallelFor(batch, MinRows(classes), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      // scale * (p - onehot): scale * p everywhere, then the label.
      const int64_t label = static_cast<int64_t>(labels[i]);
      simd::ScaleShift(p + i * classes, scale, 0.0f, dz + i * classes, classes);
      dz[i * classes + label] = scale * (p[i * classes + label] - 1.0f);
    }
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("softmax_cross_entropy", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in softmax_cross_entropy.cu: the same stable form, sums in double.
namespace cuda {
void SoftmaxCrossEntropyForward(const float* z, const float* labels, float* probs, double* row_loss,
                                float* loss, int64_t batch, int64_t classes, cudaStream_t stream);
void SoftmaxCrossEntropyGradient(const float* probs, const float* labels, const float* dloss,
                                 float* dz, int64_t batch, int64_t classes, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  const int64_t batch = in[0].dim(0), classes = in[0].dim(1);
  // The labels are checked on the host, as on the CPU and with the same
  // error: one copy of `batch` floats, which waits for the stream. The
  // kernels then index with them unchecked.
  const std::vector<float> labels = in[1].ToVector();
  TS_RETURN_IF_ERROR(CheckLabels(labels.data(), batch, classes));
  Tensor probs = Tensor::Empty(in[0].shape(), Device::kCuda);
  // Scratch for the per-row losses in double: 2 floats per row (device
  // allocations are at least 256-byte aligned).
  Tensor row_loss = Tensor::Empty({2 * std::max<int64_t>(batch, 1)}, Device::kCuda);
  cuda::SoftmaxCrossEntropyForward(in[0].data(), in[1].data(), probs.data(),
                                   reinterpret_cast<double*>(row_loss.data()), out[0].data(), batch,
                                   classes, CudaContextOf(ctx.backend).stream);
  TS_RETURN_IF_ERROR(CudaLaunchStatus("softmax_cross_entropy forward"));
  ctx.saved = {probs};
  return absl::OkStatus();
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  const Tensor& probs = ctx.saved.at(0);
  cuda::SoftmaxCrossEntropyGradient(probs.data(), args.inputs[1].data(),
                                    args.output_grads[0].data(), args.input_grads[0].data(),
                                    probs.dim(0), probs.dim(1), CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("softmax_cross_entropy gradient");
}

TESSERA_REGISTER_KERNEL("softmax_cross_entropy", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA
}  // namespace tessera
