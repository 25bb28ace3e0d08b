#include "core/executor.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/backend.h"
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

namespace {

// --check_numerics: the first forward output holding NaN or Inf stops the
// pass with the node's name and statistics of its inputs.
class CheckNumericsHook : public ExecutorHook {
 public:
  explicit CheckNumericsHook(Backend& backend) : backend_(backend) {}
  absl::Status AfterNode(const NodeCall& call) override {
    if (call.gradient) return absl::OkStatus();
    for (size_t k = 0; k < call.outputs.size(); ++k) {
      // An optional output nothing reads is not computed.
      if (!call.outputs[k].defined() || backend_.AllFinite(call.outputs[k])) continue;
      std::string report =
          absl::StrCat("check_numerics: node '", call.node.name, "' (op ", call.node.schema->name(),
                       ") produced a non-finite value in output ", k, " ",
                       DescribeValues(call.outputs[k]), "; its inputs:");
      for (size_t j = 0; j < call.inputs.size(); ++j) {
        absl::StrAppend(&report, "\n  ", call.node.inputs[j], " ", DescribeValues(call.inputs[j]));
      }
      return absl::InvalidArgumentError(report);
    }
    return absl::OkStatus();
  }

 private:
  Backend& backend_;
};

// Runs one kernel call's allocations and kernel: an allocation that fails
// (core/backend.h, OutOfMemoryError; std::bad_alloc from a kernel's own
// scratch vectors) becomes ResourceExhausted naming the node, instead of
// unwinding out of the executor.
template <typename Body>
absl::Status CatchOutOfMemory(const Node& node, bool gradient, Device device, Body&& body) {
  const std::string where = absl::StrCat(gradient ? "gradient of node '" : "node '", node.name,
                                         "' (op ", node.schema->name(), "): ");
  const char* advice =
      "; a smaller batch size needs less (the memory estimate printed at the "
      "start of training says how much)";
  try {
    return body();
  } catch (const OutOfMemoryError& e) {
    return absl::ResourceExhaustedError(absl::StrCat(where, e.what(), advice));
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(
        absl::StrCat(where, "out of host memory in the ", DeviceName(device),
                     " kernel's scratch space (std::bad_alloc)", advice));
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Executor>> Executor::Create(const Graph& graph,
                                                           ParameterStore& params,
                                                           ExecutorOptions options) {
  Backend* backend = GetBackend(options.device);
  if (backend == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no ", DeviceName(options.device), " backend in this process (",
        options.device == Device::kCpu ? "internal error"
                                       : "no GPU found, or this build has no CUDA support",
        ")"));
  }
  std::vector<const KernelDef*> kernels;
  for (const Node& node : graph.nodes()) {
    absl::StatusOr<const KernelDef*> kernel =
        KernelRegistry::Global().Find(node.schema->name(), options.device);
    if (!kernel.ok()) {
      return absl::NotFoundError(
          absl::StrCat("node '", node.name, "': ", kernel.status().message()));
    }
    kernels.push_back(*kernel);
  }
  for (const auto& [name, p] : params.all()) {
    if (p.value.device() != options.device) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", name, "' is on ", DeviceName(p.value.device()),
                       ", the executor runs on ", DeviceName(options.device)));
    }
  }
  return std::unique_ptr<Executor>(
      new Executor(graph, params, options, *backend, std::move(kernels)));
}

Executor::Executor(const Graph& graph, ParameterStore& params, ExecutorOptions options,
                   Backend& backend, std::vector<const KernelDef*> kernels)
    : graph_(graph),
      params_(params),
      options_(options),
      backend_(backend),
      kernels_(std::move(kernels)),
      unread_optional_(UnreadOptionalOutputs(graph)),
      saved_(graph.nodes().size()) {
  for (int i = static_cast<int>(graph_.nodes().size()) - 1; i >= 0; --i) {
    for (const std::string& in : graph_.nodes()[i].inputs) {
      if (graph_.IsParameter(in)) first_reader_[in] = i;
    }
  }
  if (options_.check_numerics) {
    check_numerics_ = std::make_unique<CheckNumericsHook>(backend_);
    hooks_.push_back(check_numerics_.get());
  }
}

void Executor::RemoveHook(ExecutorHook* hook) {
  hooks_.erase(std::remove(hooks_.begin(), hooks_.end(), hook), hooks_.end());
}

absl::Status Executor::CallHooks(bool before, const NodeCall& call) {
  for (ExecutorHook* hook : hooks_) {
    TS_RETURN_IF_ERROR(before ? hook->BeforeNode(call) : hook->AfterNode(call));
  }
  return absl::OkStatus();
}

absl::Status Executor::Forward(const std::map<std::string, Tensor>& feeds, bool training,
                               uint64_t seed) {
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

  releasing_ = training && options_.release_values;
  if (releasing_) PlanReleases();
  std::mt19937_64 seeds(seed);
  for (size_t i = 0; i < graph_.nodes().size(); ++i) {
    saved_[i].clear();
    KernelContext ctx{graph_.nodes()[i].attrs, backend_, training,
                      seeds() ^ (0x9E3779B97F4A7C15ull * (i + 1)), saved_[i]};
    TS_RETURN_IF_ERROR(CatchOutOfMemory(graph_.nodes()[i], /*gradient=*/false, options_.device,
                                        [&] { return RunNode(static_cast<int>(i), ctx); }));
  }
  ran_forward_ = true;
  if (training) TS_RETURN_IF_ERROR(ApplyStateUpdates());
  return absl::OkStatus();
}

