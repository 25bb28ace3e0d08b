#ifndef TESSERA_MODELS_TRAINER_H_
#define TESSERA_MODELS_TRAINER_H_

// The training loop shared by the image-classifier binaries: data, SGD or
// Adam with a schedule, a progress line, per-epoch evaluation, checkpoints
// with exact resume, and a clean stop on SIGINT/SIGTERM.
//
// A classifier graph declares inputs "image" [-1, C, H, W] and "label" [-1],
// a scalar loss, and its logits as the first `output`.

#include <string>

#include "absl/status/status.h"
#include "core/optimizer.h"

namespace tessera {

struct TrainConfig {
  std::string graph_path;
  std::string dataset = "mnist";  // mnist | fashion
  int epochs = 10;
  int batch_size = 64;
  int augment_shift = 0;  // random translation of training images, in pixels
  OptimizerConfig optimizer;
  LrSchedule schedule;
  uint64_t seed = 1;
  int threads = 0;  // 0: all cores
  std::string checkpoint_dir;  // empty: no checkpoints
  int keep_checkpoints = 3;
  int checkpoint_every_steps = 0;  // 0: only at the end of each epoch
  bool resume = false;
  bool eval_only = false;
  bool check_numerics = false;
  // Stop after this many optimizer steps (0: no limit); for tests of resume.
  int64_t max_steps = 0;
};

struct TrainResult {
  int64_t steps = 0;
  double test_accuracy = 0;
  double test_loss = 0;
  bool interrupted = false;
};

absl::StatusOr<TrainResult> TrainClassifier(const TrainConfig& config);

// Resolves a relative path given on the command line of `bazel run`, whose
// working directory is the runfiles tree: a path that exists there is kept,
// otherwise it is taken relative to the directory bazel run was called from.
std::string ResolveUserPath(const std::string& path);

}  // namespace tessera

#endif  // TESSERA_MODELS_TRAINER_H_
