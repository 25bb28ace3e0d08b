// summary: prints a graph's nodes with output shapes, parameter counts and
// forward FLOPs, then the totals, and the memory estimate of a training step
// at that batch on the CPU (the one the trainers print; core/memory_estimate.h).
//
//   bazel run //tools:summary -- --graph=models/mlp.pbtxt [--batch=1]
//
// FLOP conventions are in tools/flops.h (a multiply-add is 2 FLOPs).

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "core/backend.h"
#include "core/graph.h"
#include "core/memory_estimate.h"
#include "tools/cli_util.h"
#include "tools/model_summary.h"

ABSL_FLAG(std::string, graph, "", "Graph (.pbtxt) to describe.");
ABSL_FLAG(int64_t, batch, 1, "Batch size that replaces the graph's -1 dimensions.");
ABSL_FLAG(int, optimizer_state, 1,
          "For the memory estimate: tensors the optimizer keeps per parameter (SGD with "
          "momentum, as the trainers use: 1; Adam: 2).");

namespace tessera {
namespace {

absl::Status Run() {
  if (absl::GetFlag(FLAGS_graph).empty()) return absl::InvalidArgumentError("--graph is required");
  TS_ASSIGN_OR_RETURN(Graph graph, Graph::FromTextFile(UserPath(absl::GetFlag(FLAGS_graph))));
  TS_ASSIGN_OR_RETURN(GraphSummary summary, SummarizeGraph(graph, absl::GetFlag(FLAGS_batch)));
  fputs(FormatSummary(summary).c_str(), stdout);
  TS_ASSIGN_OR_RETURN(MemoryEstimate memory,
                      EstimateTrainingMemory(graph, absl::GetFlag(FLAGS_batch),
                                             absl::GetFlag(FLAGS_optimizer_state),
                                             GetBackend(Device::kCpu)->block_cache()));
  printf("%s\n", FormatMemoryEstimate(memory).c_str());
  return absl::OkStatus();
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Prints every node of a graph with its output shape, parameters and forward FLOPs.\n"
      "  summary --graph=models/mlp.pbtxt [--batch=1] [--optimizer_state=1]");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = tessera::Run();
  if (!status.ok()) {
    fprintf(stderr, "summary: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
