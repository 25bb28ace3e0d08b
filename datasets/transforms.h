#ifndef TESSERA_DATASETS_TRANSFORMS_H_
#define TESSERA_DATASETS_TRANSFORMS_H_

// torchvision's standard image transforms, fused into one resampling pass
// from a decoded 8-bit image to normalized float CHW:
//   train: Resize(ratio * size) + RandomCrop(size) + RandomHorizontalFlip,
//          or RandomResizedCrop(size, scale 0.08-1, ratio 3/4-4/3) + flip;
//   eval:  Resize(ratio * size) + CenterCrop(size);
// then (x / 255 - mean) / std per channel. Resizing is PIL's antialiased
// bilinear filter (what torchvision's Resize uses on PIL images), so a
// downscale by 4 averages 4x4 pixels instead of aliasing.
//
// Randomness comes only from a per-sample seed, so a sample's augmentation
// does not depend on which worker thread handles it or when.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/image_codec.h"

namespace tessera::datasets {

enum class TrainCrop {
  kResizeRandomCrop,   // resize the shorter side to ratio * size, random crop
  kRandomResizedCrop,  // torchvision's RandomResizedCrop
  kNone,               // the eval transform (no augmentation)
};

struct TransformConfig {
  int channels = 3, height = 224, width = 224;  // the output
  TrainCrop train_crop = TrainCrop::kResizeRandomCrop;
  bool flip = true;  // random horizontal flips in training
  // The shorter side is resized to resize_ratio * min(height, width) before
  // cropping: torchvision's ImageNet recipe resizes to 256 for a 224 crop.
  // 1 resizes a square image to exactly the output.
  double resize_ratio = 256.0 / 224.0;
  // Per channel (or one value for all), on the 0..1 scale; ImageNet's.
  std::vector<float> mean = {0.485f, 0.456f, 0.406f};
  std::vector<float> std = {0.229f, 0.224f, 0.225f};

  // InvalidArgument for sizes < 1, channels other than 1 or 3, a mean or
  // std with neither 1 nor `channels` values, a std of 0, a ratio < 1.
  absl::Status Validate() const;
  int64_t output_size() const { return int64_t{channels} * height * width; }
};

// Parses "0.485,0.456,0.406" (for --mean, --std).
absl::StatusOr<std::vector<float>> ParseFloatList(const std::string& text);

// Where in the source image a sample's pixels come from (in source pixels,
// fractional), and whether it is mirrored.
struct CropBox {
  double x = 0, y = 0, width = 0, height = 0;
  bool flip = false;
  // Resample as if the box were cut out first (torchvision's
  // RandomResizedCrop crops, then resizes), so the filter reads no pixel
  // outside it; otherwise (resize, then crop) it reads the neighbours too.
  bool cut_out = false;
};

CropBox TrainCropBox(const TransformConfig& config, int source_width, int source_height,
                     uint64_t sample_seed);
CropBox EvalCropBox(const TransformConfig& config, int source_width, int source_height);

// Resamples `box` of `image` (whose channel count must be config.channels)
// to config.height x config.width, normalizes, and writes
// config.output_size() floats (CHW) to `out`.
void ResampleNormalize(const DecodedImage& image, const CropBox& box, const TransformConfig& config,
                       float* out);

// A seed for one sample of one epoch: different for every (seed, epoch,
// index), the same on every run.
uint64_t SampleSeed(uint64_t seed, int64_t epoch, int64_t index);

}  // namespace tessera::datasets

#endif  // TESSERA_DATASETS_TRANSFORMS_H_
