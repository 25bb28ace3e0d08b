#ifndef TESSERA_CORE_MEMORY_PLAN_H_
#define TESSERA_CORE_MEMORY_PLAN_H_

// The memory plan of a training pass (a training Forward, then Backward from
// the loss): which forward values the gradients or the caller need, when
// each of the others can go, and which ops run in place. The executor follows
// it (ExecutorOptions::release_values); the memory estimate
// (core/memory_estimate.h) replays it on shapes alone.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/graph.h"

namespace tessera {

struct MemoryPlan {
  // Per node: whether Backward() runs its gradient kernel (a differentiable
  // input through which a trainable parameter acts).
  std::vector<bool> runs_gradient;
  // Values kept through the forward pass: read by a gradient kernel
  // (OpSchema::GradientReads), the loss, graph outputs, state updates.
  std::set<std::string> keep;
  // The last node reading each value in the forward pass.
  std::map<std::string, int> last_forward_reader;
  // Per node: kept values to release once its gradient kernel has run.
  std::vector<std::vector<std::string>> release_after_gradient;

  // Whether node `index`'s forward releases `value` after it ran: a node's
  // output not kept whose last reader it is, or that nothing reads.
  bool ReleasedAfter(const Graph& graph, const std::string& value, int index) const;
  // Whether node `index` writes output 0 into input 0's storage (an InPlace
  // op whose input 0 nothing else needs, of the output's shape).
  bool RunsInPlace(const Graph& graph, int index, const Shape& input0, const Shape& output0) const;
};

// `trainable`: the names of the trainable parameters.
MemoryPlan PlanMemory(const Graph& graph, const std::set<std::string>& trainable);

// The optional outputs (OpSchema::OptionalOutput) that nothing reads: no
// node's input, not a graph output, not the loss, not the source of a state
// update. The executor computes none of them, in training or evaluation,
// and the memory estimate counts none.
std::set<std::string> UnreadOptionalOutputs(const Graph& graph);

}  // namespace tessera

#endif  // TESSERA_CORE_MEMORY_PLAN_H_
