#include "core/memory_plan.h"

#include <algorithm>

namespace tessera {

MemoryPlan PlanMemory(const Graph& graph, const std::set<std::string>& trainable) {
  MemoryPlan plan;
  std::set<std::string> requires_grad = trainable;
  const std::vector<Node>& nodes = graph.nodes();
  plan.runs_gradient.assign(nodes.size(), false);
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (size_t k = 0; k < nodes[i].inputs.size(); ++k) {
      if (nodes[i].schema->inputs()[k].differentiable && requires_grad.count(nodes[i].inputs[k])) {
        plan.runs_gradient[i] = true;
      }
    }
    if (plan.runs_gradient[i])
      requires_grad.insert(nodes[i].outputs.begin(), nodes[i].outputs.end());
  }
  // The caller reads the loss and the outputs after the step, and the state
  // updates take their sources after the forward pass: never released.
  std::set<std::string> caller_reads = {graph.loss()};
  caller_reads.insert(graph.def().output().begin(), graph.def().output().end());
  for (const auto& p : graph.def().parameter()) {
    if (!p.updated_from().empty()) caller_reads.insert(p.updated_from());
  }
  plan.keep = caller_reads;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = nodes[i];
    for (size_t k = 0; k < node.inputs.size(); ++k) {
      plan.last_forward_reader[node.inputs[k]] = static_cast<int>(i);
      if (plan.runs_gradient[i] && node.schema->GradientReadsInput(static_cast<int>(k))) {
        plan.keep.insert(node.inputs[k]);
      }
    }
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (plan.runs_gradient[i] && node.schema->GradientReadsOutput(static_cast<int>(k))) {
        plan.keep.insert(node.outputs[k]);
      }
    }
  }
  // A kept value is released after the gradient of its earliest reader or
  // producer has run (the backward pass goes in reverse).
  plan.release_after_gradient.assign(nodes.size(), {});
  std::set<std::string> placed;
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::vector<std::string> touched = nodes[i].inputs;
    touched.insert(touched.end(), nodes[i].outputs.begin(), nodes[i].outputs.end());
    for (const std::string& v : touched) {
      if (graph.Producer(v) == nullptr || !plan.keep.count(v) || caller_reads.count(v) ||
          !placed.insert(v).second) {
        continue;
      }
      plan.release_after_gradient[i].push_back(v);
    }
  }
  return plan;
}

std::set<std::string> UnreadOptionalOutputs(const Graph& graph) {
  std::set<std::string> read = {graph.loss()};
  read.insert(graph.def().output().begin(), graph.def().output().end());
  for (const auto& p : graph.def().parameter()) {
    if (!p.updated_from().empty()) read.insert(p.updated_from());
  }
  for (const Node& node : graph.nodes()) read.insert(node.inputs.begin(), node.inputs.end());
  std::set<std::string> unread;
  for (const Node& node : graph.nodes()) {
    for (size_t k = 0; k < node.outputs.size(); ++k) {
      if (node.schema->output_optional(static_cast<int>(k)) && !read.count(node.outputs[k]))
        unread.insert(node.outputs[k]);
    }
  }
  return unread;
}

bool MemoryPlan::ReleasedAfter(const Graph& graph, const std::string& value, int index) const {
  if (graph.Producer(value) == nullptr || keep.count(value)) return false;
  auto reader = last_forward_reader.find(value);
  if (reader == last_forward_reader.end()) return graph.Producer(value) == &graph.nodes()[index];
  return reader->second == index;
}

bool MemoryPlan::RunsInPlace(const Graph& graph, int index, const Shape& input0,
                             const Shape& output0) const {
  const Node& node = graph.nodes()[index];
  if (!node.schema->in_place() || node.inputs.empty()) return false;
  const std::string& in = node.inputs[0];
  return graph.Producer(in) != nullptr && !keep.count(in) && last_forward_reader.at(in) == index &&
         std::count(node.inputs.begin(), node.inputs.end(), in) == 1 && input0 == output0;
}

}  // namespace tessera
