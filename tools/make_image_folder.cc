// make_image_folder: writes an image-folder dataset (OUT/train/<class>/...,
// OUT/val/<class>/...), the layout --dataset=folder reads.
//
// From an existing dataset, as PNG files (class folders named "0_t-shirt",
// "1_trouser", ... so they sort in the dataset's label order):
//   bazel run //tools:make_image_folder -- --dataset=fashion --out=/tmp/fashion
// From photographs, one class per photograph, as random crops (a quarter
// to all of the photo), scaled to --size and flipped at random, saved as
// JPEG (--quality); --count images per class, --val_count more for val/:
//   bazel run //tools:make_image_folder -- --out=/tmp/photos --count=100
//       --photos=/usr/lib/python3/dist-packages/sklearn/datasets/images/china.jpg,...
// (one line). The same flags give the same files.

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"
#include "datasets/idx.h"
#include "datasets/image_codec.h"
#include "datasets/mnist_digits.h"
#include "datasets/transforms.h"

ABSL_FLAG(std::string, out, "", "The folder to write (train/ and val/ inside).");
ABSL_FLAG(std::string, dataset, "", "mnist | fashion: write this dataset as PNG files.");
ABSL_FLAG(int, per_class, 0, "--dataset: at most this many images per class and split (0: all).");
ABSL_FLAG(std::string, photos, "", "Comma-separated photographs, one class each.");
ABSL_FLAG(int, count, 100, "--photos: training images per class.");
ABSL_FLAG(int, val_count, 20, "--photos: validation images per class.");
ABSL_FLAG(std::string, size, "500x375", "--photos: WIDTHxHEIGHT of each image.");
ABSL_FLAG(int, quality, 90, "--photos: JPEG quality.");
ABSL_FLAG(uint64_t, seed, 1, "--photos: seed for the crops.");

