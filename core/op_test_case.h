#ifndef TESSERA_CORE_OP_TEST_CASE_H_
#define TESSERA_CORE_OP_TEST_CASE_H_

// Test cases that drive the registry-wide conformance suite
// (core/conformance_main.cc), in the spirit of ggml's test-backend-ops: one
// table per op; the harness runs every case on every backend present:
//   1. forward output against reference values (hand-written numbers, a
//      plain reference implementation, or both);
//   2. on a non-CPU backend, forward outputs against the CPU's;
//   3. the gradient check of core/gradient_check.h on every input.
// An op that is registered but has no case fails the suite.
//
//   std::vector<OpTestCase> ReluCases() { ... }
//   TESSERA_OP_TEST_CASES("relu", ReluCases);

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/gradient_check.h"
#include "core/op_registry.h"
#include "core/tensor.h"

namespace tessera {

struct OpTestCase {
  std::string name;  // unique within its op, e.g. "batch3_with_bias"
  std::map<std::string, AttrValue> attrs;
  std::vector<Tensor> inputs;  // on the CPU
  // Expected outputs, one vector per output, in row-major order.
  std::vector<std::vector<float>> expected;
  // A plain implementation to compare against, used when `expected` is empty
  // or in addition to it.
  std::function<std::vector<std::vector<float>>(const std::vector<Tensor>& inputs,
                                                const Attrs& attrs)>
      reference;
  // Forward comparison: |out - ref| <= abs_tol + rel_tol * |ref|.
  float output_abs_tol = 1e-5f;
  float output_rel_tol = 1e-5f;
  bool training = true;
  uint64_t seed = 7;
  bool check_gradient = true;  // every case checks unless it says why not
  GradCheckOptions grad;
};

using OpTestCaseFactory = std::vector<OpTestCase> (*)();

bool RegisterOpTestCases(const std::string& op, OpTestCaseFactory factory);
const std::map<std::string, std::vector<OpTestCaseFactory>>& RegisteredOpTestCases();

// Values for test inputs: deterministic uniform draws in [low, high].
std::vector<float> RandomValues(int64_t n, uint64_t seed, float low = -1.0f, float high = 1.0f);
// Like RandomValues, but all distinct and at least `gap` apart after a
// shuffle, so that a finite-difference nudge cannot reorder them (max-pool,
// ReLU kinks).
std::vector<float> SpacedValues(int64_t n, uint64_t seed, float gap = 0.05f);
Tensor RandomTensor(const Shape& shape, uint64_t seed, float low = -1.0f, float high = 1.0f);

// A training forward and gradient of a graph through the executor, for tests
// of OpSchema::OptionalOutput: `graph_text` has input "x" of `shape`; the
// gradient of x is taken for a random dy on `node`'s output 0. `values`
// holds the graph's outputs (in order) and then dx; `output1_computed` says
// whether node's forward computed its output 1.
struct OptionalOutputRun {
  std::vector<std::vector<float>> values;
  bool output1_computed = false;
};
absl::StatusOr<OptionalOutputRun> RunWithOptionalOutput(const std::string& graph_text,
                                                        const std::string& node, const Shape& shape,
                                                        Device device, uint64_t seed);

}  // namespace tessera

#define TESSERA_OP_TEST_CASES(op, factory)                       \
  static const bool TS_CONCAT_(tessera_op_cases_, __COUNTER__) = \
      ::tessera::RegisterOpTestCases(op, factory)

#endif  // TESSERA_CORE_OP_TEST_CASE_H_
