// batch_norm2d: batch normalization of NCHW images per channel (PyTorch's
// nn.BatchNorm2d).
//
// Inputs: x [N, C, H, W], gamma [C], beta [C], running_mean [C],
// running_var [C] (the last two not differentiable). Attrs: momentum
// (default 0.1, PyTorch's convention: new = (1 - m) * old + m * batch) and
// epsilon (default 1e-5).
// Outputs: y [N, C, H, W], new_running_mean [C], new_running_var [C].
// Two attributes for ONNX's training-mode BatchNormalization (opset 14+):
// unbiased_running_var (default true, PyTorch's rule below; false: the
// running variance takes the biased batch variance var, as ONNX's does) and
// force_training (default false; true: every forward behaves as a training
// forward, whatever the executor's mode, as a node with ONNX
// training_mode = 1 does).
//
// Training: y = gamma * (x - mean) / sqrt(var + eps) + beta with the batch
// mean and biased variance over N, H, W; the running statistics are updated
// with the unbiased variance, as PyTorch does:
//   new_running_mean = (1 - m) * running_mean + m * mean
//   new_running_var  = (1 - m) * running_var  + m * var * M / (M - 1),
// M = N * H * W (M / (M - 1) is 1 without unbiased_running_var). Evaluation: normalizes with
// running_mean and running_var; the new_running_* outputs equal the inputs.
//
// Ops are pure functions, so this op cannot update its running-stat
// parameters in place. A graph declares them as state instead: the
// parameters are frozen and say `updated_from: "<node>:1"` / `":2"`, and the
// executor stores the new values after every training forward (as PyTorch
// updates a module's buffers in train mode); see models/testdata/bn_cnn.pbtxt.

// Gradients for x, gamma and beta. In training the batch statistics depend
// on x, and so do the new running statistics; the x gradient includes those
// paths too (d new_running_mean / dx = m / M and
// d new_running_var / dx_i = 2 m (x_i - mean) / (M - 1), or / M when
// biased), so the op's
// gradient is exact for all three outputs. They are zero-weighted in a graph
// where nothing consumes new_running_*.

#include <cmath>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/batch_norm2d/bn_planes.h"
#include "ops/common/rows.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> BatchNormShape(const std::vector<Shape>& in,
                                                  const Attrs& attrs) {
  TS_RETURN_IF_ERROR(ExpectRank(in[0], 4, "input x [N, C, H, W]"));
  const int64_t channels = in[0][1];
  const char* names[] = {"", "gamma", "beta", "running_mean", "running_var"};
  for (int i = 1; i <= 4; ++i) {
    if (in[i] != Shape{channels}) {
      return absl::InvalidArgumentError(absl::StrCat(names[i], " must have shape [", channels,
                                                     "] (the channels of x ", ShapeToString(in[0]),
                                                     "), got ", ShapeToString(in[i])));
    }
  }
  const float momentum = attrs.GetFloat("momentum"), epsilon = attrs.GetFloat("epsilon");
  if (!(momentum >= 0.0f && momentum <= 1.0f)) {
    return absl::InvalidArgumentError(absl::StrCat("momentum must be in [0, 1], got ", momentum));
  }
  if (!(epsilon > 0.0f && std::isfinite(epsilon))) {
    return absl::InvalidArgumentError(
        absl::StrCat("epsilon must be positive and finite, got ", epsilon));
  }
  return std::vector<Shape>{in[0], {channels}, {channels}};
}

