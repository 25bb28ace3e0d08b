#include "tools/node_timing.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/executor.h"
#include "core/kernel_registry.h"
#include "core/optimizer.h"
#include "core/thread_pool.h"
#include "tools/model_summary.h"

namespace tessera {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// The number of classes a label input selects from; see RandomFeeds.
absl::StatusOr<int64_t> ClassCount(const Graph& graph, const std::string& label,
                                   const std::map<std::string, Shape>& shapes) {
  for (const Node& node : graph.nodes()) {
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] != label || i == 0) continue;
      const Shape& logits = shapes.at(node.inputs[0]);
      if (logits.size() >= 2 && logits[1] > 0) return logits[1];
    }
  }
  if (graph.def().output_size() > 0) {
    const Shape& out = shapes.at(graph.def().output(0));
    if (out.size() >= 2 && out[1] > 0) return out[1];
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cannot tell how many classes input '", label,
                   "' selects from: no node reads it beside [batch, classes] logits, and the "
                   "graph's first output is not 2-D"));
}

}  // namespace

absl::StatusOr<Device> ParseDevice(const std::string& name) {
  if (name == "cpu") return Device::kCpu;
  if (name == "gpu" || name == "cuda") {
    if (GetBackend(Device::kCuda) == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--device=", name,
          ": no CUDA backend in this process (this build has no GPU support, or no GPU is "
          "visible); use --device=cpu"));
    }
    return Device::kCuda;
  }
  return absl::InvalidArgumentError(absl::StrCat("--device must be cpu or gpu, got '", name, "'"));
}

absl::StatusOr<std::map<std::string, Tensor>> RandomFeeds(const Graph& graph, int64_t batch,
                                                          uint64_t seed) {
  TS_ASSIGN_OR_RETURN(auto shapes, graph.InferShapes(batch));
  std::mt19937_64 rng(seed);
  std::map<std::string, Tensor> feeds;
  for (const InputDef& input : graph.def().input()) {
    const Shape& shape = shapes.at(input.name());
    std::vector<float> values(NumElements(shape));
    if (input.name() == "label") {
      TS_ASSIGN_OR_RETURN(const int64_t classes, ClassCount(graph, input.name(), shapes));
      std::uniform_int_distribution<int64_t> pick(0, classes - 1);
      for (float& v : values) v = static_cast<float>(pick(rng));
    } else {
      std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
      for (float& v : values) v = uniform(rng);
    }
    feeds[input.name()] = Tensor::FromVector(shape, values);
  }
  return feeds;
}

namespace {

// Times each kernel call of the executor it is attached to, between two
// Backend::Synchronize() calls, while `timed` is set.
class TimingHook : public ExecutorHook {
 public:
  TimingHook(Backend& backend, size_t num_nodes)
      : backend_(backend),
        forward_ms_(num_nodes),
        backward_ms_(num_nodes),
        has_backward_(num_nodes) {}

  absl::Status BeforeNode(const NodeCall& call) override {
    backend_.Synchronize();
    start_ = Clock::now();
    return absl::OkStatus();
  }
  absl::Status AfterNode(const NodeCall& call) override {
    backend_.Synchronize();
    const double ms = Ms(Clock::now() - start_);
    if (call.gradient) has_backward_[call.index] = true;
    if (timed) (call.gradient ? backward_ms_ : forward_ms_)[call.index] += ms;
    return absl::OkStatus();
  }

  bool timed = false;
  const std::vector<double>& forward_ms() const { return forward_ms_; }
  const std::vector<double>& backward_ms() const { return backward_ms_; }
  bool has_backward(size_t i) const { return has_backward_[i]; }

 private:
  Backend& backend_;
  Clock::time_point start_;
  std::vector<double> forward_ms_, backward_ms_;
  std::vector<bool> has_backward_;
};

}  // namespace