void Executor::PlanReleases() {
  if (plan_.has_value()) return;  // planned by an earlier pass
  std::set<std::string> trainable;
  for (const auto& [name, p] : params_.all()) {
    if (p.trainable) trainable.insert(name);
  }
  plan_ = PlanMemory(graph_, trainable);
}

void Executor::Release(const std::string& value) {
  auto it = values_.find(value);
  if (it != values_.end() && it->second.defined())
    it->second = Tensor::ShapeOnly(it->second.shape());
}

absl::Status Executor::ApplyStateUpdates() {
  for (auto& [name, p] : params_.all()) {
    if (p.def == nullptr || p.def->updated_from().empty()) continue;
    // Take the output's buffer rather than copying it: nothing writes a
    // value after its node ran, and this forward's readers already hold the
    // old one.
    p.value = values_.at(p.def->updated_from());
  }
  return absl::OkStatus();
}

absl::Status Executor::RunNode(int index, KernelContext& ctx) {
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
  for (size_t k = 0; k < shapes->size(); ++k) {
    // In place: output 0 takes input 0's storage when nothing else reads
    // input 0 (a node's output whose last reader this is, and that no
    // gradient or caller needs).
    if (k == 0 && releasing_ && !inputs.empty() &&
        plan_->RunsInPlace(graph_, index, inputs[0].shape(), (*shapes)[0])) {
      outputs.push_back(inputs[0]);
      continue;
    }
    if (unread_optional_.count(node.outputs[k])) {
      // OpSchema::OptionalOutput that nothing reads: not computed.
      outputs.push_back(Tensor::ShapeOnly((*shapes)[k]));
      continue;
    }
    outputs.push_back(Tensor::Empty((*shapes)[k], options_.device));
  }
  const NodeCall call{node, index, /*gradient=*/false, inputs, outputs};
  TS_RETURN_IF_ERROR(CallHooks(/*before=*/true, call));
  absl::Status status = kernels_[index]->forward(ctx, inputs, outputs);
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat("node '", node.name, "' (op ",
                                                    node.schema->name(), "): ", status.message()));
  }
  TS_RETURN_IF_ERROR(CallHooks(/*before=*/false, call));
  for (size_t k = 0; k < outputs.size(); ++k) values_[node.outputs[k]] = std::move(outputs[k]);
  if (releasing_) {
    inputs.clear();  // drop this call's references
    for (const std::string& in : node.inputs) {
      if (plan_->ReleasedAfter(graph_, in, index)) Release(in);
    }
    for (const std::string& out : node.outputs) {
      if (plan_->ReleasedAfter(graph_, out, index)) Release(out);
    }
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
  if (releasing_ && !input_names.empty()) {
    return absl::FailedPreconditionError(
        "gradients of graph inputs need every forward value: turn off "
        "ExecutorOptions::release_values");
  }
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
  // A parameter's gradient is handed to it (and to the hooks) as soon as
  // the last node reading it has run its gradient kernel, so communication
  // can start while the backward pass goes on.
  std::set<std::string> finished;
  auto finish = [&](const std::string& name) -> absl::Status {
    Parameter* p = params_.Find(name);
    if (p == nullptr || !p->trainable || !finished.insert(name).second) return absl::OkStatus();
    auto it = grads.find(name);
    if (it == grads.end()) {  // no path from the loss
      if (p->grad.defined()) {
        backend_.Fill(p->grad, 0.0f);
      } else {  // released by a fused optimizer update (Optimizer::fused_update)
        p->grad = Tensor::Zeros(p->value.shape(), options_.device);
      }
    } else {
      p->grad = std::move(it->second);  // hand over the buffer, no copy
      grads.erase(it);
    }
    for (ExecutorHook* hook : hooks_) TS_RETURN_IF_ERROR(hook->GradientReady(name, *p));
    return absl::OkStatus();
  };
  for (int index = static_cast<int>(graph_.nodes().size()) - 1; index >= 0; --index) {
    TS_RETURN_IF_ERROR(CatchOutOfMemory(graph_.nodes()[index], /*gradient=*/true, options_.device,
                                        [&] { return RunGradient(index, requires_grad, grads); }));
    if (releasing_) {
      for (const std::string& v : plan_->release_after_gradient[index]) Release(v);
      saved_[index].clear();  // what the forward kept for this gradient
    }
    for (const std::string& in : graph_.nodes()[index].inputs) {
      auto reader = first_reader_.find(in);
      if (reader != first_reader_.end() && reader->second == index) TS_RETURN_IF_ERROR(finish(in));
    }
  }
  for (const auto& [name, p] : params_.all()) TS_RETURN_IF_ERROR(finish(name));
  // The values the gradients read are gone: another backward pass needs
  // another forward pass.
  if (releasing_) ran_forward_ = false;
  std::map<std::string, Tensor> input_grads;
  for (const std::string& name : input_names) {
    auto it = grads.find(name);
    input_grads[name] =
        it != grads.end() ? it->second : Tensor::Zeros(values_.at(name).shape(), options_.device);
  }
  return input_grads;
}

