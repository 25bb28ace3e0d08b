#include "models/image_data.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace tessera {

bool IsImageDataset(const std::string& name) {
  return name == "folder" || name == "cifar10" || name == "cifar100";
}

std::string ImageData::Summary(const std::string& split_name) const {
  const std::vector<int64_t> counts = source->ClassCounts();
  std::string text =
      absl::StrCat(split_name, ": ", counts.size(), " classes, ", source->size(), " images:");
  for (size_t c = 0; c < counts.size(); ++c) {
    if (c == 12 && counts.size() > 16) {
      absl::StrAppend(&text, " ... (", counts.size() - 15, " more)");
      c = counts.size() - 3;
    }
    absl::StrAppend(&text, c == 0 ? " " : ", ", source->class_names()[c], " ", counts[c]);
  }
  return text;
}

absl::StatusOr<ImageData> OpenImageData(const LoopConfig& config, datasets::Split split,
                                        int channels, int height, int width, int64_t batch_size) {
  const LoopConfig::ImageData& flags = config.image_data;
  if (flags.dir.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--dataset=", config.dataset, " needs --data_dir"));
  }
  ImageData data;
  if (config.dataset == "folder") {
    TS_ASSIGN_OR_RETURN(data.source, datasets::OpenImageFolderSplit(flags.dir, split));
  } else if (config.dataset == "cifar10" || config.dataset == "cifar100") {
    TS_ASSIGN_OR_RETURN(data.source, datasets::CifarSource::Load(
                                         flags.dir, config.dataset == "cifar10" ? 10 : 100, split));
  } else {
    return absl::InvalidArgumentError(absl::StrCat("'", config.dataset, "' is no image dataset"));
  }
  datasets::PipelineConfig pipeline;
  pipeline.batch_size = batch_size;
  pipeline.train = split == datasets::Split::kTrain;
  pipeline.seed = config.seed;
  pipeline.workers = flags.workers;
  pipeline.skip_bad_images = flags.skip_bad_images;
  pipeline.transform.channels = channels;
  pipeline.transform.height = height;
  pipeline.transform.width = width;
  pipeline.transform.train_crop = flags.random_resized_crop
                                      ? datasets::TrainCrop::kRandomResizedCrop
                                      : datasets::TrainCrop::kResizeRandomCrop;
  if (!flags.augment) pipeline.transform.train_crop = datasets::TrainCrop::kNone;
  pipeline.transform.resize_ratio = flags.resize_ratio;
  if (!flags.mean.empty()) pipeline.transform.mean = flags.mean;
  if (!flags.std.empty()) pipeline.transform.std = flags.std;
  if (channels == 1) {  // ImageNet's statistics for grey: their average
    if (flags.mean.empty()) pipeline.transform.mean = {0.449f};
    if (flags.std.empty()) pipeline.transform.std = {0.226f};
  }
  TS_ASSIGN_OR_RETURN(data.batches, datasets::ImagePipeline::Create(*data.source, pipeline));
  return data;
}

}  // namespace tessera
