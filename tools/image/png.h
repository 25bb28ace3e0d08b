#ifndef TESSERA_TOOLS_IMAGE_PNG_H_
#define TESSERA_TOOLS_IMAGE_PNG_H_

// Writing pictures: 8-bit grey or RGB PNG files through Debian's libpng.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace tessera {

// An 8-bit image, rows top to bottom, channels interleaved (1 = grey,
// 3 = RGB).
struct Image {
  int width = 0;
  int height = 0;
  int channels = 3;
  std::vector<uint8_t> pixels;  // height * width * channels

  Image() = default;
  Image(int width, int height, int channels, uint8_t fill = 0)
      : width(width),
        height(height),
        channels(channels),
        pixels(static_cast<size_t>(width) * height * channels, fill) {}
  uint8_t* at(int x, int y) {
    return pixels.data() + (static_cast<size_t>(y) * width + x) * channels;
  }
};

// Writes `image` to `path` (written to path.tmp, then renamed).
absl::Status WritePng(const std::string& path, const Image& image);

// Reads back a PNG written by WritePng (8-bit grey or RGB); for tests.
absl::Status ReadPng(const std::string& path, Image* image);

}  // namespace tessera

#endif  // TESSERA_TOOLS_IMAGE_PNG_H_
