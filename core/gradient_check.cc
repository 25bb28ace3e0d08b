#include "core/gradient_check.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/backend.h"

namespace tessera {
namespace {

// Guard regions of 64 floats (256 bytes) keep the tensor as aligned as the
// allocation itself, on the CPU (64 bytes) and on the GPU (256 bytes).
constexpr size_t kGuardFloats = 64;
// Quiet NaNs with payloads that no arithmetic produces (it makes 0x7fc00000).
constexpr uint32_t kUnwrittenBits = 0x7fc0a11fu;
constexpr uint32_t kGuardBits = 0x7fd0900du;
// Rounding allowance of the numeric gradient, in float32 units in the last
// place of each moved output: a few for the output's own rounding, the rest
// for sums inside the op (conv, softmax, batch norm) that round in another
// order after a nudge.
constexpr double kRoundoffUlps = 32;

float FromBits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint32_t ToBits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

// A tensor inside a larger allocation: [guard | tensor | guard].
struct Guarded {
  Tensor tensor;
  std::shared_ptr<Buffer> owner;
  size_t floats = 0;  // of the tensor, at least 1
};

Guarded NewGuarded(const Shape& shape, Device device) {
  Backend& backend = *GetBackend(device);
  Guarded g;
  g.floats = static_cast<size_t>(std::max<int64_t>(1, NumElements(shape)));
  const size_t total = g.floats + 2 * kGuardFloats;
  g.owner = std::make_shared<Buffer>(device, backend.Allocate(total * sizeof(float)),
                                     total * sizeof(float));
  std::vector<float> host(total, FromBits(kGuardBits));
  std::fill(host.begin() + kGuardFloats, host.begin() + kGuardFloats + g.floats,
            FromBits(kUnwrittenBits));
  backend.CopyFromHost(host.data(), g.owner->data(), total * sizeof(float));
  g.tensor = Tensor::OnBuffer(shape, std::make_shared<Buffer>(g.owner, kGuardFloats * sizeof(float),
                                                              g.floats * sizeof(float)));
  return g;
}

// An error naming `what` if the kernel wrote into either guard region.
absl::Status CheckGuards(const Guarded& g, const std::string& what) {
  Backend& backend = *GetBackend(g.owner->device());
  backend.Synchronize();
  std::vector<float> before(kGuardFloats), after(kGuardFloats);
  const float* base = static_cast<const float*>(g.owner->data());
  backend.CopyToHost(base, before.data(), kGuardFloats * sizeof(float));
  backend.CopyToHost(base + kGuardFloats + g.floats, after.data(), kGuardFloats * sizeof(float));
  int64_t first_after = -1, last_before = -1;
  for (size_t i = 0; i < kGuardFloats; ++i) {
    if (ToBits(before[i]) != kGuardBits && last_before < 0) last_before = kGuardFloats - i;
    if (ToBits(after[i]) != kGuardBits && first_after < 0) first_after = i;
  }
  if (last_before >= 0) {
    return absl::InternalError(
        absl::StrCat("the kernel wrote ", last_before, " floats before the start of ", what));
  }
  if (first_after >= 0) {
    return absl::InternalError(absl::StrCat("the kernel wrote past the end of ", what, " (",
                                            g.floats, " floats): at element ",
                                            g.floats + first_after));
  }
  return absl::OkStatus();
}

absl::StatusOr<const KernelDef*> FindKernel(const std::string& op, Device device) {
  if (OpRegistry::Global().Find(op) == nullptr) {
    return absl::NotFoundError(absl::StrCat("op '", op, "' is not registered"));
  }
  return KernelRegistry::Global().Find(op, device);
}

// All outputs' values, one after another.
std::vector<float> Flatten(const std::vector<Tensor>& outputs) {
  std::vector<float> all;
  for (const Tensor& t : outputs) {
    const std::vector<float> v = t.ToVector();
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}

// max that keeps a NaN once one was seen.
void KeepMax(double& max, double value) {
  if (std::isnan(max) || std::isnan(value)) {
    max = std::numeric_limits<double>::quiet_NaN();
  } else {
    max = std::max(max, value);
  }
}

}  // namespace

bool IsUnwrittenMarker(float value) { return ToBits(value) == kUnwrittenBits; }

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
  std::vector<Guarded> guarded;
  for (const Shape& s : out_shapes) {
    guarded.push_back(NewGuarded(s, device));
    run.outputs.push_back(guarded.back().tensor);
  }
  KernelContext ctx{attrs, *GetBackend(device), training, seed, run.saved};
  TS_RETURN_IF_ERROR(kernel->forward(ctx, on_device, run.outputs));
  for (size_t k = 0; k < guarded.size(); ++k) {
    TS_RETURN_IF_ERROR(
        CheckGuards(guarded[k], absl::StrCat(op, " forward output ", schema.outputs()[k])));
  }
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
  std::vector<Guarded> guarded(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    device_inputs.push_back(inputs[i].CopyTo(device));
    const bool skipped =
        std::find(skip_inputs.begin(), skip_inputs.end(), static_cast<int>(i)) != skip_inputs.end();
    if (schema.inputs()[i].differentiable && !skipped) {
      guarded[i] = NewGuarded(inputs[i].shape(), device);
      input_grads[i] = guarded[i].tensor;
    }
  }
  KernelContext ctx{attrs, *GetBackend(device), training, seed, base.saved};
  GradientArgs args{device_inputs, base.outputs, device_output_grads, input_grads};
  TS_RETURN_IF_ERROR(kernel->gradient(ctx, args));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!guarded[i].owner) continue;
    TS_RETURN_IF_ERROR(
        CheckGuards(guarded[i], absl::StrCat(op, " gradient of input ", schema.inputs()[i].name)));
  }
  return input_grads;
}

