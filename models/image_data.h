#ifndef TESSERA_MODELS_IMAGE_DATA_H_
#define TESSERA_MODELS_IMAGE_DATA_H_

// The image datasets a trainer decodes as it goes (--dataset=folder,
// cifar10, cifar100): their files, opened from LoopConfig, and the decode
// pipeline that turns them into batches of the graph's input shape.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "datasets/image_source.h"
#include "datasets/pipeline.h"
#include "models/training_loop.h"

namespace tessera {

bool IsImageDataset(const std::string& name);

struct ImageData {
  std::unique_ptr<datasets::ImageSource> source;
  std::unique_ptr<datasets::ImagePipeline> batches;
  // "train: 3 classes, 31 images: ant 10, cat 12, dog 9"
  std::string Summary(const std::string& split_name) const;
};

// Opens config.dataset's split and a pipeline serving batches of
// `batch_size` images of channels x height x width: training batches
// augmented and shuffled, evaluation ones with the eval transform, in order.
absl::StatusOr<ImageData> OpenImageData(const LoopConfig& config, datasets::Split split,
                                        int channels, int height, int width, int64_t batch_size);

}  // namespace tessera

#endif  // TESSERA_MODELS_IMAGE_DATA_H_
