#ifndef TESSERA_DATASETS_DATASET_H_
#define TESSERA_DATASETS_DATASET_H_

#include <cstdint>
#include <vector>

namespace tessera::datasets {

// An in-memory labelled image set, pixel values scaled to [0, 1], NCHW.
struct ImageDataset {
  int64_t num_images = 0, channels = 1, height = 0, width = 0;
  int num_classes = 10;
  std::vector<float> images;    // num_images * channels * height * width
  std::vector<int32_t> labels;  // num_images, each in [0, num_classes)
  int64_t image_size() const { return channels * height * width; }
};

enum class Split { kTrain, kTest };

}  // namespace tessera::datasets

#endif  // TESSERA_DATASETS_DATASET_H_
