#include "core/gradient_check.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tessera {
namespace {

absl::StatusOr<const KernelDef*> FindKernel(const std::string& op, Device device) {
  if (OpRegistry::Global().Find(op) == nullptr) {
    return absl::NotFoundError(absl::StrCat("op '", op, "' is not registered"));
  }
  return KernelRegistry::Global().Find(op, device);
}

double Projection(const std::vector<Tensor>& outputs,
                  const std::vector<std::vector<float>>& weights) {
  double sum = 0;
  for (size_t k = 0; k < outputs.size(); ++k) {
    const std::vector<float> v = outputs[k].ToVector();
    for (size_t j = 0; j < v.size(); ++j) sum += static_cast<double>(weights[k][j]) * v[j];
  }
  return sum;
}

}  // namespace

absl::StatusOr<OpRun> RunOpForward(const std::string& op, const Attrs& attrs,
                                   const std::vector<Tensor>& inputs, Device device, bool training,
                                   uint64_t seed) {
  TS_ASSIGN_OR_RETURN(const KernelDef* kernel, FindKernel(op, device));
  const OpSchema& schema = *OpRegistry::Global().Find(op);
  std::vector<Tensor> on_device;
  std::vector<Shape> shapes;
  for (const Tensor& t : inputs) {
    on_device.push_back(t.device() == device ? t : t.CopyTo(device));
    shapes.push_back(t.shape());
  }
  TS_ASSIGN_OR_RETURN(std::vector<Shape> out_shapes, schema.InferShapes(shapes, attrs));
  OpRun run;
  for (const Shape& s : out_shapes) run.outputs.push_back(Tensor::Empty(s, device));
  KernelContext ctx{attrs, *GetBackend(device), training, seed, run.saved};
  TS_RETURN_IF_ERROR(kernel->forward(ctx, on_device, run.outputs));
  return run;
}

absl::StatusOr<std::vector<Tensor>> RunOpGradient(const std::string& op, const Attrs& attrs,
                                                  const std::vector<Tensor>& inputs, Device device,
                                                  bool training, uint64_t seed,
                                                  const std::vector<Tensor>& output_grads,
                                                  const std::vector<int>& skip_inputs) {
  TS_ASSIGN_OR_RETURN(const KernelDef* kernel, FindKernel(op, device));
  const OpSchema& schema = *OpRegistry::Global().Find(op);
  TS_ASSIGN_OR_RETURN(OpRun base, RunOpForward(op, attrs, inputs, device, training, seed));
  if (output_grads.size() != base.outputs.size()) {
    return absl::InvalidArgumentError("RunOpGradient: one output gradient per output is needed");
  }
  std::vector<Tensor> device_output_grads;
  for (const Tensor& g : output_grads) device_output_grads.push_back(g.CopyTo(device));
  std::vector<Tensor> device_inputs, input_grads(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    device_inputs.push_back(inputs[i].CopyTo(device));
    const bool skipped =
        std::find(skip_inputs.begin(), skip_inputs.end(), static_cast<int>(i)) != skip_inputs.end();
    if (schema.inputs()[i].differentiable && !skipped) {
      input_grads[i] = Tensor::Empty(inputs[i].shape(), device);
    }
  }
  KernelContext ctx{attrs, *GetBackend(device), training, seed, base.saved};
  GradientArgs args{device_inputs, base.outputs, device_output_grads, input_grads};
  TS_RETURN_IF_ERROR(kernel->gradient(ctx, args));
  return input_grads;
}

absl::StatusOr<GradCheckReport> CheckGradients(const std::string& op, const Attrs& attrs,
                                               const std::vector<Tensor>& inputs, Device device,
                                               bool training, uint64_t seed,
                                               const GradCheckOptions& options) {
  TS_ASSIGN_OR_RETURN(OpRun base, RunOpForward(op, attrs, inputs, device, training, seed));
  const OpSchema& schema = *OpRegistry::Global().Find(op);

  // Fixed projection weights, one per output element.
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<std::vector<float>> weights;
  std::vector<Tensor> output_grads;
  for (const Tensor& out : base.outputs) {
    weights.emplace_back(out.num_elements());
    for (float& w : weights.back()) w = uniform(rng);
    output_grads.push_back(Tensor::FromVector(out.shape(), weights.back()));
  }
  TS_ASSIGN_OR_RETURN(
      std::vector<Tensor> input_grads,
      RunOpGradient(op, attrs, inputs, device, training, seed, output_grads, options.skip_inputs));
  auto wanted = [&](size_t i) { return input_grads[i].defined(); };

  GradCheckReport report;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!wanted(i)) continue;
    const std::vector<float> analytic = input_grads[i].ToVector();
    std::vector<float> values = inputs[i].ToVector();
    std::vector<Tensor> perturbed = inputs;
    for (size_t e = 0; e < values.size(); ++e) {
      const float x = values[e];
      if (options.kink && std::fabs(x - *options.kink) < options.kink_window) {
        ++report.skipped_at_kink;
        continue;
      }
      auto loss_at = [&](float v) -> absl::StatusOr<double> {
        values[e] = v;
        perturbed[i] = Tensor::FromVector(inputs[i].shape(), values);
        TS_ASSIGN_OR_RETURN(OpRun run, RunOpForward(op, attrs, perturbed, device, training, seed));
        return Projection(run.outputs, weights);
      };
      TS_ASSIGN_OR_RETURN(double plus, loss_at(x + options.step));
      TS_ASSIGN_OR_RETURN(double minus, loss_at(x - options.step));
      values[e] = x;
      // The perturbation actually applied, after float rounding of x +- h.
      const double h2 =
          static_cast<double>(x + options.step) - static_cast<double>(x - options.step);
      const double numeric = (plus - minus) / h2;
      const double a = analytic[e];
      const double abs_err = std::fabs(a - numeric);
      const double scale = std::max(std::fabs(a), std::fabs(numeric));
      report.max_abs_error = std::max(report.max_abs_error, abs_err);
      if (scale > 0) report.max_rel_error = std::max(report.max_rel_error, abs_err / scale);
      ++report.checked;
      if (abs_err > options.abs_tol + options.rel_tol * scale && report.failures.size() < 5) {
        report.failures.push_back(
            absl::StrFormat("input %d ('%s') element %d: analytic %.6g, numeric %.6g, |diff| "
                            "%.3g",
                            i, schema.inputs()[i].name, e, a, numeric, abs_err));
      }
    }
  }
  return report;
}

}  // namespace tessera
