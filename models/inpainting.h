#ifndef TESSERA_MODELS_INPAINTING_H_
#define TESSERA_MODELS_INPAINTING_H_

// Inpainting: a graph learns to fill a random rectangular hole in an image
// (datasets/masking.h). The library behind models/inpainting_train: the
// task for the shared training loop (models/training_loop.h), the metrics
// over the hole, the two baselines and the picture grid.
//
// An inpainting graph declares inputs "masked" and "target", both
// [-1, C, H, W] like the dataset's images: "masked" is the image with the
// hole set to 0, "target" the whole image. Its loss is scalar and its first
// `output` is the predicted image, [-1, C, H, W] (see
// models/inpainting_mlp.pbtxt and models/inpainting_conv.pbtxt). It may also
// declare, of the same shape:
//  - "mask": 1 in the hole, 0 elsewhere (a network cannot tell a hole from
//    black background in "masked" alone);
//  - "pixel_weight": the square root of each pixel's loss weight,
//    sqrt(InpaintingConfig::hole_weight) in the hole and 1 elsewhere, for a
//    loss l2_loss(mul(prediction, pixel_weight), mul(target, pixel_weight)).
//
// Evaluation uses the whole test set with fixed masks: test image i gets
// datasets::DrawHole(mask, H, W, datasets::kTestMaskSeed, i), whatever the
// run's seed. Errors are measured over the hole's pixels only.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/optimizer.h"
#include "datasets/dataset.h"
#include "datasets/masking.h"
#include "models/training_loop.h"
#include "tools/image/png.h"

namespace tessera {

// Squared error summed over the pixels where mask is 1.
class MaskedError {
 public:
  // Adds `count` values (prediction, target and mask laid out alike).
  void Add(const float* prediction, const float* target, const float* mask, int64_t count);
  int64_t pixels() const { return pixels_; }
  // Mean squared error over the masked pixels seen so far (0 if none).
  double mse() const;
  // 10 log10(peak^2 / mse()), in dB; +infinity for a perfect prediction.
  double psnr(double peak = 1.0) const;

 private:
  double sum_squared_ = 0;
  int64_t pixels_ = 0;
};

double PsnrFromMse(double mse, double peak = 1.0);

// The per-pixel mean of a dataset's images (image_size() values).
std::vector<float> MeanImage(const datasets::ImageDataset& data);

// Baseline "mean image": `masked` with every pixel where mask is 1 replaced
// by the same pixel of `mean_image`; `count` images of mean_image.size()
// values each, written to `out`.
void FillHoleWith(const float* masked, const float* mask, const std::vector<float>& mean_image,
                  int64_t count, float* out);

// Masked-region scores of the model and of the two baselines on one set.
struct InpaintingScores {
  MaskedError model;
  // The model's error on the pixels it was given (outside the hole): 0 for
  // a graph that pastes them back into its output.
  MaskedError model_known;
  MaskedError mean_image;  // hole filled with the training set's mean image
  MaskedError copy_input;  // masked input unchanged (hole stays 0)
  double loss = 0;         // the graph's loss, averaged over images
};

// A picture of `rows` examples (NCHW, C = 1 or 3), one per row: masked
// input | prediction | ground truth, each `scale` times enlarged, with
// `border`-pixel grey separators. Values are clamped to [0, 1]. In the
// masked-input panel the hole (mask 1) is tinted dark blue so that it shows
// against the black background; the prediction is shown raw (the network's
// whole output, not composited into the unmasked input).
Image MakeInpaintingGrid(const float* masked, const float* mask, const float* prediction,
                         const float* target, int64_t rows, int64_t channels, int64_t height,
                         int64_t width, int scale = 3, int border = 2);

struct InpaintingConfig : LoopConfig {
  datasets::MaskSpec mask;
  // Weight of a hole pixel's squared error relative to a known pixel's; the
  // graph must take "pixel_weight" unless it is 1.
  float hole_weight = 1;
  std::string out_grid;  // PNG written after each evaluation; empty: none
  int grid_rows = 16;
  // Train on only this many training images (0: all), taken evenly spaced
  // across the set so that every class is present; for short test runs.
  int64_t train_images = 0;
};

struct InpaintingResult {
  int64_t steps = 0;
  bool interrupted = false;
  double train_seconds = 0;  // this run's training time, without evaluation
  // The last test evaluation (after the last epoch, or of the checkpoint
  // with eval_only); unset (pixels() == 0) if training was interrupted.
  InpaintingScores test;
};

absl::StatusOr<InpaintingResult> TrainInpainting(const InpaintingConfig& config);

// The images of the grid: test images with these indices (evenly spaced, so
// that the class-major MNIST digits show every digit, not sixteen zeros).
std::vector<int64_t> GridImageIndices(int64_t num_images, int rows);

}  // namespace tessera

#endif  // TESSERA_MODELS_INPAINTING_H_
