#ifndef TESSERA_DATASETS_IMAGE_CODEC_H_
#define TESSERA_DATASETS_IMAGE_CODEC_H_

// JPEG (libjpeg-turbo) and PNG (libpng) decoding for image datasets, and the
// encoders tests and tools use to make such files.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace tessera::datasets {

// An 8-bit image, rows top to bottom, channels interleaved (1 grey, 3 RGB).
struct DecodedImage {
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;  // height * width * channels
};

// A decompression bomb guard: a header claiming more pixels than this
// (about 8,000 x 8,000) is refused before anything is allocated. ImageNet's
// largest photographs are far below it.
inline constexpr int64_t kMaxImagePixels = int64_t{64} << 20;

// Decodes a JPEG or PNG (recognised by its signature, not by a file name)
// to `channels` (1 or 3) 8-bit channels. Accepted: grey, RGB, palette, grey
// or RGB with alpha (alpha is dropped, as PIL's convert() does), 1- to
// 16-bit PNG (16 bits are cut to 8), YCbCr, grey, CMYK and YCCK JPEG.
// Colour becomes grey with ITU-R 601 weights, grey becomes colour by
// repetition. Errors (InvalidArgument for data that is not an image, a
// truncated or corrupt one, or one over kMaxImagePixels) say what is wrong;
// callers add the file name.
absl::StatusOr<DecodedImage> DecodeImage(std::string_view bytes, int channels);

// Converts 3 channels to 1 with PIL's convert("L") weights (ITU-R 601), or
// repeats 1 channel three times; no change if `channels` already match.
void ConvertChannels(DecodedImage& image, int channels);

// Reads and decodes `path`; errors name the file.
absl::StatusOr<DecodedImage> ReadImageFile(const std::string& path, int channels);

// Reads a whole file (at most kMaxImageFileBytes); errors name the file.
inline constexpr int64_t kMaxImageFileBytes = int64_t{256} << 20;
absl::StatusOr<std::string> ReadWholeFile(const std::string& path);

// Baseline JPEG of `image`: 1 (grey), 3 (RGB) or 4 channels, where 4 means
// CMYK stored inverted with an Adobe marker, as Photoshop writes it (and
// PIL reads it).
absl::StatusOr<std::string> EncodeJpeg(const DecodedImage& image, int quality);

// PNG of `samples` (rows top to bottom, interleaved, big-endian 16-bit
// samples for bit_depth 16, packed rows for depths below 8) with libpng's
// `color_type` (PNG_COLOR_TYPE_*), and `palette` (RGB triples) for
// PNG_COLOR_TYPE_PALETTE; `transparency` is written as a tRNS chunk.
struct PngSpec {
  int width = 0, height = 0, color_type = 0, bit_depth = 8;
  std::vector<uint8_t> samples;
  std::vector<uint8_t> palette;       // palette images: 3 bytes per entry
  std::vector<uint8_t> transparency;  // palette images: alpha per entry
};
absl::StatusOr<std::string> EncodePng(const PngSpec& spec);

// An 8-bit grey or RGB PNG of `image` (the common case of EncodePng).
absl::StatusOr<std::string> EncodePng(const DecodedImage& image);

absl::Status WriteWholeFile(const std::string& path, std::string_view bytes);

}  // namespace tessera::datasets

#endif  // TESSERA_DATASETS_IMAGE_CODEC_H_
