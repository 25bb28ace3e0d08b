#include "core/memory_estimate.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/backend.h"
#include "core/memory_plan.h"

namespace tessera {
namespace {

// Buffers as the executor holds them: values share one when an op runs in
// place; a buffer is freed when no value or gradient refers to it.
class Ledger {
 public:
  explicit Ledger(const BlockCachePolicy& cache) : policy_(cache) {}

  int Allocate(double bytes, std::string what) {
    const double rounded = Round(bytes);
    auto it = cache_.find(rounded);
    if (Cacheable(rounded) && it != cache_.end() && it->second > 0) {
      --it->second;
      cached_ -= rounded;
      EraseOne(free_order_, rounded);
    } else {
      if (Cacheable(rounded) && policy_.within_peak_in_use) {
        // The backend gives back its oldest freed blocks rather than hold
        // more than its in-use high-water mark (CpuBackend::Allocate).
        const double in_use = resident_ - cached_;
        const double high_water = std::max(peak_in_use_, in_use + rounded) +
                                  static_cast<double>(policy_.slack_bytes);
        while (!free_order_.empty() && in_use + cached_ + rounded > high_water) {
          const double oldest = free_order_.front();
          free_order_.erase(free_order_.begin());
          --cache_[oldest];
          cached_ -= oldest;
          resident_ -= oldest;
        }
      }
      resident_ += rounded;
    }
    peak_in_use_ = std::max(peak_in_use_, resident_ - cached_);
    buffers_.push_back({rounded, 1, std::move(what)});
    return static_cast<int>(buffers_.size()) - 1;
  }
  void Share(int id) { ++buffers_[id].refs; }
  void Drop(int id) {
    if (--buffers_[id].refs > 0) return;
    const double rounded = buffers_[id].bytes;
    if (Cacheable(rounded) && cached_ + rounded <= policy_.max_bytes) {
      ++cache_[rounded];
      cached_ += rounded;
      free_order_.push_back(rounded);
    } else {
      resident_ -= rounded;
    }
  }
  // A moment of the step, with `transient` scratch held on top.
  void Observe(const std::string& where, double transient, const std::string& transient_what) {
    if (resident_ + transient <= peak_) return;
    peak_ = resident_ + transient;
    peak_at_ = where;
    at_peak_.clear();
    std::map<std::string, double> grouped;
    for (const Buffer& b : buffers_) {
      if (b.refs > 0) grouped[b.what] += b.bytes;
    }
    if (transient > 0) grouped[transient_what] += transient;
    if (cached_ > 0) grouped["freed blocks the allocator keeps for reuse"] += cached_;
    for (const auto& [what, bytes] : grouped) at_peak_.push_back({what, bytes});
    std::stable_sort(at_peak_.begin(), at_peak_.end(),
                     [](const MemoryItem& a, const MemoryItem& b) { return a.bytes > b.bytes; });
  }
  double peak() const { return peak_; }
  const std::string& peak_at() const { return peak_at_; }
  const std::vector<MemoryItem>& at_peak() const { return at_peak_; }

 private:
  struct Buffer {
    double bytes;
    int refs;
    std::string what;
  };
  double Round(double bytes) const {
    const double a = static_cast<double>(std::max<size_t>(1, policy_.alignment));
    return std::ceil(std::max(bytes, 4.0) / a) * a;
  }
  // Removes the most recently freed block of this size from `order`.
  static void EraseOne(std::vector<double>& order, double rounded) {
    auto it = std::find(order.rbegin(), order.rend(), rounded);
    if (it != order.rend()) order.erase(std::next(it).base());
  }
  bool Cacheable(double rounded) const {
    return policy_.max_bytes > 0 && rounded >= policy_.min_bytes;
  }