absl::Status Executor::RunGradient(int index, const std::set<std::string>& requires_grad,
                                   std::map<std::string, Tensor>& grads) {
  const Node& node = graph_.nodes()[index];
  const OpSchema& schema = *node.schema;
  bool has_output_grad = false;
  for (const std::string& out : node.outputs) has_output_grad |= grads.count(out) > 0;
  if (!has_output_grad) return absl::OkStatus();
  std::vector<Tensor> inputs, outputs, output_grads, input_grads(node.inputs.size());
  std::vector<bool> wanted(node.inputs.size(), false);
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    inputs.push_back(values_.at(node.inputs[i]));
    wanted[i] = schema.inputs()[i].differentiable && requires_grad.count(node.inputs[i]) > 0;
  }
  if (std::find(wanted.begin(), wanted.end(), true) == wanted.end()) return absl::OkStatus();
  for (size_t k = 0; k < node.outputs.size(); ++k) {
    const std::string& out = node.outputs[k];
    outputs.push_back(values_.at(out));
    auto it = grads.find(out);
    if (it != grads.end()) {
      output_grads.push_back(std::move(it->second));
      grads.erase(it);  // no longer needed
    } else if (schema.output_optional(static_cast<int>(k))) {
      output_grads.push_back(Tensor::ShapeOnly(outputs.back().shape()));  // no zeros made
    } else {
      output_grads.push_back(Tensor::Zeros(outputs.back().shape(), options_.device));
    }
  }
  // Inputs whose gradient is an output's gradient unchanged
  // (OpSchema::GradientPassesThrough) take that gradient's buffer, or, when
  // they have a gradient already (fan-out), have it added there; the kernel
  // is not asked for them. Each output gradient's buffer goes to one input
  // only (gradients are summed into the buffer they hold, so two holders
  // would see each other's sums), and only to an input that appears once
  // among the node's inputs (so the sums below never write into a buffer
  // that a later one still reads).
  std::vector<int> passes_from(node.inputs.size(), -1);
  std::vector<bool> handed_on(node.outputs.size(), false);
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!wanted[i]) continue;
    const int o = schema.GradientPassThroughOutput(static_cast<int>(i));
    if (o >= 0 && output_grads[o].defined() &&
        output_grads[o].num_elements() == inputs[i].num_elements() &&
        std::count(node.inputs.begin(), node.inputs.end(), node.inputs[i]) == 1) {
      if (grads.count(node.inputs[i])) {
        passes_from[i] = o;  // added into the gradient it has
        continue;
      }
      if (!handed_on[o]) {
        handed_on[o] = true;
        passes_from[i] = o;
        continue;
      }
    }
    input_grads[i] = Tensor::Empty(inputs[i].shape(), options_.device);
  }
  KernelContext ctx{node.attrs, backend_, last_training_, 0, saved_[index]};
  GradientArgs args{inputs, outputs, output_grads, input_grads};
  const NodeCall call{node, index, /*gradient=*/true, inputs, outputs, &output_grads, &input_grads};
  TS_RETURN_IF_ERROR(CallHooks(/*before=*/true, call));
  absl::Status status = kernels_[index]->gradient(ctx, args);
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat("gradient of node '", node.name, "' (op ",
                                                    node.schema->name(), "): ", status.message()));
  }
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (passes_from[i] >= 0) input_grads[i] = output_grads[passes_from[i]].Reshaped(inputs[i].shape());
  }
  TS_RETURN_IF_ERROR(CallHooks(/*before=*/false, call));
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!input_grads[i].defined()) continue;
    auto it = grads.find(node.inputs[i]);
    if (it == grads.end()) {
      grads[node.inputs[i]] = std::move(input_grads[i]);
    } else {
      backend_.Axpy(1.0f, input_grads[i], it->second);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Tensor> Executor::Value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) {
    return absl::NotFoundError(absl::StrCat("no value named '", name, "' (has Forward run?)"));
  }
  if (!it->second.defined() && unread_optional_.count(name)) {
    return absl::FailedPreconditionError(
        absl::StrCat("value '", name,
                     "' is an optional output that nothing in the graph reads, so it is not "
                     "computed; list it as a graph output to have it"));
  }
  if (!it->second.defined()) {
    return absl::FailedPreconditionError(
        absl::StrCat("value '", name,
                     "' was released once nothing needed it (ExecutorOptions::"
                     "release_values); list it as a graph output to keep it"));
  }
  return it->second;
}

absl::StatusOr<float> Executor::Loss() const {
  TS_ASSIGN_OR_RETURN(Tensor loss, Value(graph_.loss()));
  return loss.ToVector()[0];
}

}  // namespace tessera
