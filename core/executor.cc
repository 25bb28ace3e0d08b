#include "core/executor.h"

#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/initializers.h"

namespace tessera {

ParameterStore ParameterStore::Initialize(const Graph& graph, uint64_t seed, Device device) {
  ParameterStore store;
  std::mt19937_64 rng(seed);
  for (const ParameterDef& def : graph.def().parameter()) {
    Parameter p;
    p.def = &def;
    p.value = InitializeParameter(def, rng);
    if (device != Device::kCpu) p.value = p.value.CopyTo(device);
    p.trainable = !def.frozen();
    p.weight_decay_scale = def.has_weight_decay_scale() ? def.weight_decay_scale() : 1.0f;
    if (p.trainable) p.grad = Tensor::Zeros(p.value.shape(), device);
    store.params_[def.name()] = std::move(p);
  }
  return store;
}

Parameter* ParameterStore::Find(const std::string& name) {
  auto it = params_.find(name);
  return it == params_.end() ? nullptr : &it->second;
}

int64_t ParameterStore::TotalElements() const {
  int64_t n = 0;
  for (const auto& [name, p] : params_) n += p.value.num_elements();
  return n;
}

std::string DescribeValues(const Tensor& t) {
  const std::vector<float> v = t.ToVector();
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, sum = 0;
  int64_t nan = 0, inf = 0, finite = 0;
  for (float x : v) {
    if (std::isnan(x)) {
      ++nan;
    } else if (std::isinf(x)) {
      ++inf;
    } else {
      lo = std::min<double>(lo, x);
      hi = std::max<double>(hi, x);
      sum += x;
      ++finite;
    }
  }
  return absl::StrFormat("%s: min %g max %g mean %g, %d NaN, %d Inf over %d values",
                         ShapeToString(t.shape()), finite ? lo : 0.0, finite ? hi : 0.0,
                         finite ? sum / finite : 0.0, nan, inf, v.size());
}

Executor::Executor(const Graph& graph, ParameterStore& params, ExecutorOptions options)
    : graph_(graph),
      params_(params),
      options_(options),
      backend_(*GetBackend(options.device)),
      saved_(graph.nodes().size()) {
  for (const Node& node : graph_.nodes()) {
    absl::StatusOr<const KernelDef*> kernel =
        KernelRegistry::Global().Find(node.schema->name(), options_.device);
    if (!kernel.ok() && kernels_status_.ok()) {
      kernels_status_ =
          absl::NotFoundError(absl::StrCat("node '", node.name, "': ", kernel.status().message()));
    }
    kernels_.push_back(kernel.ok() ? *kernel : nullptr);
  }
}

absl::Status Executor::Forward(const std::map<std::string, Tensor>& feeds, bool training,
                               uint64_t seed) {
  TS_RETURN_IF_ERROR(kernels_status_);
  values_.clear();
  ran_forward_ = false;
  last_training_ = training;
  // The batch size comes from the first declared input with a -1 dimension.
  int64_t batch = -1;
  for (const auto& input : graph_.def().input()) {
    auto it = feeds.find(input.name());
    if (it == feeds.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph input '", input.name(), "' was not fed"));
    }
    for (int i = 0; i < input.shape_size() && batch < 0; ++i) {
      if (input.shape(i) == -1 && it->second.rank() == input.shape_size())
        batch = it->second.dim(i);
    }
  }
  for (const auto& input : graph_.def().input()) {
    const Tensor& fed = feeds.at(input.name());
    TS_ASSIGN_OR_RETURN(Shape expected, graph_.InputShape(input.name(), batch));
    if (fed.shape() != expected) {
      return absl::InvalidArgumentError(absl::StrCat("input '", input.name(), "' has shape ",
                                                     ShapeToString(fed.shape()), ", expected ",
                                                     ShapeToString(expected)));
    }
    if (fed.device() != options_.device) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", input.name(), "' is on ", DeviceName(fed.device()),
                       ", the executor runs on ", DeviceName(options_.device)));
    }
    values_[input.name()] = fed;
  }
  for (auto& [name, p] : params_.all()) values_[name] = p.value;

  std::mt19937_64 seeds(seed);
  for (size_t i = 0; i < graph_.nodes().size(); ++i) {
    const Node& node = graph_.nodes()[i];
    saved_[i].clear();
    KernelContext ctx{node.attrs, backend_, training, seeds() ^ (0x9E3779B97F4A7C15ull * (i + 1)),
                      saved_[i]};
    TS_RETURN_IF_ERROR(RunNode(static_cast<int>(i), ctx, *kernels_[i]));
  }
  ran_forward_ = true;
  return absl::OkStatus();
}

absl::Status Executor::RunNode(int index, KernelContext& ctx, const KernelDef& kernel) {
  const Node& node = graph_.nodes()[index];
  std::vector<Tensor> inputs;
  std::vector<Shape> input_shapes;
  for (const std::string& name : node.inputs) {
    inputs.push_back(values_.at(name));
    input_shapes.push_back(inputs.back().shape());
  }
  absl::StatusOr<std::vector<Shape>> shapes = node.schema->InferShapes(input_shapes, node.attrs);
  if (!shapes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("node '", node.name, "': ", shapes.status().message()));
  }
  std::vector<Tensor> outputs;
  for (const Shape& s : *shapes) outputs.push_back(Tensor::Empty(s, options_.device));
  absl::Status status = kernel.forward(ctx, inputs, outputs);
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat("node '", node.name, "' (op ",
                                                    node.schema->name(), "): ", status.message()));
  }
  for (size_t k = 0; k < outputs.size(); ++k) {
    if (options_.check_numerics && !backend_.AllFinite(outputs[k])) {
      std::string report =
          absl::StrCat("check_numerics: node '", node.name, "' (op ", node.schema->name(),
                       ") produced a non-finite value in output ", k, " ",
                       DescribeValues(outputs[k]), "; its inputs:");
      for (size_t j = 0; j < inputs.size(); ++j) {
        absl::StrAppend(&report, "\n  ", node.inputs[j], " ", DescribeValues(inputs[j]));
      }
      return absl::InvalidArgumentError(report);
    }
    values_[node.outputs[k]] = std::move(outputs[k]);
  }
  return absl::OkStatus();
}

