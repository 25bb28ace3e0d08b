#ifndef TESSERA_CORE_EXECUTOR_H_
#define TESSERA_CORE_EXECUTOR_H_

// Runs a Graph forward on one device and differentiates it in reverse mode.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/graph.h"
#include "core/kernel_registry.h"
#include "core/tensor.h"

namespace tessera {

struct Parameter {
  const ParameterDef* def = nullptr;
  Tensor value;
  Tensor grad;  // same shape; written by Executor::Backward
  bool trainable = true;
  float weight_decay_scale = 1.0f;
};

// The graph's parameters, initialised from their initializers.
class ParameterStore {
 public:
  // Draws every parameter from one generator seeded with `seed`, in the
  // order the graph declares them, then moves them to `device`.
  static ParameterStore Initialize(const Graph& graph, uint64_t seed, Device device);

  Parameter* Find(const std::string& name);
  std::map<std::string, Parameter>& all() { return params_; }
  const std::map<std::string, Parameter>& all() const { return params_; }
  int64_t TotalElements() const;

 private:
  std::map<std::string, Parameter> params_;
};

struct ExecutorOptions {
  Device device = Device::kCpu;
  // Stop at the first op whose output holds NaN or Inf, naming it.
  bool check_numerics = false;
};

class Executor {
 public:
  Executor(const Graph& graph, ParameterStore& params, ExecutorOptions options = {});

  // Runs every node. `feeds` must hold each graph input, on this executor's
  // device, with the declared shape (the -1 dimension taking the batch size).
  // `seed` feeds random ops (dropout); the same seed gives the same masks.
  absl::Status Forward(const std::map<std::string, Tensor>& feeds, bool training,
                       uint64_t seed = 0);
  // Writes d(loss)/d(param) into every trainable parameter's grad. Needs a
  // preceding Forward; fan-out gradients are summed. Gradient kernels see
  // the training mode and seed of that Forward.
  absl::Status Backward();
  // Reverse mode from given gradients of any values (e.g. an output's), not
  // only the loss. Also writes parameter grads, and returns the gradients of
  // the named graph inputs (zeros where no path leads to them).
  absl::StatusOr<std::map<std::string, Tensor>> BackwardFrom(
      const std::map<std::string, Tensor>& value_grads,
      const std::vector<std::string>& input_names);

  // A value computed by the last Forward (an input, parameter or node output).
  absl::StatusOr<Tensor> Value(const std::string& name) const;
  // The loss of the last Forward, copied to the host.
  absl::StatusOr<float> Loss() const;

  const Graph& graph() const { return graph_; }
  Device device() const { return options_.device; }

 private:
  absl::Status RunNode(int index, KernelContext& ctx, const KernelDef& kernel);

  const Graph& graph_;
  ParameterStore& params_;
  ExecutorOptions options_;
  Backend& backend_;
  std::vector<const KernelDef*> kernels_;  // per node; resolved up front
  std::map<std::string, Tensor> values_;
  std::vector<std::vector<Tensor>> saved_;  // per node
  bool ran_forward_ = false;
  bool last_training_ = false;
  absl::Status kernels_status_;
};

// "min -1.2 max 3.4 mean 0.5, 2 NaN, 0 Inf over 100 values": what a user
// needs to see when a value goes non-finite.
std::string DescribeValues(const Tensor& t);

}  // namespace tessera

#endif  // TESSERA_CORE_EXECUTOR_H_
