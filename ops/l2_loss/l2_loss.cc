// l2_loss: 1/2 ||prediction - target||^2, averaged over the batch (the first
// dimension). Gradients: (prediction - target) / batch, and its negative for
// the target.

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"

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
    .ShapeFn(L2Shape);

absl::Status Forward(KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const int64_t n = in[0].num_elements(), batch = in[0].dim(0);
  const float* y = in[0].data();
  const float* t = in[1].data();
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = double(y[i]) - t[i];
    sum += d * d;
  }
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
    for (int64_t i = b; i < e; ++i) {
      const float g = scale * (y[i] - t[i]);
      if (dy) dy[i] = g;
      if (dt) dt[i] = -g;
    }
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("l2_loss", Device::kCpu, Forward, Gradient);

}  // namespace
}  // namespace tessera