TESSERA_REGISTER_OP("batch_norm2d")
    .Input("x")
    .Input("gamma")
    .Input("beta")
    .NonDifferentiableInput("running_mean")
    .NonDifferentiableInput("running_var")
    .Output("y")
    .Output("new_running_mean")
    .Output("new_running_var")
    .Attr("momentum", AttrType::kFloat, FloatAttr(0.1f))
    .Attr("epsilon", AttrType::kFloat, FloatAttr(1e-5f))
    .Attr("unbiased_running_var", AttrType::kBool, BoolAttr(true))
    .Attr("force_training", AttrType::kBool, BoolAttr(false))
    .Doc(
        "Per-channel batch normalization of NCHW; outputs y and the updated running stats, "
        "which the running-stat parameters take through updated_from.")
    .ShapeFn(BatchNormShape)
    .Saves([](const std::vector<Shape>& in, const std::vector<Shape>&, const Attrs&) {
      const double channels = in[0].size() > 1 ? static_cast<double>(in[0][1]) : 1.0;
      return std::vector<double>{4 * channels, 4 * channels, 4.0};  // mean, 1/std, mode
    })
    // a folded scale and shift
    .Flops(FlopsPerOutputElement(2));

// Saved by the forward for the gradient: the mean and 1/sqrt(var + eps) it
// normalized with, per channel, and a one-element mode flag (1 training, 0
// eval). The flag, not ctx.training, decides the gradient formula: the
// executor's backward context always says training.
enum Saved { kMean = 0, kInvStd = 1, kTrainingFlag = 2 };

// Whether this forward uses batch statistics.
bool TrainingForward(const KernelContext& ctx) {
  return ctx.training || ctx.attrs.GetBool("force_training");
}

// The divisor of the sum of squared deviations in the running variance:
// M - 1 (unbiased, PyTorch) or M (biased, ONNX).
int64_t RunningVarDivisor(const Attrs& attrs, int64_t count) {
  return attrs.GetBool("unbiased_running_var") ? count - 1 : count;
}

