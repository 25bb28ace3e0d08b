#ifndef TESSERA_CORE_OPTIMIZER_H_
#define TESSERA_CORE_OPTIMIZER_H_

// SGD with momentum and weight decay, Adam, and learning-rate schedules.
// Updates run on the parameters' device through the Backend primitives.

#include <map>
#include <memory>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "core/executor.h"

namespace tessera {

struct OptimizerConfig {
  std::string type = "sgd";  // sgd | adam
  float momentum = 0.9f;     // sgd
  float weight_decay = 0.0f;
  float beta1 = 0.9f;  // adam
  float beta2 = 0.999f;
  float epsilon = 1e-8f;
};

class Optimizer {
 public:
  static absl::StatusOr<std::unique_ptr<Optimizer>> Create(const OptimizerConfig& config,
                                                           ParameterStore& params, Device device);
  virtual ~Optimizer() = default;

  // Applies one update from the parameters' current gradients. After
  // BeginFusedStep(learning_rate) and the backward pass, completes that
  // step instead: only parameters the backward pass did not hand over are
  // updated here.
  void Step(float learning_rate);

  // The update fused into the backward pass, to hold fewer gradients at
  // once. Add fused_update() to the executor's hooks once, call
  // BeginFusedStep(lr) before each Forward() (it releases the last step's
  // gradients) and Step(lr) after Backward(): each
  // parameter is updated as soon as its gradient is final
  // (ExecutorHook::GradientReady) and its gradient buffer is then released
  // (param.grad keeps only its shape), so AlexNet's fc6 gradient (151 MB) is
  // gone before the convolutions' gradients run. The same arithmetic as
  // Step() alone, bit for bit: each parameter's update reads only its own
  // value, gradient and state. Not for gradients that are changed after
  // the backward pass (data-parallel averaging, clipping).
  ExecutorHook* fused_update() { return &fused_hook_; }
  void BeginFusedStep(float learning_rate);
  // Named state tensors ("<param>/velocity", "<param>/adam_m", ...), for
  // checkpoints. Restoring them and the step count resumes exactly.
  virtual std::map<std::string, Tensor*> State() = 0;
  virtual std::string type() const = 0;

  int64_t steps() const { return steps_; }
  void set_steps(int64_t steps) { steps_ = steps; }

 protected:
  explicit Optimizer(ParameterStore& params) : params_(params), fused_hook_(*this) {}
  // Called once per step before the per-parameter updates.
  virtual void PrepareStep(float learning_rate) {}
  // The update of one trainable parameter from its gradient.
  virtual void Update(const std::string& name, Parameter& param, float learning_rate) = 0;

  ParameterStore& params_;
  int64_t steps_ = 0;

 private:
  class FusedHook : public ExecutorHook {
   public:
    explicit FusedHook(Optimizer& optimizer) : optimizer_(optimizer) {}
    absl::Status GradientReady(const std::string& name, Parameter& param) override;

   private:
    Optimizer& optimizer_;
  };

  FusedHook fused_hook_;
  // Between BeginFusedStep() and Step(): the step's learning rate and the
  // parameters already updated.
  bool fused_pending_ = false;
  float fused_lr_ = 0;
  std::set<std::string> fused_done_;
};

struct LrSchedule {
  std::string type = "constant";  // constant | step | cosine
  float base_lr = 0.01f;
  int64_t step_epochs = 10;  // step: multiply by gamma every step_epochs
  float gamma = 0.1f;
  int64_t total_steps = 1;  // cosine: decays to min_lr over this many steps
  float min_lr = 0.0f;
  int64_t warmup_steps = 0;  // linear warm-up for any schedule

  absl::Status Validate() const;
  float At(int64_t step, int64_t steps_per_epoch) const;
};

}  // namespace tessera

#endif  // TESSERA_CORE_OPTIMIZER_H_
