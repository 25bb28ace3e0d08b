// time: per-node forward and backward timing of a graph, like `caffe time`.
//
//   bazel run //tools:time -- --graph=models/mlp.pbtxt --batch=64 --iterations=10
//
// Feeds random inputs (class indices for an input named "label", uniform
// [0, 1] values otherwise), runs --warmup untimed iterations, then
// --iterations timed ones of forward, backward and an SGD update, and prints
// each node's mean forward and backward time, the pass totals and the
// training throughput in images/s.

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "core/graph.h"
#include "core/thread_pool.h"
#include "tools/cli_util.h"
#include "tools/node_timing.h"

ABSL_FLAG(std::string, graph, "", "Graph (.pbtxt) to time.");
ABSL_FLAG(int64_t, batch, 64, "Batch size.");
ABSL_FLAG(int, iterations, 10, "Timed iterations (forward + backward + update each).");
ABSL_FLAG(int, warmup, 1, "Untimed iterations before the timed ones.");
ABSL_FLAG(std::string, device, "cpu", "cpu or gpu.");
ABSL_FLAG(int, threads, 0, "CPU threads for the kernels (0: all cores).");
ABSL_FLAG(uint64_t, seed, 1, "Seed for parameters and random inputs.");

namespace tessera {
namespace {

absl::Status Run() {
  if (absl::GetFlag(FLAGS_graph).empty()) return absl::InvalidArgumentError("--graph is required");
  if (absl::GetFlag(FLAGS_threads) < 0)
    return absl::InvalidArgumentError("--threads must not be negative");
  TimingOptions options;
  TS_ASSIGN_OR_RETURN(options.device, ParseDevice(absl::GetFlag(FLAGS_device)));
  TS_ASSIGN_OR_RETURN(Graph graph, Graph::FromTextFile(UserPath(absl::GetFlag(FLAGS_graph))));
  if (absl::GetFlag(FLAGS_threads) > 0) SetNumCpuThreads(absl::GetFlag(FLAGS_threads));
  options.batch = absl::GetFlag(FLAGS_batch);
  options.iterations = absl::GetFlag(FLAGS_iterations);
  options.warmup = absl::GetFlag(FLAGS_warmup);
  options.seed = absl::GetFlag(FLAGS_seed);
  TS_ASSIGN_OR_RETURN(TimingReport report, TimeGraph(graph, options));
  fputs(FormatTimingReport(report).c_str(), stdout);
  return absl::OkStatus();
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Times every node of a graph forward and backward on random inputs, like `caffe time`.\n"
      "  time --graph=models/mlp.pbtxt [--batch=64] [--iterations=10] [--device=cpu] "
      "[--threads=0]");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = tessera::Run();
  if (!status.ok()) {
    fprintf(stderr, "time: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
