#ifndef TESSERA_MODELS_TRAINER_H_
#define TESSERA_MODELS_TRAINER_H_

// Training image classifiers (mlp_train, alexnet_train): the loop of
// models/training_loop.h with classification data, accuracy, a learning
// curve and optional resizing and shifting of the images.
//
// A classifier graph declares inputs "image" [-1, C, H, W] and "label" [-1],
// a scalar loss, and its logits as the first `output`.

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/optimizer.h"
#include "models/training_loop.h"

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

struct TrainConfig : LoopConfig {
  int augment_shift = 0;  // random translation of training images, in pixels
  // Random crop (a shift of up to this many pixels, zero-padded) and
  // left-right flip of training images at the network's input size, after
  // resizing.
  int augment_crop = 0;
  bool augment_flip = false;
  // Square input size the images are resized to (bilinear); 0 keeps the
  // dataset's. The graph's "image" input is rewritten to match.
  int image_size = 0;
  // Called after every epoch with the curve so far (e.g. to draw it).
  std::function<void(const TrainingCurve&)> on_epoch_end;
};

struct TrainResult {
  int64_t steps = 0;
  double test_accuracy = 0;
  double test_loss = 0;
  bool interrupted = false;
  TrainingCurve curve;  // of this run
};

absl::StatusOr<TrainResult> TrainClassifier(const TrainConfig& config);

}  // namespace tessera

#endif  // TESSERA_MODELS_TRAINER_H_
