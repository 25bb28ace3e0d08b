#ifndef TESSERA_MODELS_TRAINING_LOOP_H_
#define TESSERA_MODELS_TRAINING_LOOP_H_

// The training loop shared by the trainers (models/trainer.h for image
// classifiers, models/inpainting.h): shuffled batches, the optimizer and its
// learning-rate schedule, a progress line, an evaluation after every epoch,
// checkpoints with exact resume, divergence detection, and a clean stop with
// a checkpoint on SIGINT/SIGTERM. What differs between kinds of model (the
// graph's inputs, the metrics, what is printed) is a TrainingTask.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/optimizer.h"
#include "datasets/dataset.h"
#include "datasets/pipeline.h"
#include "distributed/data_parallel.h"

namespace tessera {

// The settings every trainer has; trainer configs extend it.
struct LoopConfig {
  std::string graph_path;
  std::string dataset = "mnist";  // mnist | fashion | folder | cifar10 | cifar100
  // Image datasets (folder, cifar10, cifar100; models/image_data.h).
  struct ImageData {
    std::string dir;  // --data_dir
    int workers = 2;  // decoding threads
    bool skip_bad_images = false;
    bool random_resized_crop = false;
    bool augment = true;  // false: train on the eval transform
    double resize_ratio = 256.0 / 224.0;
    std::vector<float> mean, std;  // empty: ImageNet's
  } image_data;
  int epochs = 10;
  int batch_size = 64;
  Device device = Device::kCpu;
  OptimizerConfig optimizer;
  LrSchedule schedule;
  uint64_t seed = 1;
  int threads = 0;             // 0: all cores
  std::string checkpoint_dir;  // empty: no checkpoints
  int keep_checkpoints = 3;
  int checkpoint_every_steps = 0;  // 0: only at the end of each epoch
  bool resume = false;
  bool eval_only = false;
  bool check_numerics = false;
  // Estimate a training step's memory before the first one (printed) and
  // stop with what fits when it exceeds what the device has.
  bool check_memory = true;
  // Stop after this many optimizer steps (0: no limit); for tests of resume.
  int64_t max_steps = 0;
  bool verbose = true;        // the progress line and per-epoch results
  int print_every_steps = 0;  // progress line every N steps (0: by time)
  // Data-parallel training under mpirun (distributed/): gradient bucket
  // size, and whether buckets are all-reduced during backward.
  int64_t allreduce_bucket_bytes = 25 << 20;
  bool overlap_allreduce = true;

  // Errors a user can cause: sizes, --resume without a directory, a device
  // this process does not have.
  absl::Status Validate() const;
};

struct StepInfo {
  int64_t epoch = 0;  // 0-based
  int64_t batch_in_epoch = 0;
  int64_t steps_per_epoch = 0;
  float loss = 0;
};

class TrainingTask {
 public:
  virtual ~TrainingTask() = default;
  // The graph inputs for one training batch (batch_size images and labels
  // as the dataset stores them) at optimizer step `step`, on `device`.
  // `images` may be changed in place (augmentation, holes).
  virtual std::map<std::string, Tensor> TrainFeeds(std::vector<float>& images,
                                                   const std::vector<float>& labels, int64_t step,
                                                   Device device) = 0;
  // After each optimizer step; the step's forward values are in `executor`.
  virtual absl::Status AfterStep(const Executor& executor, const std::vector<float>& labels,
                                 const StepInfo& info) {
    return absl::OkStatus();
  }
  // Training metrics of the epoch so far beyond the loss, printed after it
  // ("train accuracy 0.9812, "); empty for none.
  virtual std::string EpochTrainMetrics() const { return ""; }
  // Evaluates on the test set; returns what to print ("test loss 0.31, test
  // accuracy 0.89").
  virtual absl::StatusOr<std::string> Evaluate(Executor& executor) = 0;
  // After an epoch's evaluation, before the next epoch starts.
  virtual void EpochDone(int64_t epoch, double train_loss, double train_seconds) {}
  // Appended to the final "done:" line (", test accuracy 0.9650").
  virtual std::string FinalSummary() const { return ""; }
};

struct LoopResult {
  int64_t steps = 0;
  bool interrupted = false;
  double train_seconds = 0;  // this run's training, without evaluation
};

class TrainingLoop {
 public:
  // `graph` and `train` must outlive the loop. An ImageDataset is served
  // shuffled, in batches of config.batch_size, the last partial one dropped.
  TrainingLoop(const LoopConfig& config, const Graph& graph, const datasets::ImageDataset& train);
  TrainingLoop(const LoopConfig& config, const Graph& graph, datasets::BatchSource& train);

  ParameterStore& params() { return params_; }
  // Created by Run().
  Executor& executor() { return *executor_; }

  // Trains (or, with eval_only or a finished checkpoint, only evaluates).
  // Under mpirun every rank calls it: batch_size is the global batch, each
  // rank trains on its shard, and only rank 0 prints, evaluates and saves
  // (distributed/data_parallel.h).
  // `description` is printed first ("training mlp on mnist ..."); `metadata`
  // goes into every checkpoint and is compared on resume, where a
  // difference is printed as a note.
  absl::StatusOr<LoopResult> Run(TrainingTask& task, const std::string& description,
                                 const std::map<std::string, std::string>& metadata);

 private:
  TrainingLoop(const LoopConfig& config, const Graph& graph,
               std::unique_ptr<datasets::BatchSource> owned, datasets::BatchSource* train);
  absl::StatusOr<LoopResult> RunOnThisRank(TrainingTask& task, const std::string& description,
                                           const std::map<std::string, std::string>& metadata);
  absl::Status Save(int64_t epoch, int64_t batch_in_epoch,
                    const std::map<std::string, std::string>& metadata);
  void Print(const char* format, ...) const;
  // The memory estimate of a step at `batch` (this rank's), as printed; an
  // error saying what fits when it exceeds the available memory.
  absl::StatusOr<std::string> CheckMemory(int64_t batch);

  const LoopConfig& config_;
  const Graph& graph_;
  std::unique_ptr<datasets::BatchSource> owned_train_;
  datasets::BatchSource& train_;
  ParameterStore params_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<Optimizer> optimizer_;
  bool fused_update_ = false;  // Optimizer::fused_update is in the executor's hooks
  std::unique_ptr<distributed::DataParallel> parallel_;
};

absl::StatusOr<datasets::ImageDataset> LoadDataset(const std::string& name, datasets::Split split);

// Resolves a relative path given on the command line of `bazel run`, whose
// working directory is the runfiles tree: a path that exists there is kept,
// otherwise it is taken relative to the directory bazel run was called from.
std::string ResolveUserPath(const std::string& path);

}  // namespace tessera

#endif  // TESSERA_MODELS_TRAINING_LOOP_H_
