#ifndef TESSERA_CORE_MEMORY_ESTIMATE_H_
#define TESSERA_CORE_MEMORY_ESTIMATE_H_

// The memory a training step needs, from shapes alone, before anything is
// allocated: the executor's memory plan (core/memory_plan.h) replayed over
// the forward and backward pass, with the parameters, their gradients, the
// optimizer's state and the kernels' declared workspaces
// (OpSchema::Workspace). The trainers print it with the model and stop
// before the first step when it does not fit; //tools:summary prints it.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/backend.h"
#include "core/graph.h"

namespace tessera {

struct MemoryItem {
  std::string what;  // "conv1 output", "conv1 im2col workspace", "parameters"
  double bytes = 0;
};

struct MemoryEstimate {
  int64_t batch = 0;
  double peak_bytes = 0;  // the most held at once
  std::string peak_at;    // "the gradient of conv2"
  double parameter_bytes = 0, gradient_bytes = 0, optimizer_bytes = 0;
  std::vector<MemoryItem> at_peak;  // what is held at the peak, largest first
};

// `optimizer_slots`: tensors of each trainable parameter's size that the
// optimizer keeps (SGD with momentum 1, Adam 2; Optimizer::State()).
// `cache`: the device's allocator (Backend::block_cache()); two steps are
// replayed, the second finding the first one's freed blocks.
// `fused_update`: the optimizer's update runs in the backward pass
// (Optimizer::fused_update) and releases each parameter's gradient once it
// is applied; otherwise every parameter gradient is held between steps.
absl::StatusOr<MemoryEstimate> EstimateTrainingMemory(const Graph& graph, int64_t batch,
                                                      int optimizer_slots,
                                                      const BlockCachePolicy& cache = {},
                                                      bool fused_update = false);

// The largest batch, at most `at_most`, whose estimate is within
// `available_bytes`; 0 when not even a batch of one fits.
absl::StatusOr<int64_t> LargestBatchThatFits(const Graph& graph, int optimizer_slots,
                                             const BlockCachePolicy& cache, double available_bytes,
                                             int64_t at_most, bool fused_update = false);

// "memory estimate for a training step at batch 64: 1.81 GB at the peak
// (the gradient of conv2): parameters 228 MB, ..., largest at the peak: ..."
std::string FormatMemoryEstimate(const MemoryEstimate& estimate, int largest = 5);

}  // namespace tessera

#endif  // TESSERA_CORE_MEMORY_ESTIMATE_H_
