#include "datasets/idx.h"

#include <cstdlib>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "datasets/file_reader.h"

namespace tessera::datasets {
namespace {

constexpr uint8_t kUnsignedByteType = 0x08;
constexpr int kHeaderPrefixBytes = 4;  // two zero bytes, type, dim count
constexpr int kBytesPerDim = 4;
constexpr int kNumFashionMnistClasses = 10;

constexpr std::string_view kInstallHint =
    "Install it with `tools/setup.sh` or "
    "`apt-get install dataset-fashion-mnist`.";

uint32_t ReadBigEndian32(std::string_view bytes, size_t offset) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    value = (value << 8) | static_cast<uint8_t>(bytes[offset + i]);
  }
  return value;
}

// Checks that `array` has the dimension count that its magic number promises
// for this role (3 for images, 1 for labels).
absl::Status CheckDimCount(const IdxArray& array, size_t expected_dims, uint32_t expected_magic,
                           const std::string& path) {
  if (array.dims.size() == expected_dims) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrFormat("%s: expected magic 0x%08x (%d dimensions), got %d dimensions", path,
                      expected_magic, expected_dims, array.dims.size()));
}

}  // namespace

absl::StatusOr<IdxArray> ParseIdx(std::string_view bytes, std::string_view name_view) {
  // absl's string_view is its own type here, so StrCat needs a std::string.
  const std::string name_for_errors(name_view);
  if (bytes.size() < kHeaderPrefixBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(name_for_errors, ": truncated IDX header: expected at least ",
                     kHeaderPrefixBytes, " bytes, got ", bytes.size()));
  }
  const uint32_t magic = ReadBigEndian32(bytes, 0);
  const uint8_t type = static_cast<uint8_t>(bytes[2]);
  const int num_dims = static_cast<uint8_t>(bytes[3]);
  if (bytes[0] != 0 || bytes[1] != 0 || type != kUnsignedByteType || num_dims == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: bad IDX magic 0x%08x (expected 0x000008NN: unsigned bytes, "
                        "NN >= 1 dimensions)",
                        name_for_errors, magic));
  }
  const size_t header_bytes = kHeaderPrefixBytes + kBytesPerDim * num_dims;
  if (bytes.size() < header_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(name_for_errors,
                                                   ": truncated IDX header: expected ",
                                                   header_bytes, " bytes, got ", bytes.size()));
  }

  IdxArray array;
  // Sizes are up to 2^32 - 1 each, so the product is checked for overflow
  // before it is trusted; only then is memory allocated.
  uint64_t num_elements = 1;
  for (int i = 0; i < num_dims; ++i) {
    const uint32_t dim = ReadBigEndian32(bytes, kHeaderPrefixBytes + 4 * i);
    if (dim != 0 && num_elements > std::numeric_limits<int64_t>::max() / dim) {
      return absl::InvalidArgumentError(absl::StrCat(name_for_errors, ": IDX dimensions overflow"));
    }
    num_elements *= dim;
    array.dims.push_back(dim);
  }
  const uint64_t data_bytes = bytes.size() - header_bytes;
  if (data_bytes != num_elements) {
    return absl::InvalidArgumentError(
        absl::StrCat(name_for_errors, ": ", data_bytes < num_elements ? "truncated" : "oversized",
                     " IDX data: expected ", num_elements, " bytes, got ", data_bytes));
  }
  array.data.assign(bytes.begin() + header_bytes, bytes.end());
  return array;
}

absl::StatusOr<IdxArray> ReadIdx(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadFileMaybeGzipped(path, kInstallHint);
  if (!contents.ok()) return contents.status();
  return ParseIdx(*contents, path);
}

absl::StatusOr<ImageDataset> LoadIdxPair(const std::string& images_path,
                                         const std::string& labels_path) {
  absl::StatusOr<IdxArray> images = ReadIdx(images_path);
  if (!images.ok()) return images.status();
  if (absl::Status s = CheckDimCount(*images, 3, 0x00000803, images_path); !s.ok()) {
    return s;
  }
  absl::StatusOr<IdxArray> labels = ReadIdx(labels_path);
  if (!labels.ok()) return labels.status();
  if (absl::Status s = CheckDimCount(*labels, 1, 0x00000801, labels_path); !s.ok()) {
    return s;
  }

  const int64_t num_images = images->dims[0];
  if (labels->dims[0] != num_images) {
    return absl::InvalidArgumentError(absl::StrCat("Image/label count mismatch: ", images_path,
                                                   " has ", num_images, " images but ", labels_path,
                                                   " has ", labels->dims[0], " labels"));
  }
  if (images->dims[1] == 0 || images->dims[2] == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(images_path, ": empty images (", images->dims[1], "x", images->dims[2], ")"));
  }

  ImageDataset dataset;
  dataset.num_images = num_images;
  dataset.channels = 1;
  dataset.height = images->dims[1];
  dataset.width = images->dims[2];
  dataset.num_classes = kNumFashionMnistClasses;
  dataset.labels.reserve(num_images);
  for (int64_t i = 0; i < num_images; ++i) {
    const int label = labels->data[i];
    if (label >= kNumFashionMnistClasses) {
      return absl::InvalidArgumentError(absl::StrCat(labels_path, ": label ", label, " of item ", i,
                                                     " is outside [0, ", kNumFashionMnistClasses,
                                                     ")"));
    }
    dataset.labels.push_back(label);
  }
  dataset.images.reserve(images->data.size());
  for (uint8_t pixel : images->data) {
    dataset.images.push_back(pixel / 255.0f);
  }
  return dataset;
}

absl::StatusOr<ImageDataset> LoadFashionMnist(const std::string& dir, Split split) {
  const std::string prefix = split == Split::kTrain ? "train" : "t10k";
  return LoadIdxPair(absl::StrCat(dir, "/", prefix, "-images-idx3-ubyte.gz"),
                     absl::StrCat(dir, "/", prefix, "-labels-idx1-ubyte.gz"));
}

std::string DefaultFashionMnistDir() {
  const char* from_env = std::getenv("TESSERA_FASHION_MNIST_DIR");
  if (from_env != nullptr && from_env[0] != '\0') return from_env;
  return "/usr/share/datasets/fashion-mnist";
}

}  // namespace tessera::datasets