absl::Status CheckTrainingCount(const Attrs& attrs, int64_t count) {
  if (RunningVarDivisor(attrs, count) < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "training needs more than one value per channel (N*H*W = ", count, ") for the variance"));
  }
  return absl::OkStatus();
}

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const int64_t batch = in[0].dim(0), channels = in[0].dim(1);
  const int64_t plane = in[0].dim(2) * in[0].dim(3), count = batch * plane;
  const float momentum = ctx.attrs.GetFloat("momentum"), epsilon = ctx.attrs.GetFloat("epsilon");
  const float* x = in[0].data();
  const float* gamma = in[1].data();
  const float* beta = in[2].data();
  const float* running_mean = in[3].data();
  const float* running_var = in[4].data();
  const bool training = TrainingForward(ctx);
  if (training) TS_RETURN_IF_ERROR(CheckTrainingCount(ctx.attrs, count));
  const int64_t var_divisor = RunningVarDivisor(ctx.attrs, count);
  if (!training) {
    for (int64_t c = 0; c < channels; ++c) {
      if (!(running_var[c] + epsilon > 0)) {
        return absl::InvalidArgumentError(
            absl::StrCat("running_var[", c, "] = ", running_var[c], " is negative or NaN"));
      }
    }
  }
  Tensor mean_t = Tensor::Empty({channels}), inv_std_t = Tensor::Empty({channels});
  float* mean_out = mean_t.data();
  float* inv_std_out = inv_std_t.data();
  float* y = out[0].data();
  float* new_mean = out[1].data();
  float* new_var = out[2].data();
  // One channel per unit: each channel's sums run in a fixed order.
  ParallelFor(channels, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double mean, var;
      if (training) {
        double sum = 0;
        for (int64_t n = 0; n < batch; ++n) {
          sum += batch_norm::Sum(x + (n * channels + c) * plane, plane);
        }
        mean = sum / count;
        double sq = 0;  // second pass: no cancellation of large means
        for (int64_t n = 0; n < batch; ++n) {
          sq += batch_norm::SumSquaredDeviation(x + (n * channels + c) * plane, mean, plane);
        }
        var = sq / count;
        new_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + momentum * mean);
        new_var[c] =
            static_cast<float>((1.0 - momentum) * running_var[c] + momentum * sq / var_divisor);
      } else {
        mean = running_mean[c];
        var = running_var[c];
        new_mean[c] = running_mean[c];
        new_var[c] = running_var[c];
      }
      const float m = static_cast<float>(mean);
      const float inv_std = static_cast<float>(1.0 / std::sqrt(var + epsilon));
      mean_out[c] = m;
      inv_std_out[c] = inv_std;
      // (x - m) * scale + beta, folded into one multiply-add.
      const float scale = gamma[c] * inv_std;
      const float shift = beta[c] - m * scale;
      for (int64_t n = 0; n < batch; ++n) {
        const int64_t at = (n * channels + c) * plane;
        simd::ScaleShift(x + at, scale, shift, y + at, plane);
      }
    }
  });
  ctx.saved = {mean_t, inv_std_t, Tensor::Filled({1}, training ? 1.0f : 0.0f)};
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  const Tensor& xt = args.inputs[0];
  const int64_t batch = xt.dim(0), channels = xt.dim(1);
  const int64_t plane = xt.dim(2) * xt.dim(3), count = batch * plane;
  const float momentum = ctx.attrs.GetFloat("momentum");
  const int64_t var_divisor = RunningVarDivisor(ctx.attrs, count);
  const bool training = ctx.saved.at(kTrainingFlag).data()[0] != 0.0f;
  const float* x = xt.data();
  const float* gamma = args.inputs[1].data();
  const float* mean = ctx.saved.at(kMean).data();
  const float* inv_std = ctx.saved.at(kInvStd).data();
  const float* dy = args.output_grads[0].data();
  const float* d_new_mean = args.output_grads[1].data();
  const float* d_new_var = args.output_grads[2].data();
  float* dx = args.input_grads[0].defined() ? args.input_grads[0].data() : nullptr;
  float* dgamma = args.input_grads[1].defined() ? args.input_grads[1].data() : nullptr;
  float* dbeta = args.input_grads[2].defined() ? args.input_grads[2].data() : nullptr;
  ParallelFor(channels, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      // sum(dy) and sum(dy * xhat), xhat = (x - mean) * inv_std.
      double sum_dy = 0, sum_dy_xhat = 0;
      for (int64_t n = 0; n < batch; ++n) {
        const int64_t at = (n * channels + c) * plane;
        batch_norm::AddGradientSums(dy + at, x + at, mean[c], inv_std[c], plane, &sum_dy,
                                    &sum_dy_xhat);
      }
      if (dgamma) dgamma[c] = static_cast<float>(sum_dy_xhat);
      if (dbeta) dbeta[c] = static_cast<float>(sum_dy);
      if (!dx) continue;
      const float scale = gamma[c] * inv_std[c];
      if (!training) {
        // Running stats are constants: y is affine in x.
        for (int64_t n = 0; n < batch; ++n) {
          const int64_t at = (n * channels + c) * plane;
          simd::ScaleShift(dy + at, scale, 0.0f, dx + at, plane);
        }
        continue;
      }
      // Through y: gamma * inv_std * (dy - mean(dy) - xhat * mean(dy * xhat)).
      const float mean_dy = static_cast<float>(sum_dy / count);
      const float mean_dy_xhat = static_cast<float>(sum_dy_xhat / count);
      // Through the running stats: m / M per element, and 2 m (x - mean) / (M - 1)
      // (/ M when biased).
      const float via_mean = momentum * d_new_mean[c] / static_cast<float>(count);
      const float via_var = 2.0f * momentum * d_new_var[c] / static_cast<float>(var_divisor);
      const batch_norm::DxTerms terms{mean[c],      inv_std[c], scale,  mean_dy,
                                      mean_dy_xhat, via_mean,   via_var};
      for (int64_t n = 0; n < batch; ++n) {
        const int64_t at = (n * channels + c) * plane;
        batch_norm::TrainingDx(dy + at, x + at, terms, dx + at, plane);
      }
    }
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("batch_norm2d", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in batch_norm2d.cu: the same statistics, running-stat update and
// gradient as above.
namespace cuda {
void BatchNormForward(const float* x, const float* gamma, const float* beta,
                      const float* running_mean, const float* running_var, float* y,
                      float* new_mean, float* new_var, float* mean_out, float* inv_std_out,
                      int64_t batch, int64_t channels, int64_t plane, bool training, float momentum,
                      float epsilon, int64_t var_divisor, cudaStream_t stream);
void BatchNormGradient(const float* x, const float* gamma, const float* mean, const float* inv_std,
                       const float* training_flag, const float* dy, const float* d_new_mean,
                       const float* d_new_var, float* dx, float* dgamma, float* dbeta, float* stats,
                       int64_t batch, int64_t channels, int64_t plane, float momentum,
                       int64_t var_divisor, cudaStream_t stream);
}  // namespace cuda

namespace {

// Saves what the CPU forward saves (mean, inv_std, training flag; see
// Saved), all on the GPU. One difference: in evaluation the CPU rejects a
// running_var with running_var + epsilon <= 0 or NaN; checking that here
// would copy running_var to the host and wait for the stream at every
// layer, so the GPU does not, and such a channel's outputs come out NaN.
absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  const int64_t batch = in[0].dim(0), channels = in[0].dim(1);
  const int64_t plane = in[0].dim(2) * in[0].dim(3), count = batch * plane;
  const bool training = TrainingForward(ctx);
  if (training) TS_RETURN_IF_ERROR(CheckTrainingCount(ctx.attrs, count));
  Tensor mean_t = Tensor::Empty({channels}, Device::kCuda),
         inv_std_t = Tensor::Empty({channels}, Device::kCuda);
  cuda::BatchNormForward(in[0].data(), in[1].data(), in[2].data(), in[3].data(), in[4].data(),
                         out[0].data(), out[1].data(), out[2].data(), mean_t.data(),
                         inv_std_t.data(), batch, channels, plane, training,
                         ctx.attrs.GetFloat("momentum"), ctx.attrs.GetFloat("epsilon"),
                         RunningVarDivisor(ctx.attrs, count), CudaContextOf(ctx.backend).stream);
  TS_RETURN_IF_ERROR(CudaLaunchStatus("batch_norm2d forward"));
  ctx.saved = {mean_t, inv_std_t, Tensor::Filled({1}, training ? 1.0f : 0.0f, Device::kCuda)};
  return absl::OkStatus();
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  const Tensor& x = args.inputs[0];
  const int64_t batch = x.dim(0), channels = x.dim(1), plane = x.dim(2) * x.dim(3);
  float* dx = args.input_grads[0].defined() ? args.input_grads[0].data() : nullptr;
  float* dgamma = args.input_grads[1].defined() ? args.input_grads[1].data() : nullptr;
  float* dbeta = args.input_grads[2].defined() ? args.input_grads[2].data() : nullptr;
  if (dx == nullptr && dgamma == nullptr && dbeta == nullptr) return absl::OkStatus();
  // mean(dy) and mean(dy * xhat) per channel, for dx.
  Tensor stats;
  if (dx != nullptr) stats = Tensor::Empty({2 * channels}, Device::kCuda);
  cuda::BatchNormGradient(
      x.data(), args.inputs[1].data(), ctx.saved.at(kMean).data(), ctx.saved.at(kInvStd).data(),
      ctx.saved.at(kTrainingFlag).data(), args.output_grads[0].data(), args.output_grads[1].data(),
      args.output_grads[2].data(), dx, dgamma, dbeta, dx != nullptr ? stats.data() : nullptr, batch,
      channels, plane, ctx.attrs.GetFloat("momentum"), RunningVarDivisor(ctx.attrs, batch * plane),
      CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("batch_norm2d gradient");
}

TESSERA_REGISTER_KERNEL("batch_norm2d", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA
}  // namespace tessera
