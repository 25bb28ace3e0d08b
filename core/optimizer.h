#ifndef TESSERA_CORE_OPTIMIZER_H_
#define TESSERA_CORE_OPTIMIZER_H_

// SGD with momentum and weight decay, Adam, and learning-rate schedules.
// Updates run on the parameters' device through the Backend primitives.

#include <map>
#include <memory>
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

  // Applies one update from the parameters' current gradients.
  virtual void Step(float learning_rate) = 0;
  // Named state tensors ("<param>/velocity", "<param>/adam_m", ...), for
  // checkpoints. Restoring them and the step count resumes exactly.
  virtual std::map<std::string, Tensor*> State() = 0;
  virtual std::string type() const = 0;

  int64_t steps() const { return steps_; }
  void set_steps(int64_t steps) { steps_ = steps; }

 protected:
  int64_t steps_ = 0;
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
