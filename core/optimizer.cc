#include "core/optimizer.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace tessera {
namespace {

class Sgd final : public Optimizer {
 public:
  Sgd(const OptimizerConfig& config, ParameterStore& params, Device device)
      : Optimizer(params), config_(config), backend_(*GetBackend(device)) {
    for (auto& [name, p] : params_.all()) {
      if (p.trainable) velocity_[name] = Tensor::Zeros(p.value.shape(), device);
    }
  }
  void Update(const std::string& name, Parameter& p, float lr) override {
    backend_.SgdMomentumUpdate(p.value, p.grad, velocity_[name], lr, config_.momentum,
                               config_.weight_decay * p.weight_decay_scale);
  }
  std::map<std::string, Tensor*> State() override {
    std::map<std::string, Tensor*> state;
    for (auto& [name, v] : velocity_) state[name + "/velocity"] = &v;
    return state;
  }
  std::string type() const override { return "sgd"; }

 private:
  OptimizerConfig config_;
  Backend& backend_;
  std::map<std::string, Tensor> velocity_;
};

class Adam final : public Optimizer {
 public:
  Adam(const OptimizerConfig& config, ParameterStore& params, Device device)
      : Optimizer(params), config_(config), backend_(*GetBackend(device)) {
    for (auto& [name, p] : params_.all()) {
      if (!p.trainable) continue;
      m_[name] = Tensor::Zeros(p.value.shape(), device);
      v_[name] = Tensor::Zeros(p.value.shape(), device);
    }
  }
  void PrepareStep(float lr) override {
    const double t = static_cast<double>(steps_ + 1);
    const double correction =
        std::sqrt(1.0 - std::pow(config_.beta2, t)) / (1.0 - std::pow(config_.beta1, t));
    lr_t_ = static_cast<float>(lr * correction);
  }
  void Update(const std::string& name, Parameter& p, float) override {
    backend_.AdamUpdate(p.value, p.grad, m_[name], v_[name], lr_t_, config_.beta1, config_.beta2,
                        config_.epsilon, config_.weight_decay * p.weight_decay_scale);
  }
  std::map<std::string, Tensor*> State() override {
    std::map<std::string, Tensor*> state;
    for (auto& [name, m] : m_) state[name + "/adam_m"] = &m;
    for (auto& [name, v] : v_) state[name + "/adam_v"] = &v;
    return state;
  }
  std::string type() const override { return "adam"; }

 private:
  OptimizerConfig config_;
  Backend& backend_;
  std::map<std::string, Tensor> m_, v_;
  float lr_t_ = 0;  // this step's bias-corrected learning rate
};

}  // namespace

void Optimizer::Step(float learning_rate) {
  if (!fused_pending_) PrepareStep(learning_rate);
  for (auto& [name, p] : params_.all()) {
    if (p.trainable && !fused_done_.count(name)) Update(name, p, learning_rate);
  }
  fused_pending_ = false;
  fused_done_.clear();
  ++steps_;
}

void Optimizer::BeginFusedStep(float learning_rate) {
  // The coming backward pass writes every trainable parameter's gradient:
  // the last step's buffers need not be held through its forward pass.
  for (auto& [name, p] : params_.all()) {
    if (p.trainable && p.grad.defined()) p.grad = Tensor::ShapeOnly(p.grad.shape());
  }
  PrepareStep(learning_rate);
  fused_pending_ = true;
  fused_lr_ = learning_rate;
  fused_done_.clear();
}

absl::Status Optimizer::FusedHook::GradientReady(const std::string& name, Parameter& param) {
  Optimizer& o = optimizer_;
  if (!o.fused_pending_ || !param.trainable || !o.fused_done_.insert(name).second)
    return absl::OkStatus();
  o.Update(name, param, o.fused_lr_);
  // Its last reader is done with it: the buffer can serve the gradients
  // still to come.
  param.grad = Tensor::ShapeOnly(param.grad.shape());
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Optimizer>> Optimizer::Create(const OptimizerConfig& config,
                                                             ParameterStore& params,
                                                             Device device) {
  if (config.weight_decay < 0) return absl::InvalidArgumentError("weight decay must be >= 0");
  if (config.type == "sgd") {
    if (config.momentum < 0 || config.momentum >= 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("momentum must be in [0, 1), got ", config.momentum));
    }
    return std::unique_ptr<Optimizer>(new Sgd(config, params, device));
  }
  if (config.type == "adam") {
    if (!(config.beta1 >= 0 && config.beta1 < 1 && config.beta2 >= 0 && config.beta2 < 1)) {
      return absl::InvalidArgumentError("adam betas must be in [0, 1)");
    }
    return std::unique_ptr<Optimizer>(new Adam(config, params, device));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown optimizer '", config.type, "' (known: sgd, adam)"));
}

absl::Status LrSchedule::Validate() const {
  if (!(base_lr > 0) || !std::isfinite(base_lr)) {
    return absl::InvalidArgumentError(
        absl::StrCat("learning rate must be positive, got ", base_lr));
  }
  if (type == "constant" || type == "cosine") return absl::OkStatus();
  if (type == "step") {
    if (step_epochs <= 0) return absl::InvalidArgumentError("step schedule needs step_epochs > 0");
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown learning-rate schedule '", type, "' (known: constant, step, cosine)"));
}

float LrSchedule::At(int64_t step, int64_t steps_per_epoch) const {
  if (warmup_steps > 0 && step < warmup_steps) {
    return base_lr * static_cast<float>(step + 1) / static_cast<float>(warmup_steps);
  }
  if (type == "step") {
    const int64_t epoch = step / std::max<int64_t>(1, steps_per_epoch);
    return base_lr * std::pow(gamma, static_cast<float>(epoch / step_epochs));
  }
  if (type == "cosine") {
    const double progress =
        std::min(1.0, static_cast<double>(step) / std::max<int64_t>(1, total_steps));
    return static_cast<float>(min_lr + 0.5 * (base_lr - min_lr) * (1 + std::cos(M_PI * progress)));
  }
  return base_lr;
}

}  // namespace tessera
