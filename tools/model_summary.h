#ifndef TESSERA_TOOLS_MODEL_SUMMARY_H_
#define TESSERA_TOOLS_MODEL_SUMMARY_H_

// A per-node table of a graph (like Keras' model.summary() or torchinfo):
// output shapes, parameters and forward FLOPs (tools/flops.h), with totals.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/graph.h"

namespace tessera {

struct NodeSummary {
  std::string name;
  std::string op;  // "input" for graph inputs
  std::vector<Shape> output_shapes;
  // Elements of the parameters this node consumes that no earlier node
  // consumed (a shared parameter counts once, at its first use).
  int64_t params = 0;
  std::vector<std::string> param_names;  // those parameters
  double flops = 0;
  bool flops_known = true;
};

struct GraphSummary {
  std::string graph_name;
  int64_t batch = 1;
  std::vector<NodeSummary> inputs;  // the graph's inputs, op "input"
  std::vector<NodeSummary> nodes;   // in topological order
  int64_t total_params = 0;         // every declared parameter
  int64_t trainable_params = 0;
  int64_t unused_params = 0;                  // declared but read by no node
  double total_flops = 0;                     // forward, for the whole batch
  std::vector<std::string> unknown_flop_ops;  // ops without a formula
};

absl::StatusOr<GraphSummary> SummarizeGraph(const Graph& graph, int64_t batch);
// The table and totals as printed by //tools:summary.
std::string FormatSummary(const GraphSummary& summary);

// 1234567 -> "1,234,567".
std::string WithThousands(int64_t n);
// 406814 -> "0.41 MFLOP", 3.2e9 -> "3.20 GFLOP" (MFLOP below 1 GFLOP).
std::string HumanFlops(double flops);

}  // namespace tessera

#endif  // TESSERA_TOOLS_MODEL_SUMMARY_H_