  BlockCachePolicy policy_;
  std::vector<Buffer> buffers_;
  std::map<double, int> cache_;     // free blocks by rounded size
  std::vector<double> free_order_;  // their sizes, oldest freed first
  double resident_ = 0, cached_ = 0, peak_ = -1, peak_in_use_ = 0;
  std::string peak_at_;
  std::vector<MemoryItem> at_peak_;
};

double Bytes(const Shape& shape) { return 4.0 * NumElements(shape); }

}  // namespace

absl::StatusOr<MemoryEstimate> EstimateTrainingMemory(const Graph& graph, int64_t batch,
                                                      int optimizer_slots,
                                                      const BlockCachePolicy& cache,
                                                      bool fused_update) {
  if (batch < 1) return absl::InvalidArgumentError(absl::StrCat("batch must be positive: ", batch));
  TS_ASSIGN_OR_RETURN(auto shapes, graph.InferShapes(batch));
  MemoryEstimate estimate;
  estimate.batch = batch;
  Ledger ledger(cache);
  std::map<std::string, int> values;  // forward value -> buffer
  std::set<std::string> trainable;
  std::map<std::string, int> param_grad;  // the gradient buffer each parameter holds
  std::map<std::string, int> params;
  for (const ParameterDef& p : graph.def().parameter()) {
    const double bytes = Bytes(shapes.at(p.name()));
    params[p.name()] = ledger.Allocate(bytes, "parameters");
    estimate.parameter_bytes += bytes;
    if (p.frozen()) continue;
    trainable.insert(p.name());
    param_grad[p.name()] = ledger.Allocate(bytes, "parameter gradients");
    estimate.gradient_bytes += bytes;
    for (int k = 0; k < optimizer_slots; ++k) ledger.Allocate(bytes, "optimizer state");
    estimate.optimizer_bytes += optimizer_slots * bytes;
  }
  const MemoryPlan plan = PlanMemory(graph, trainable);
  const std::set<std::string> unread_optional = UnreadOptionalOutputs(graph);
  const std::vector<Node>& nodes = graph.nodes();
  std::map<std::string, int> first_reader;
  for (int i = static_cast<int>(nodes.size()) - 1; i >= 0; --i) {
    for (const std::string& v : nodes[i].inputs) first_reader[v] = i;
  }
  std::set<std::string> requires_grad = trainable;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (plan.runs_gradient[i])
      requires_grad.insert(nodes[i].outputs.begin(), nodes[i].outputs.end());
  }
  // A value the executor releases (Executor::Release).
  auto release = [&](const std::string& v) {
    auto it = values.find(v);
    if (it == values.end()) return;
    ledger.Drop(it->second);
    values.erase(it);
  };
  for (int step = 0; step < 2; ++step) {
    // The trainer makes the next batch while the executor holds the last
    // step's values; Forward() then lets those go.
    std::map<std::string, int> feeds;
    for (const InputDef& input : graph.def().input()) {
      feeds[input.name()] = ledger.Allocate(Bytes(shapes.at(input.name())), "input batch");
    }
    // Fused (Optimizer::BeginFusedStep): the last step's gradients go.
    if (fused_update) {
      for (auto& [name, id] : param_grad) {
        if (id >= 0) ledger.Drop(id);
        id = -1;
      }
    }
    for (const auto& [name, id] : values) ledger.Drop(id);
    values = feeds;
    for (const auto& [name, id] : params) {
      ledger.Share(id);
      values[name] = id;
    }

    // The forward pass (Executor::RunNode).
    std::vector<std::vector<int>> saved(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
      const Node& node = nodes[i];
      std::vector<Shape> in, out;
      for (const std::string& v : node.inputs) in.push_back(shapes.at(v));
      for (const std::string& v : node.outputs) out.push_back(shapes.at(v));
      for (size_t k = 0; k < out.size(); ++k) {
        if (unread_optional.count(node.outputs[k])) continue;  // not computed
        if (k == 0 && !in.empty() && plan.RunsInPlace(graph, static_cast<int>(i), in[0], out[0])) {
          values[node.outputs[k]] = values.at(node.inputs[0]);
          ledger.Share(values[node.outputs[k]]);
        } else {
          values[node.outputs[k]] =
              ledger.Allocate(Bytes(out[k]), absl::StrCat(node.name, " output"));
        }
      }
      // What the kernel keeps for its gradient (KernelContext::saved).
      for (double bytes : node.schema->SavedBytes(in, out, node.attrs)) {
        saved[i].push_back(
            ledger.Allocate(bytes, absl::StrCat(node.name, " saved for its gradient")));
      }
      const OpWorkspace workspace = node.schema->WorkspaceBytes(in, out, node.attrs);
      ledger.Observe(absl::StrCat("the forward of ", node.name), workspace.forward_bytes,
                     absl::StrCat(node.name, " ", node.schema->workspace_name(), " workspace"));
      for (const std::string& v : node.inputs) {
        if (plan.ReleasedAfter(graph, v, static_cast<int>(i))) release(v);
      }
      for (const std::string& v : node.outputs) {
        if (plan.ReleasedAfter(graph, v, static_cast<int>(i))) release(v);
      }
    }

    // The backward pass (Executor::BackwardFrom and RunGradient).
    std::map<std::string, int> grads;
    if (!graph.loss().empty()) {
      grads[graph.loss()] = ledger.Allocate(Bytes(shapes.at(graph.loss())), "gradients in flight");
    }
    for (int i = static_cast<int>(nodes.size()) - 1; i >= 0; --i) {
      const Node& node = nodes[i];
      bool has_output_grad = false;
      for (const std::string& v : node.outputs) has_output_grad |= grads.count(v) > 0;
      std::vector<int> wanted;
      for (size_t k = 0; k < node.inputs.size(); ++k) {
        if (node.schema->inputs()[k].differentiable && requires_grad.count(node.inputs[k]))
          wanted.push_back(static_cast<int>(k));
      }
      if (has_output_grad && !wanted.empty()) {
        std::vector<Shape> in, out;
        for (const std::string& v : node.inputs) in.push_back(shapes.at(v));
        for (const std::string& v : node.outputs) out.push_back(shapes.at(v));
        std::vector<int> output_grads;  // -1: none (an optional output's)
        for (size_t o = 0; o < node.outputs.size(); ++o) {
          auto it = grads.find(node.outputs[o]);
          if (it != grads.end()) {
            output_grads.push_back(it->second);
            grads.erase(it);
          } else if (node.schema->output_optional(static_cast<int>(o))) {
            output_grads.push_back(-1);
          } else {
            output_grads.push_back(ledger.Allocate(Bytes(out[o]), "gradients in flight"));
          }
        }
        // Gradients passed through (OpSchema::GradientPassesThrough): added
        // into the input's gradient, or the output gradient's buffer handed
        // on to one input, as Executor::RunGradient decides.
        std::map<int, int> input_grads;
        std::vector<bool> handed_on(node.outputs.size(), false);
        for (int k : wanted) {
          const int o = node.schema->GradientPassThroughOutput(k);
          if (o >= 0 && output_grads[o] >= 0 && NumElements(out[o]) == NumElements(in[k]) &&
              std::count(node.inputs.begin(), node.inputs.end(), node.inputs[k]) == 1) {
            if (grads.count(node.inputs[k])) continue;  // added into it: no buffer
            if (!handed_on[o]) {
              handed_on[o] = true;
              ledger.Share(output_grads[o]);
              input_grads[k] = output_grads[o];
              continue;
            }
          }
          input_grads[k] = ledger.Allocate(Bytes(in[k]), graph.IsParameter(node.inputs[k])
                                                             ? "parameter gradients"
                                                             : "gradients in flight");
        }
        const OpWorkspace workspace = node.schema->WorkspaceBytes(in, out, node.attrs);
        double scratch = 0;
        for (int k : wanted) {
          if (k < static_cast<int>(workspace.gradient_bytes.size()))
            scratch = std::max(scratch, workspace.gradient_bytes[k]);
        }
        ledger.Observe(absl::StrCat("the gradient of ", node.name), scratch,
                       absl::StrCat(node.name, " ", node.schema->workspace_name(), " workspace"));
        for (int id : output_grads) {
          if (id >= 0) ledger.Drop(id);
        }
        for (const auto& [k, id] : input_grads) {
          auto it = grads.find(node.inputs[k]);
          if (it == grads.end()) {
            grads[node.inputs[k]] = id;
          } else {
            ledger.Drop(id);  // added into the first one
          }
        }
      }
      for (const std::string& v : plan.release_after_gradient[i]) release(v);
      for (int id : saved[i]) ledger.Drop(id);
      saved[i].clear();
      // A parameter's gradient is final after its first reader's gradient:
      // it replaces the buffer the parameter held, or, fused, is applied
      // and released (the parameter then holds none).
      for (const std::string& v : node.inputs) {
        auto held = param_grad.find(v);
        if (held == param_grad.end() || first_reader.at(v) != i) continue;
        auto it = grads.find(v);
        if (it == grads.end()) continue;
        if (held->second >= 0) ledger.Drop(held->second);
        held->second = it->second;
        grads.erase(it);
        if (fused_update) {
          ledger.Drop(held->second);
          held->second = -1;
        }
      }
    }
    for (const auto& [name, id] : grads) ledger.Drop(id);
  }
  estimate.peak_bytes = ledger.peak();
  estimate.peak_at = ledger.peak_at();
  estimate.at_peak = ledger.at_peak();
  return estimate;
}

