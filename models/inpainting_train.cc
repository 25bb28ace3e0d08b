// Trains an inpainting graph (by default the seed's two-layer network,
// models/inpainting_mlp.pbtxt) to fill random rectangular holes in the MNIST
// digits or Fashion-MNIST, and draws a grid of test examples (masked input |
// prediction | ground truth):
//   bazel run //models:inpainting_train          # about 75 s on 2 cores
//   bazel run //models:inpainting_train -- --graph=models/inpainting_unet_fc.pbtxt --epochs=30
//   bazel run //models:inpainting_train -- --min_mask_size=6 --max_mask_size=16

#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "models/inpainting.h"
#include "models/loop_flags.h"

// Besides the shared flags of models/loop_flags.h (--graph, --epochs, --lr,
// --optimizer, --device, --checkpoint_dir, --resume, ...):
ABSL_FLAG(int, mask_size, 12, "Side of the square hole, in pixels (1 to 28).");
ABSL_FLAG(int, min_mask_size, 0,
          "With --max_mask_size: draw each hole's height and width uniformly from "
          "[min_mask_size, max_mask_size] instead of --mask_size.");
ABSL_FLAG(int, max_mask_size, 0, "See --min_mask_size.");
ABSL_FLAG(double, hole_weight, 1,
          "Weight of a hole pixel's squared error relative to a known pixel's (graphs with a "
          "'pixel_weight' input, such as models/inpainting_unet.pbtxt).");
ABSL_FLAG(int64_t, train_images, 0,
          "Train on only this many training images, evenly spaced across the set (0: all); for "
          "quick comparisons of graphs and flags.");
ABSL_FLAG(std::string, out_grid, "inpainting_grid.png",
          "PNG of 16 test images, one per row: masked input (hole tinted blue) | raw prediction | "
          "ground truth; rewritten after every epoch. Empty: none.");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Trains a Tessera inpainting graph to fill random rectangular holes in MNIST digits or "
      "Fashion-MNIST; reports the masked-region MSE and PSNR next to two baselines.");
  absl::ParseCommandLine(argc, argv);
  // models/inpainting_mlp.pbtxt is the seed's two-layer network, about 2.5 s
  // per MNIST epoch on 2 cores; models/inpainting_conv.pbtxt an
  // encoder-decoder, about 20 s per epoch; models/inpainting_unet.pbtxt, a
  // U-Net, about 1.3 times the conv's; models/inpainting_unet_fc.pbtxt, the
  // U-Net with a fully connected bottleneck that fills holes best (README.md).
  tessera::LoopFlagDefaults defaults;
  defaults.graph = "models/inpainting_mlp.pbtxt";
  defaults.epochs = 30;
  defaults.lr = 1e-3;
  defaults.optimizer = "adam";
  defaults.weight_decay = 0;
  defaults.checkpoint_dir = "checkpoints/inpainting";
  tessera::InpaintingConfig config;
  absl::Status flags = tessera::LoopConfigFromFlags(defaults, config);
  if (!flags.ok()) {
    fprintf(stderr, "inpainting_train: %s\n", std::string(flags.message()).c_str());
    return 1;
  }
  const int min_size = absl::GetFlag(FLAGS_min_mask_size),
            max_size = absl::GetFlag(FLAGS_max_mask_size);
  if (min_size > 0 || max_size > 0) {
    if (min_size <= 0 || max_size <= 0) {
      fprintf(stderr,
              "inpainting_train: give both --min_mask_size and --max_mask_size, or neither\n");
      return 1;
    }
    config.mask = {min_size, max_size};
  } else {
    config.mask = {absl::GetFlag(FLAGS_mask_size), absl::GetFlag(FLAGS_mask_size)};
  }
  config.train_images = absl::GetFlag(FLAGS_train_images);
  if (config.train_images < 0) {
    fprintf(stderr, "inpainting_train: --train_images must be >= 0\n");
    return 1;
  }
  config.hole_weight = static_cast<float>(absl::GetFlag(FLAGS_hole_weight));
  if (!(config.hole_weight > 0)) {
    fprintf(stderr, "inpainting_train: --hole_weight must be positive, got %g\n",
            absl::GetFlag(FLAGS_hole_weight));
    return 1;
  }
  const std::string out_grid = absl::GetFlag(FLAGS_out_grid);
  config.out_grid = out_grid.empty() ? "" : tessera::ResolveUserPath(out_grid);
  absl::StatusOr<tessera::InpaintingResult> result = tessera::TrainInpainting(config);
  if (!result.ok()) {
    fprintf(stderr, "\ninpainting_train: %s\n", std::string(result.status().message()).c_str());
    return 1;
  }
  return 0;
}