absl::StatusOr<GradCheckReport> CheckGradients(const std::string& op, const Attrs& attrs,
                                               const std::vector<Tensor>& inputs, Device device,
                                               bool training, uint64_t seed,
                                               const GradCheckOptions& options) {
  TS_ASSIGN_OR_RETURN(OpRun base, RunOpForward(op, attrs, inputs, device, training, seed));
  const OpSchema& schema = *OpRegistry::Global().Find(op);

  // Projection weights, one per output element: random sign, magnitude in
  // [0.5, 1].
  std::mt19937_64 rng(options.projection_seed);
  std::uniform_real_distribution<float> magnitude(0.5f, 1.0f);
  std::bernoulli_distribution negative(0.5);
  std::vector<float> weights;
  std::vector<Tensor> output_grads;
  for (const Tensor& out : base.outputs) {
    std::vector<float> w(out.num_elements());
    for (float& x : w) x = negative(rng) ? -magnitude(rng) : magnitude(rng);
    output_grads.push_back(Tensor::FromVector(out.shape(), w));
    weights.insert(weights.end(), w.begin(), w.end());
  }
  TS_ASSIGN_OR_RETURN(
      std::vector<Tensor> input_grads,
      RunOpGradient(op, attrs, inputs, device, training, seed, output_grads, options.skip_inputs));

  GradCheckReport report;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!input_grads[i].defined()) continue;
    const std::vector<float> analytic = input_grads[i].ToVector();
    std::vector<float> values = inputs[i].ToVector();
    std::vector<Tensor> perturbed = inputs;
    struct Element {
      size_t index;
      double numeric, roundoff;
    };
    std::vector<Element> elements;
    double scale = 0;  // the input's largest |gradient|, NaN-safe
    for (size_t e = 0; e < values.size(); ++e) {
      const float x = values[e];
      if (options.kink && std::fabs(x - *options.kink) < options.kink_window) {
        ++report.skipped_at_kink;
        continue;
      }
      auto outputs_at = [&](float v) -> absl::StatusOr<std::vector<float>> {
        values[e] = v;
        perturbed[i] = Tensor::FromVector(inputs[i].shape(), values);
        TS_ASSIGN_OR_RETURN(OpRun run, RunOpForward(op, attrs, perturbed, device, training, seed));
        return Flatten(run.outputs);
      };
      TS_ASSIGN_OR_RETURN(std::vector<float> plus, outputs_at(x + options.step));
      TS_ASSIGN_OR_RETURN(std::vector<float> minus, outputs_at(x - options.step));
      values[e] = x;
      // The perturbation actually applied, after float rounding of x +- h.
      const double h2 =
          static_cast<double>(x + options.step) - static_cast<double>(x - options.step);
      // Only outputs that moved contribute: the rest cancel exactly.
      double difference = 0, moved_magnitude = 0;
      for (size_t j = 0; j < weights.size(); ++j) {
        if (plus[j] == minus[j]) continue;
        difference += static_cast<double>(weights[j]) * (static_cast<double>(plus[j]) - minus[j]);
        moved_magnitude += std::fabs(weights[j]) * (std::fabs(plus[j]) + std::fabs(minus[j]));
      }
      const double numeric = difference / h2;
      const double roundoff = kRoundoffUlps * std::ldexp(moved_magnitude, -24) / h2;
      elements.push_back({e, numeric, roundoff});
      KeepMax(scale, std::max(std::fabs(numeric), std::fabs(double{analytic[e]})));
    }
    for (const Element& el : elements) {
      const double a = analytic[el.index];
      const double abs_err = std::fabs(a - el.numeric);
      const double larger = std::max(std::fabs(a), std::fabs(el.numeric));
      const double tol = options.abs_tol * scale + options.rel_tol * larger + el.roundoff;
      KeepMax(report.max_abs_error, abs_err);
      if (larger > 0 || std::isnan(abs_err)) KeepMax(report.max_rel_error, abs_err / larger);
      KeepMax(report.max_error_over_tolerance, tol > 0 ? abs_err / tol : (abs_err > 0 ? 1e9 : 0));
      ++report.checked;
      if (!(abs_err <= tol)) {
        ++report.failed;
        if (report.failures.size() < 5) {
          report.failures.push_back(absl::StrFormat(
              "input %d ('%s') element %d: analytic %.6g, numeric %.6g, |diff| %.3g > "
              "tolerance %.3g",
              i, schema.inputs()[i].name, el.index, a, el.numeric, abs_err, tol));
        }
      }
    }
  }
  return report;
}

}  // namespace tessera
