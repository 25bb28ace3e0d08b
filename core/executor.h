#ifndef TESSERA_CORE_EXECUTOR_H_
#define TESSERA_CORE_EXECUTOR_H_

// Runs a Graph forward on one device and differentiates it in reverse mode.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/graph.h"
#include "core/kernel_registry.h"
#include "core/memory_plan.h"
#include "core/tensor.h"

namespace tessera {

struct Parameter {
  const ParameterDef* def = nullptr;
  Tensor value;
  // Same shape; written by Executor::Backward. Shape only (no storage)
  // once a fused optimizer update has applied and released it
  // (Optimizer::fused_update).
  Tensor grad;
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
  // Stop at the first op whose output holds NaN or Inf, naming it (a
  // CheckNumericsHook installed by the executor).
  bool check_numerics = false;
  // Memory plan for training (a training Forward followed by Backward from
  // the loss): release each forward value as soon as nothing needs it any
  // more (no later node, no gradient kernel per OpSchema::GradientReads,
  // not the loss or a graph output), run InPlace ops in place on values
  // nothing else needs, and release what the gradients read once the last
  // of them ran. Value() of a released value is an error. The trainers turn
  // it on; BackwardFrom() with input names needs it off.
  bool release_values = false;
};

// One kernel call, as the executor reports it to hooks.
struct NodeCall {
  const Node& node;
  int index = 0;          // position in graph.nodes()
  bool gradient = false;  // false: the forward kernel; true: the gradient kernel
  const std::vector<Tensor>& inputs;
  // The forward's outputs: allocated but not yet written in BeforeNode of a
  // forward call, filled afterwards.
  const std::vector<Tensor>& outputs;
  // Forward outputs that are optional and that nothing reads are shape-only
  // (undefined; OpSchema::OptionalOutput). Gradient calls only (nullptr for
  // forward calls): input_grads holds undefined tensors where no gradient
  // is wanted, and, in BeforeNode, where the gradient passes through an
  // output's unchanged (OpSchema::GradientPassesThrough); in AfterNode
  // those share the output gradient's buffer.
  const std::vector<Tensor>* output_grads = nullptr;
  const std::vector<Tensor>* input_grads = nullptr;
};

// Watches every kernel call an executor makes, forward and gradient: per-node
// timing (//tools:time), numerics checks (--check_numerics), comparisons of
// one device against another, or communication that overlaps the backward
// pass (data-parallel training). Tools hook in here instead of copying the
// executor's walk. A hook returning an error stops the pass with it.
class ExecutorHook {
 public:
  virtual ~ExecutorHook() = default;
  virtual absl::Status BeforeNode(const NodeCall& call) { return absl::OkStatus(); }
  virtual absl::Status AfterNode(const NodeCall& call) { return absl::OkStatus(); }
  // During a backward pass, as soon as a trainable parameter's gradient is
  // final (every node reading the parameter has run its gradient kernel):
  // param.grad holds it. Called once per trainable parameter and pass, in
  // the order the gradients complete.
  virtual absl::Status GradientReady(const std::string& name, Parameter& param) {
    return absl::OkStatus();
  }
};

class Executor {
 public:
  // Resolves every node's kernel on options.device: a device without a
  // backend, or an op without a kernel there, is an error naming both.
  static absl::StatusOr<std::unique_ptr<Executor>> Create(const Graph& graph,
                                                          ParameterStore& params,
                                                          ExecutorOptions options = {});
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Hooks are called in the order added; the executor does not own them.
  void AddHook(ExecutorHook* hook) { hooks_.push_back(hook); }
  void RemoveHook(ExecutorHook* hook);

  // Runs every node. `feeds` must hold each graph input, on this executor's
  // device, with the declared shape (the -1 dimension taking the batch size).
  // `seed` feeds random ops (dropout); the same seed gives the same masks.
  // In training mode it then applies the graph's state updates: each
  // parameter with `updated_from` takes the value it names (batch norm's
  // running statistics), as a PyTorch module's buffers are updated by a
  // forward in train() mode.
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
  Backend& backend() const { return backend_; }

 private:
  Executor(const Graph& graph, ParameterStore& params, ExecutorOptions options, Backend& backend,
           std::vector<const KernelDef*> kernels);
  absl::Status RunNode(int index, KernelContext& ctx);
  // Runs node `index`'s gradient kernel if an output gradient reaches it and
  // an input wants one; adds its input gradients into `grads`.
  absl::Status RunGradient(int index, const std::set<std::string>& requires_grad,
                           std::map<std::string, Tensor>& grads);
  absl::Status CallHooks(bool before, const NodeCall& call);
  absl::Status ApplyStateUpdates();
  // The memory plan of a training pass (ExecutorOptions::release_values).
  void PlanReleases();
  void Release(const std::string& value);

  const Graph& graph_;
  ParameterStore& params_;
  ExecutorOptions options_;
  Backend& backend_;
  std::vector<const KernelDef*> kernels_;  // per node; resolved up front
  // Optional outputs nothing reads: never allocated (OpSchema::OptionalOutput).
  std::set<std::string> unread_optional_;
  // For each trainable parameter, the smallest index of a node reading it:
  // after that node's gradient (the last to run) its gradient is final.
  std::map<std::string, int> first_reader_;
  std::vector<ExecutorHook*> hooks_;
  // The memory plan, when releasing (planned by the first training pass).
  bool releasing_ = false;
  std::optional<MemoryPlan> plan_;
  std::unique_ptr<ExecutorHook> check_numerics_;
  std::map<std::string, Tensor> values_;
  std::vector<std::vector<Tensor>> saved_;  // per node
  bool ran_forward_ = false;
  bool last_training_ = false;
};

// "min -1.2 max 3.4 mean 0.5, 2 NaN, 0 Inf over 100 values": what a user
// needs to see when a value goes non-finite.
std::string DescribeValues(const Tensor& t);

}  // namespace tessera

#endif  // TESSERA_CORE_EXECUTOR_H_