absl::Status Executor::Backward() {
  if (graph_.loss().empty())
    return absl::FailedPreconditionError("the graph has no loss to differentiate");
  if (!ran_forward_) return absl::FailedPreconditionError("Backward() needs a preceding Forward()");
  const Tensor& loss = values_.at(graph_.loss());
  return BackwardFrom({{graph_.loss(), Tensor::Filled(loss.shape(), 1.0f, options_.device)}}, {})
      .status();
}

absl::StatusOr<std::map<std::string, Tensor>> Executor::BackwardFrom(
    const std::map<std::string, Tensor>& value_grads, const std::vector<std::string>& input_names) {
  if (!ran_forward_) return absl::FailedPreconditionError("backward needs a preceding Forward()");
  for (const std::string& name : input_names) {
    if (!graph_.IsInput(name)) {
      return absl::InvalidArgumentError(absl::StrCat("'", name, "' is not a graph input"));
    }
  }
  // Values through which a trainable parameter or a requested input
  // influences later values.
  std::set<std::string> requires_grad(input_names.begin(), input_names.end());
  for (const auto& [name, p] : params_.all()) {
    if (p.trainable) requires_grad.insert(name);
  }
  for (const Node& node : graph_.nodes()) {
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.schema->inputs()[i].differentiable && requires_grad.count(node.inputs[i])) {
        for (const std::string& out : node.outputs) requires_grad.insert(out);
        break;
      }
    }
  }

  std::map<std::string, Tensor> grads;
  for (const auto& [name, grad] : value_grads) {
    auto it = values_.find(name);
    if (it == values_.end())
      return absl::InvalidArgumentError(absl::StrCat("no value named '", name, "'"));
    if (grad.shape() != it->second.shape() || grad.device() != options_.device) {
      return absl::InvalidArgumentError(
          absl::StrCat("gradient for '", name, "' has shape ", ShapeToString(grad.shape()), " on ",
                       DeviceName(grad.device()), ", the value has ",
                       ShapeToString(it->second.shape()), " on ", DeviceName(options_.device)));
    }
    grads[name] = grad.Clone();  // accumulated into below; the caller's stays intact
  }
  const auto& nodes = graph_.nodes();
  for (int index = static_cast<int>(nodes.size()) - 1; index >= 0; --index) {
    const Node& node = nodes[index];
    bool has_output_grad = false;
    for (const std::string& out : node.outputs) has_output_grad |= grads.count(out) > 0;
    if (!has_output_grad) continue;
    std::vector<Tensor> inputs, outputs, output_grads, input_grads(node.inputs.size());
    bool wants_any = false;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      inputs.push_back(values_.at(node.inputs[i]));
      if (node.schema->inputs()[i].differentiable && requires_grad.count(node.inputs[i])) {
        input_grads[i] = Tensor::Empty(inputs[i].shape(), options_.device);
        wants_any = true;
      }
    }
    if (!wants_any) continue;
    for (const std::string& out : node.outputs) {
      outputs.push_back(values_.at(out));
      auto it = grads.find(out);
      output_grads.push_back(
          it != grads.end() ? it->second : Tensor::Zeros(outputs.back().shape(), options_.device));
      grads.erase(out);  // no longer needed
    }
    KernelContext ctx{node.attrs, backend_, last_training_, 0, saved_[index]};
    GradientArgs args{inputs, outputs, output_grads, input_grads};
    absl::Status status = kernels_[index]->gradient(ctx, args);
    if (!status.ok()) {
      return absl::Status(status.code(),
                          absl::StrCat("gradient of node '", node.name, "' (op ",
                                       node.schema->name(), "): ", status.message()));
    }
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (!input_grads[i].defined()) continue;
      auto it = grads.find(node.inputs[i]);
      if (it == grads.end()) {
        grads[node.inputs[i]] = std::move(input_grads[i]);
      } else {
        backend_.Axpy(1.0f, input_grads[i], it->second);
      }
    }
  }
  for (auto& [name, p] : params_.all()) {
    if (!p.trainable) continue;
    auto it = grads.find(name);
    if (it == grads.end()) {
      backend_.Fill(p.grad, 0.0f);
    } else {
      p.grad = std::move(it->second);  // hand over the buffer, no copy
    }
  }
  std::map<std::string, Tensor> input_grads;
  for (const std::string& name : input_names) {
    auto it = grads.find(name);
    input_grads[name] =
        it != grads.end() ? it->second : Tensor::Zeros(values_.at(name).shape(), options_.device);
  }
  return input_grads;
}

absl::StatusOr<Tensor> Executor::Value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    return absl::NotFoundError(absl::StrCat("no value named '", name, "' (has Forward run?)"));
  }
  return it->second;
}

absl::StatusOr<float> Executor::Loss() const {
  TS_ASSIGN_OR_RETURN(Tensor loss, Value(graph_.loss()));
  return loss.ToVector()[0];
}

}  // namespace tessera
