#ifndef TESSERA_DATASETS_IMAGE_TEST_UTIL_H_
#define TESSERA_DATASETS_IMAGE_TEST_UTIL_H_

// Helpers for the image tests: synthetic pictures, folders of them, the
// packaged photographs, and running Debian's python3 (PIL, torchvision).

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "datasets/image_codec.h"
#include "gtest/gtest.h"

namespace tessera::datasets::testing_util {

// A smooth colour picture with some edges (so JPEG keeps it close), the
// same for the same (width, height, seed).
inline DecodedImage MakePicture(int width, int height, int channels, int seed) {
  DecodedImage image;
  image.width = width;
  image.height = height;
  image.channels = channels;
  image.pixels.resize(static_cast<size_t>(width) * height * channels);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        int v = (x * (1 + c) * 255 / width + y * (3 - c) * 255 / height) / 4 + seed % 7;
        if ((x / 8 + y / 8 + seed) % 5 == 0) v += 40;
        image.pixels[(static_cast<size_t>(y) * width + x) * channels + c] =
            static_cast<uint8_t>(std::min(v, 255));
      }
    }
  }
  return image;
}

// A fresh empty folder under the test's temporary directory.
inline std::string FreshDir(const std::string& name) {
  const std::string dir = ::testing::TempDir() + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline void WriteBytes(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  ASSERT_TRUE(WriteWholeFile(path, bytes).ok()) << path;
}

inline void WritePicture(const std::string& path, const DecodedImage& image) {
  const bool png = path.size() > 4 && path.substr(path.size() - 4) == ".png";
  absl::StatusOr<std::string> bytes = png ? EncodePng(image) : EncodeJpeg(image, 90);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  WriteBytes(path, *bytes);
}

// Runs a shell command; returns its standard output and sets *exit_code.
inline std::string RunCommand(const std::string& command, int* exit_code) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  if (pipe == nullptr) {
    *exit_code = -1;
    return out;
  }
  char buffer[65536];
  for (size_t n; (n = fread(buffer, 1, sizeof(buffer), pipe)) > 0;) out.append(buffer, n);
  const int status = pclose(pipe);
  *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// Packaged photographs (tools/setup.sh --tests installs them).
inline std::string SklearnPhoto(const std::string& name) {
  return "/usr/lib/python3/dist-packages/sklearn/datasets/images/" + name;
}
inline std::string SkimagePhoto(const std::string& name) {
  return "/usr/lib/python3/dist-packages/skimage/data/" + name;
}

}  // namespace tessera::datasets::testing_util

#endif  // TESSERA_DATASETS_IMAGE_TEST_UTIL_H_
