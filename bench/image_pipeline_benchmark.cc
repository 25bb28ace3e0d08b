// Throughput of the image decode pipeline (datasets/pipeline.h) on a folder:
// one epoch of train/<class>/*.jpg decoded, resized (shorter side 256),
// randomly cropped to 224, flipped and normalized, in batches of 64, with
// --workers threads. Prints "images/s" for bench/image_pipeline.sh; the
// torchvision and PIL side is bench/image_pipeline_torchvision.py.

#include <chrono>
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "datasets/image_source.h"
#include "datasets/pipeline.h"

ABSL_FLAG(std::string, data_dir, "", "Image folder (its train/ split is read).");
ABSL_FLAG(int, workers, 2, "Decoding threads.");
ABSL_FLAG(int, batch_size, 64, "Images per batch.");
ABSL_FLAG(int, size, 224, "Crop size.");
ABSL_FLAG(bool, random_resized_crop, false, "RandomResizedCrop instead of resize + crop.");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using namespace tessera::datasets;
  auto folder = ImageFolder::Open(absl::GetFlag(FLAGS_data_dir) + "/train");
  if (!folder.ok()) {
    fprintf(stderr, "%s\n", std::string(folder.status().message()).c_str());
    return 1;
  }
  PipelineConfig config;
  config.batch_size = absl::GetFlag(FLAGS_batch_size);
  config.workers = absl::GetFlag(FLAGS_workers);
  config.transform.height = config.transform.width = absl::GetFlag(FLAGS_size);
  if (absl::GetFlag(FLAGS_random_resized_crop)) {
    config.transform.train_crop = TrainCrop::kRandomResizedCrop;
  }
  const auto start = std::chrono::steady_clock::now();
  auto pipeline = ImagePipeline::Create(**folder, config);
  if (!pipeline.ok()) {
    fprintf(stderr, "%s\n", std::string(pipeline.status().message()).c_str());
    return 1;
  }
  std::vector<float> images(config.batch_size * (*pipeline)->image_size()),
      labels(config.batch_size);
  int64_t served = 0;
  double checksum = 0;
  while (true) {
    absl::StatusOr<int64_t> n = (*pipeline)->Next(images.data(), labels.data());
    if (!n.ok()) {
      fprintf(stderr, "%s\n", std::string(n.status().message()).c_str());
      return 1;
    }
    if (*n == 0) break;
    served += *n;
    checksum += images[served % images.size()];
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  printf("tessera workers=%d: %lld images in %.2f s: %.1f images/s (checksum %.3f)\n",
         config.workers, static_cast<long long>(served), seconds, served / seconds, checksum);
  return 0;
}