absl::StatusOr<int64_t> LargestBatchThatFits(const Graph& graph, int optimizer_slots,
                                             const BlockCachePolicy& cache, double available_bytes,
                                             int64_t at_most, bool fused_update) {
  // The estimate grows with the batch: bisect.
  int64_t lo = 0, hi = at_most;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo + 1) / 2;
    TS_ASSIGN_OR_RETURN(MemoryEstimate e,
                        EstimateTrainingMemory(graph, mid, optimizer_slots, cache, fused_update));
    if (e.peak_bytes <= available_bytes) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

std::string FormatMemoryEstimate(const MemoryEstimate& e, int largest) {
  std::string out = absl::StrCat("memory estimate for a training step at batch ", e.batch, ": ",
                                 HumanBytes(e.peak_bytes), " at the peak (", e.peak_at,
                                 "); parameters ", HumanBytes(e.parameter_bytes), ", gradients ",
                                 HumanBytes(e.gradient_bytes), ", optimizer state ",
                                 HumanBytes(e.optimizer_bytes), "\n  largest at the peak: ");
  for (size_t i = 0; i < e.at_peak.size() && i < static_cast<size_t>(largest); ++i) {
    absl::StrAppend(&out, i > 0 ? ", " : "", e.at_peak[i].what, " ",
                    HumanBytes(e.at_peak[i].bytes));
  }
  return out;
}

}  // namespace tessera
