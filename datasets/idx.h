#ifndef TESSERA_DATASETS_IDX_H_
#define TESSERA_DATASETS_IDX_H_

// Readers for the IDX format used by MNIST and Fashion-MNIST
// (http://yann.lecun.com/exdb/mnist/): a big-endian header of two zero bytes,
// a type byte (0x08 = unsigned byte, the only type supported here), a
// dimension count, then one 32-bit big-endian size per dimension, then the
// data in row-major order.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/dataset.h"

namespace tessera::datasets {

// An n-dimensional unsigned-byte array as stored in an IDX file.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // product(dims) bytes, row-major
};

// Parses an uncompressed IDX file held in memory. `name_for_errors` (usually
// the path) is quoted in every error. Rejects a bad magic, a non-u8 type,
// truncated or oversized data. Safe on arbitrary input (a fuzzing target).
absl::StatusOr<IdxArray> ParseIdx(std::string_view bytes, std::string_view name_for_errors);

// Reads `path` (plain or gzip-compressed) and parses it with ParseIdx.
absl::StatusOr<IdxArray> ReadIdx(const std::string& path);

// Loads an image file (magic 0x00000803: N x H x W bytes) and its label file
// (magic 0x00000801: N bytes, each in [0, 10)). Pixels are scaled to [0, 1];
// the result has one channel and 10 classes.
absl::StatusOr<ImageDataset> LoadIdxPair(const std::string& images_path,
                                         const std::string& labels_path);

// Loads Fashion-MNIST from `dir`, which holds train-images-idx3-ubyte.gz,
// train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
// t10k-labels-idx1-ubyte.gz (60,000 train and 10,000 test 28x28 images).
absl::StatusOr<ImageDataset> LoadFashionMnist(const std::string& dir, Split split);

// $TESSERA_FASHION_MNIST_DIR if set, else "/usr/share/datasets/fashion-mnist"
// (where the Debian package dataset-fashion-mnist installs the files).
std::string DefaultFashionMnistDir();

}  // namespace tessera::datasets

#endif  // TESSERA_DATASETS_IDX_H_