namespace tessera {
namespace {

const char* const kFashionClasses[] = {"t-shirt", "trouser", "pullover", "dress", "coat",
                                       "sandal",  "shirt",   "sneaker",  "bag",   "ankle-boot"};

absl::Status WriteDataset(const std::string& name, const std::string& out, int per_class) {
  for (datasets::Split split : {datasets::Split::kTrain, datasets::Split::kTest}) {
    absl::StatusOr<datasets::ImageDataset> data =
        name == "fashion" ? datasets::LoadFashionMnist(datasets::DefaultFashionMnistDir(), split)
        : name == "mnist" ? datasets::LoadMnistDigits(datasets::DefaultMnistDigitsDir(), split)
                          : absl::InvalidArgumentError(absl::StrCat(
                                "--dataset must be mnist or fashion, got '", name, "'"));
    if (!data.ok()) return data.status();
    const std::string split_dir = out + (split == datasets::Split::kTrain ? "/train" : "/val");
    std::vector<int> written(data->num_classes, 0);
    for (int64_t i = 0; i < data->num_images; ++i) {
      const int label = data->labels[i];
      if (per_class > 0 && written[label] >= per_class) continue;
      const std::string class_dir = absl::StrCat(
          split_dir, "/", label, "_", name == "fashion" ? kFashionClasses[label] : "digit");
      if (written[label]++ == 0) std::filesystem::create_directories(class_dir);
      datasets::DecodedImage image;
      image.width = static_cast<int>(data->width);
      image.height = static_cast<int>(data->height);
      image.channels = static_cast<int>(data->channels);
      const float* pixels = data->images.data() + i * data->image_size();
      // Stored as x / 255 of the file's bytes: exact back to bytes (CHW and
      // HWC are the same for one channel).
      for (int64_t p = 0; p < data->image_size(); ++p) {
        image.pixels.push_back(static_cast<uint8_t>(std::lround(pixels[p] * 255)));
      }
      TS_ASSIGN_OR_RETURN(std::string png, datasets::EncodePng(image));
      TS_RETURN_IF_ERROR(
          datasets::WriteWholeFile(absl::StrFormat("%s/%05d.png", class_dir, i), png));
    }
    printf("%s: %lld images\n", split_dir.c_str(), static_cast<long long>(data->num_images));
  }
  return absl::OkStatus();
}

absl::Status WritePhotoCrops(const std::vector<std::string>& photos, const std::string& out,
                             int width, int height, int count, int val_count, int quality,
                             uint64_t seed) {
  // Resampled to bytes by asking the normalizing transform for x * 255.
  datasets::TransformConfig transform;
  transform.width = width;
  transform.height = height;
  transform.mean = {0};
  transform.std = {1 / 255.f};
  std::vector<float> planes(transform.output_size());
  for (size_t c = 0; c < photos.size(); ++c) {
    TS_ASSIGN_OR_RETURN(datasets::DecodedImage photo, datasets::ReadImageFile(photos[c], 3));
    const std::string stem = std::filesystem::path(photos[c]).stem().string();
    for (int i = 0; i < count + val_count; ++i) {
      const uint64_t sample_seed = datasets::SampleSeed(seed, static_cast<int64_t>(c), i);
      // A box of 25-100% of the photo's area with the output's aspect.
      datasets::CropBox box;
      {
        uint64_t state = sample_seed;
        auto uniform = [&state] {
          state = state * 6364136223846793005ULL + 1442695040888963407ULL;
          return static_cast<double>(state >> 11) * 0x1.0p-53;
        };
        const double aspect = static_cast<double>(width) / height * (0.9 + 0.2 * uniform());
        const double area = photo.width * photo.height * (0.25 + 0.75 * uniform());
        box.width = std::min<double>(photo.width, std::sqrt(area * aspect));
        box.height = std::min<double>(photo.height, box.width / aspect);
        box.x = uniform() * (photo.width - box.width);
        box.y = uniform() * (photo.height - box.height);
        box.flip = uniform() < 0.5;
        box.cut_out = true;
      }
      datasets::ResampleNormalize(photo, box, transform, planes.data());
      datasets::DecodedImage image;
      image.width = width;
      image.height = height;
      image.channels = 3;
      image.pixels.resize(static_cast<size_t>(width) * height * 3);
      const size_t plane = static_cast<size_t>(width) * height;
      for (size_t p = 0; p < plane; ++p) {
        for (int ch = 0; ch < 3; ++ch) {
          image.pixels[p * 3 + ch] =
              static_cast<uint8_t>(std::clamp(std::lround(planes[ch * plane + p]), 0L, 255L));
        }
      }
      const bool train = i < count;
      const std::string dir = absl::StrCat(out, train ? "/train/" : "/val/", stem);
      if (i == 0 || i == count) std::filesystem::create_directories(dir);
      TS_ASSIGN_OR_RETURN(std::string jpeg, datasets::EncodeJpeg(image, quality));
      TS_RETURN_IF_ERROR(datasets::WriteWholeFile(absl::StrFormat("%s/%05d.jpg", dir, i), jpeg));
    }
    printf("%s: %d train + %d val images\n", stem.c_str(), count, val_count);
  }
  return absl::OkStatus();
}

absl::Status Run() {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) return absl::InvalidArgumentError("--out is required");
  const std::string dataset = absl::GetFlag(FLAGS_dataset);
  const std::string photos = absl::GetFlag(FLAGS_photos);
  if (dataset.empty() == photos.empty()) {
    return absl::InvalidArgumentError("give either --dataset or --photos");
  }
  if (!dataset.empty()) return WriteDataset(dataset, out, absl::GetFlag(FLAGS_per_class));
  std::vector<std::string> size = absl::StrSplit(absl::GetFlag(FLAGS_size), 'x');
  int width = 0, height = 0;
  if (size.size() != 2 || !absl::SimpleAtoi(size[0], &width) ||
      !absl::SimpleAtoi(size[1], &height) || width < 1 || height < 1) {
    return absl::InvalidArgumentError("--size must be WIDTHxHEIGHT, e.g. 500x375");
  }
  const int count = absl::GetFlag(FLAGS_count), val_count = absl::GetFlag(FLAGS_val_count);
  if (count < 1 || val_count < 0) {
    return absl::InvalidArgumentError("--count must be positive, --val_count not negative");
  }
  return WritePhotoCrops(absl::StrSplit(photos, ',', absl::SkipEmpty()), out, width, height, count,
                         val_count, absl::GetFlag(FLAGS_quality), absl::GetFlag(FLAGS_seed));
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("make_image_folder: writes an image-folder dataset.");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = tessera::Run();
  if (!status.ok()) {
    fprintf(stderr, "make_image_folder: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