absl::StatusOr<TimingReport> TimeGraph(const Graph& graph, const TimingOptions& options) {
  if (options.batch < 1)
    return absl::InvalidArgumentError(
        absl::StrCat("--batch must be at least 1, got ", options.batch));
  if (options.iterations < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--iterations must be at least 1, got ", options.iterations));
  }
  if (options.warmup < 0) return absl::InvalidArgumentError("--warmup must not be negative");
  if (GetBackend(options.device) == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("no backend for device ", DeviceName(options.device)));
  }
  Backend& backend = *GetBackend(options.device);
  TS_ASSIGN_OR_RETURN(auto host_feeds, RandomFeeds(graph, options.batch, options.seed));
  std::map<std::string, Tensor> feeds;
  for (auto& [name, t] : host_feeds) feeds[name] = t.CopyTo(options.device);

  std::vector<std::string> from;
  std::string backward_from;
  if (!graph.loss().empty()) {
    from.push_back(graph.loss());
    backward_from = absl::StrCat("the loss '", graph.loss(), "'");
  } else {
    for (const std::string& out : graph.def().output()) from.push_back(out);
    backward_from = from.empty() ? "nothing (the graph has no loss or outputs)"
                                 : absl::StrCat("ones at the outputs (the graph has no loss)");
  }
  auto run_backward = [&](Executor& executor) -> absl::Status {
    std::map<std::string, Tensor> seeds;
    for (const std::string& name : from) {
      TS_ASSIGN_OR_RETURN(Tensor value, executor.Value(name));
      seeds[name] = Tensor::Filled(value.shape(), 1.0f, options.device);
    }
    return executor.BackwardFrom(seeds, {}).status();
  };

  ParameterStore params = ParameterStore::Initialize(graph, options.seed, options.device);
  OptimizerConfig sgd;  // SGD with momentum 0.9
  TS_ASSIGN_OR_RETURN(std::unique_ptr<Optimizer> optimizer,
                      Optimizer::Create(sgd, params, options.device));
  TS_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor,
                      Executor::Create(graph, params, {options.device}));
  TimingHook runner(backend, graph.nodes().size());
  executor->AddHook(&runner);

  TimingReport report;
  report.graph_name = graph.def().name();
  report.device = options.device;
  report.threads = options.device == Device::kCpu ? CpuThreadPool().num_threads() : 0;
  report.batch = options.batch;
  report.iterations = options.iterations;
  report.warmup = options.warmup;
  report.backward_from = backward_from;
  double forward = 0, backward = 0, update = 0, step = 0;
  for (int it = 0; it < options.warmup + options.iterations; ++it) {
    const bool timed = it >= options.warmup;
    const uint64_t seed = options.seed + static_cast<uint64_t>(it);
    backend.Synchronize();
    const Clock::time_point t0 = Clock::now();
    runner.timed = timed;
    TS_RETURN_IF_ERROR(executor->Forward(feeds, /*training=*/true, seed));
    backend.Synchronize();
    const Clock::time_point t1 = Clock::now();
    if (!from.empty()) TS_RETURN_IF_ERROR(run_backward(*executor));
    backend.Synchronize();
    const Clock::time_point t2 = Clock::now();
    // Learning rate 0: the parameters stay as they are (random data must not
    // drive them to NaN, which some CPUs process slowly), the work is the same.
    optimizer->Step(0.0f);
    backend.Synchronize();
    const Clock::time_point t3 = Clock::now();
    if (timed) {
      forward += Ms(t1 - t0);
      backward += Ms(t2 - t1);
      update += Ms(t3 - t2);
      step += Ms(t3 - t0);
    }
  }
  const double n = options.iterations;
  for (size_t i = 0; i < graph.nodes().size(); ++i) {
    const Node& node = graph.nodes()[i];
    report.nodes.push_back({node.name, node.schema->name(), runner.forward_ms()[i] / n,
                            runner.backward_ms()[i] / n, runner.has_backward(i)});
  }
  report.forward_ms = forward / n;
  report.backward_ms = backward / n;
  report.update_ms = update / n;
  report.step_ms = step / n;
  report.images_per_second = report.step_ms > 0 ? options.batch / (report.step_ms / 1000.0) : 0;
  return report;
}

std::string FormatTimingReport(const TimingReport& r) {
  std::string out =
      absl::StrFormat("Timing '%s' on %s%s, batch %d: %d warm-up, then %d timed iteration%s\n",
                      r.graph_name, DeviceName(r.device),
                      r.device == Device::kCpu ? absl::StrCat(" (", r.threads, " threads)") : "",
                      r.batch, r.warmup, r.iterations, r.iterations == 1 ? "" : "s");
  absl::StrAppend(&out, "Backward from ", r.backward_from, "; times are means per iteration.\n\n");
  size_t name_w = 4, op_w = 2;
  for (const NodeTiming& n : r.nodes) {
    name_w = std::max(name_w, n.name.size());
    op_w = std::max(op_w, n.op.size());
  }
  const int idx_w = std::max<int>(1, static_cast<int>(std::to_string(r.nodes.size()).size()));
  std::string header = absl::StrFormat("%*s  %-*s  %-*s  %12s  %12s  %8s", idx_w, "#", name_w,
                                       "node", op_w, "op", "forward ms", "backward ms", "% step");
  absl::StrAppend(&out, header, "\n", std::string(header.size(), '-'), "\n");
  double sum_f = 0, sum_b = 0;
  for (size_t i = 0; i < r.nodes.size(); ++i) {
    const NodeTiming& n = r.nodes[i];
    sum_f += n.forward_ms;
    sum_b += n.backward_ms;
    const std::string b = n.has_backward ? absl::StrFormat("%.3f", n.backward_ms) : "-";
    const double share = r.step_ms > 0 ? 100.0 * (n.forward_ms + n.backward_ms) / r.step_ms : 0;
    absl::StrAppend(&out, absl::StrFormat("%*d  %-*s  %-*s  %12.3f  %12s  %7.1f%%\n", idx_w, i,
                                          name_w, n.name, op_w, n.op, n.forward_ms, b, share));
  }
  absl::StrAppend(&out, std::string(header.size(), '-'), "\n");
  absl::StrAppend(&out, absl::StrFormat("%*s  %12.3f  %12.3f\n", idx_w + 2 + name_w + 2 + op_w,
                                        "sum over nodes", sum_f, sum_b));
  absl::StrAppend(&out, "\n");
  absl::StrAppend(&out, absl::StrFormat("Average forward pass:   %10.3f ms\n", r.forward_ms));
  absl::StrAppend(&out, absl::StrFormat("Average backward pass:  %10.3f ms\n", r.backward_ms));
  absl::StrAppend(&out, absl::StrFormat("Average SGD update:     %10.3f ms\n", r.update_ms));
  absl::StrAppend(
      &out,
      absl::StrFormat("Average train step:     %10.3f ms  (%s images/s at batch %d)\n", r.step_ms,
                      WithThousands(static_cast<int64_t>(r.images_per_second + 0.5)), r.batch));
  return out;
}

}  // namespace tessera
