#include "core/optimizer.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace tessera {
namespace {

class Sgd final : public Optimizer {
 public:
  Sgd(const OptimizerConfig& config, ParameterStore& params, Device device)
      : config_(config), params_(params), backend_(*GetBackend(device)) {
    for (auto& [name, p] : params_.all()) {
      if (p.trainable) velocity_[name] = Tensor::Zeros(p.value.shape(), device);
    }
  }
  void Step(float lr) override {
    for (auto& [name, p] : params_.all()) {
      if (!p.trainable) continue;
      backend_.SgdMomentumUpdate(p.value, p.grad, velocity_[name], lr, config_.momentum,
                                 config_.weight_decay * p.weight_decay_scale);
    }
    ++steps_;
  }
  std::map<std::string, Tensor*> State() override {
    std::map<std::string, Tensor*> state;
    for (auto& [name, v] : velocity_) state[name + "/velocity"] = &v;
    return state;
  }
  std::string type() const override { return "sgd"; }

 private:
  OptimizerConfig config_;
  ParameterStore& params_;
  Backend& backend_;
  std::map<std::string, Tensor> velocity_;
};

class Adam final : public Optimizer {
 public:
  Adam(const OptimizerConfig& config, ParameterStore& params, Device device)
      : config_(config), params_(params), backend_(*GetBackend(device)) {
    for (auto& [name, p] : params_.all()) {
      if (!p.trainable) continue;
      m_[name] = Tensor::Zeros(p.value.shape(), device);
      v_[name] = Tensor::Zeros(p.value.shape(), device);
    }
  }
  void Step(float lr) override {
    const double t = static_cast<double>(steps_ + 1);
    const double correction =
        std::sqrt(1.0 - std::pow(config_.beta2, t)) / (1.0 - std::pow(config_.beta1, t));
    const float lr_t = static_cast<float>(lr * correction);
    for (auto& [name, p] : params_.all()) {
      if (!p.trainable) continue;
      backend_.AdamUpdate(p.value, p.grad, m_[name], v_[name], lr_t, config_.beta1, config_.beta2,
                          config_.epsilon, config_.weight_decay * p.weight_decay_scale);
    }
    ++steps_;
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
  ParameterStore& params_;
  Backend& backend_;
  std::map<std::string, Tensor> m_, v_;
};

}  // namespace

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
