#ifndef TESSERA_MODELS_TRAINER_H_
#define TESSERA_MODELS_TRAINER_H_

// The training loop shared by the image-classifier binaries: data, SGD or
// Adam with a schedule, a progress line, per-epoch evaluation, checkpoints
// with exact resume, and a clean stop on SIGINT/SIGTERM.
//
// A classifier graph declares inputs "image" [-1, C, H, W] and "label" [-1],
// a scalar loss, and its logits as the first `output`.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/optimizer.h"

namespace tessera {

// One row of the learning curve.
struct EpochStats {
  int epoch = 0;  // 1-based
  double train_loss = 0, train_accuracy = 0, test_loss = 0, test_accuracy = 0;
  double seconds = 0;  // wall time of the epoch's training steps
};

// What a learning-curve picture needs: the running training loss and
// accuracy about ten times an epoch (x in fractional epochs), and the
// per-epoch results.
struct TrainingCurve {
  struct Point {
    double epoch, loss, accuracy;
  };
  std::vector<Point> train;
  std::vector<EpochStats> epochs;
};

struct TrainConfig {
  std::string graph_path;
  std::string dataset = "mnist";  // mnist | fashion
  int epochs = 10;
  int batch_size = 64;
  int augment_shift = 0;  // random translation of training images, in pixels
  // Square input size the images are resized to (bilinear); 0 keeps the
  // dataset's. The graph's "image" input is rewritten to match.
  int image_size = 0;
  Device device = Device::kCpu;
  // Called after every epoch with the curve so far (e.g. to draw it).
  std::function<void(const TrainingCurve&)> on_epoch_end;
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
  TrainingCurve curve;  // of this run
};

absl::StatusOr<TrainResult> TrainClassifier(const TrainConfig& config);

// Resolves a relative path given on the command line of `bazel run`, whose
// working directory is the runfiles tree: a path that exists there is kept,
// otherwise it is taken relative to the directory bazel run was called from.
std::string ResolveUserPath(const std::string& path);

}  // namespace tessera

#endif  // TESSERA_MODELS_TRAINER_H_
