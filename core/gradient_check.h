#ifndef TESSERA_CORE_GRADIENT_CHECK_H_
#define TESSERA_CORE_GRADIENT_CHECK_H_

// Runs a single op outside a graph, and checks its gradient kernel against
// central differences.
//
// Every kernel call made here gets its outputs (and, for the gradient, its
// input gradients) filled with a NaN marker first, so an element the kernel
// leaves unwritten shows up as NaN, and surrounded by guard regions that are
// checked after the call, so a write past either end is an error naming the
// tensor. ggml's test-backend-ops uses sentinels the same way.
//
// The check: draw projection weights w, one per output element, of random
// sign and magnitude in [0.5, 1] (so no output goes almost unweighted), from
// `projection_seed` (the conformance harness varies it per case), and define
// L = sum(w * outputs). The analytic gradient is the op's gradient kernel fed
// output_grads = w. The numeric gradient of input element x is
// (L(x + h) - L(x - h)) / 2h, summed in double over the outputs that moved,
// with the op computing in float32, for every element of every
// differentiable input. They agree when
//     |analytic - numeric| <= abs_tol * scale_i
//                             + rel_tol * max(|analytic|, |numeric|)
//                             + roundoff
// where scale_i is the largest |gradient| of that input, so that an input
// whose gradients are all ~1e-3 (saturated sigmoid, softmax far from the
// label) is checked as tightly as one whose gradients are ~1, and roundoff
// bounds the float32 rounding of the moved outputs,
// kRoundoffUlps * 2^-24 * sum |w_j| (|y_j(x+h)| + |y_j(x-h)|) / 2h. Caffe
// used an absolute 1e-3, which lets a 30% error in a 1e-3 gradient pass.
// h = 1e-2 keeps the truncation error of smooth ops near 1e-5 relative.
// Comparisons are NaN-safe: a NaN anywhere fails. Ops with kinks (ReLU at
// 0) skip elements whose input lies within kink_window of the kink, where a
// finite difference straddles it.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"

namespace tessera {

struct GradCheckOptions {
  float step = 1e-2f;
  float abs_tol = 1e-4f;  // times the input's largest |gradient|
  float rel_tol = 1e-3f;
  uint64_t projection_seed = 1234;
  std::optional<float> kink;
  float kink_window = 0.0f;
  // Inputs not to check besides the schema's non-differentiable ones.
  std::vector<int> skip_inputs;
};

struct GradCheckReport {
  int64_t checked = 0;
  int64_t skipped_at_kink = 0;
  int64_t failed = 0;
  double max_abs_error = 0;  // NaN if any error was NaN
  double max_rel_error = 0;
  double max_error_over_tolerance = 0;  // the tightest margin; > 1 fails
  std::vector<std::string> failures;    // first few, each naming input and element
};

// The value the harness fills outputs and input gradients with before each
// kernel call: a NaN whose bits no arithmetic produces.
bool IsUnwrittenMarker(float value);

struct OpRun {
  std::vector<Tensor> outputs;
  std::vector<Tensor> saved;
};

// Runs the op's forward kernel on `device`. Inputs may live on any device;
// they are copied to `device`. Shapes are inferred by the schema. Outputs
// start as NaN markers inside guard regions; a write past them is an error.
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
