#ifndef TESSERA_TOOLS_NODE_TIMING_H_
#define TESSERA_TOOLS_NODE_TIMING_H_

// Per-node forward and backward timing of a graph, like `caffe time`.
//
// Runs the graph on the Executor with an ExecutorHook that times each kernel
// call between two Backend::Synchronize() calls: the times are those of the
// real training walk (a node's backward time is its gradient kernel alone;
// adding fan-out gradients is counted in the whole pass only).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/graph.h"
#include "core/tensor.h"

namespace tessera {

struct TimingOptions {
  int64_t batch = 64;
  int iterations = 10;
  int warmup = 1;  // untimed iterations first
  Device device = Device::kCpu;
  uint64_t seed = 1;  // parameters, random inputs and random ops
};

struct NodeTiming {
  std::string name;
  std::string op;
  double forward_ms = 0;      // mean per iteration
  double backward_ms = 0;     // mean per iteration
  bool has_backward = false;  // false: no gradient flows through this node
};

struct TimingReport {
  std::string graph_name;
  Device device = Device::kCpu;
  int threads = 1;
  int64_t batch = 0;
  int iterations = 0;
  int warmup = 0;
  std::vector<NodeTiming> nodes;
  // Means per iteration of whole passes, measured around them (so they also
  // hold the bookkeeping between kernels).
  double forward_ms = 0;
  double backward_ms = 0;
  double update_ms = 0;          // one SGD-with-momentum step over all parameters
  double step_ms = 0;            // forward + backward + update
  double images_per_second = 0;  // batch / step
  std::string backward_from;     // the loss, or the outputs when there is none
};

// Random feeds for every graph input: an input named "label" gets class
// indices drawn uniformly from [0, K), K being the class dimension of the
// logits that the label is compared with (dimension 1 of the first input of
// the node reading "label", else of the graph's first output); any other
// input gets values uniform in [0, 1].
absl::StatusOr<std::map<std::string, Tensor>> RandomFeeds(const Graph& graph, int64_t batch,
                                                          uint64_t seed);

absl::StatusOr<TimingReport> TimeGraph(const Graph& graph, const TimingOptions& options);

// The per-node table and totals as //tools:time prints them.
std::string FormatTimingReport(const TimingReport& report);

// "cpu" -> kCpu; "gpu" or "cuda" -> kCuda, or an error saying that no GPU
// backend is present when GetBackend(kCuda) is null.
absl::StatusOr<Device> ParseDevice(const std::string& name);

}  // namespace tessera

#endif  // TESSERA_TOOLS_NODE_TIMING_H_
