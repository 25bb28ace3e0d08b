#ifndef TESSERA_CORE_GRADIENT_CHECK_H_
#define TESSERA_CORE_GRADIENT_CHECK_H_

// Runs a single op outside a graph, and checks its gradient kernel against
// central differences.
//
// The check: draw fixed weights w in [-1, 1] for every output element and
// define L = sum(w * outputs) (accumulated in double). The analytic gradient
// is the op's gradient kernel fed output_grads = w. The numeric gradient of
// input element x is (L(x + h) - L(x - h)) / 2h with the op computing in
// float32, for every element of every differentiable input. They agree when
//     |analytic - numeric| <= abs_tol + rel_tol * max(|analytic|, |numeric|).
// Defaults h = 1e-2, abs_tol = rel_tol = 1e-3 follow Caffe's float checks:
// h^2 keeps the truncation error of smooth ops near 1e-5 while the float32
// round-off of L, about 1e-7 * |L| / h, stays below 1e-4 for the small shapes
// used in tests. Ops with kinks (ReLU at 0) skip elements whose input lies
// within kink_window of the kink, where a finite difference straddles it.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"

namespace tessera {

struct GradCheckOptions {
  float step = 1e-2f;
  float abs_tol = 1e-3f;
  float rel_tol = 1e-3f;
  std::optional<float> kink;
  float kink_window = 0.0f;
  // Inputs not to check besides the schema's non-differentiable ones.
  std::vector<int> skip_inputs;
};

struct GradCheckReport {
  int64_t checked = 0;
  int64_t skipped_at_kink = 0;
  double max_abs_error = 0;
  double max_rel_error = 0;
  std::vector<std::string> failures;  // first few, each naming input and element
};

struct OpRun {
  std::vector<Tensor> outputs;
  std::vector<Tensor> saved;
};

// Runs the op's forward kernel on `device`. Inputs may live on any device;
// they are copied to `device`. Shapes are inferred by the schema.
absl::StatusOr<OpRun> RunOpForward(const std::string& op, const Attrs& attrs,
                                   const std::vector<Tensor>& inputs, Device device, bool training,
                                   uint64_t seed);

// The op's gradient kernel on `device`, after its forward kernel, for the
// given output gradients (one per output, on any device). One gradient per
// input, on `device`; undefined for inputs that are not differentiable or
// listed in `skip_inputs`.
absl::StatusOr<std::vector<Tensor>> RunOpGradient(const std::string& op, const Attrs& attrs,
                                                  const std::vector<Tensor>& inputs, Device device,
                                                  bool training, uint64_t seed,
                                                  const std::vector<Tensor>& output_grads,
                                                  const std::vector<int>& skip_inputs = {});

absl::StatusOr<GradCheckReport> CheckGradients(const std::string& op, const Attrs& attrs,
                                               const std::vector<Tensor>& inputs, Device device,
                                               bool training, uint64_t seed,
                                               const GradCheckOptions& options);

}  // namespace tessera

#endif  // TESSERA_CORE_GRADIENT_CHECK_H_
