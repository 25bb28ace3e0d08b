#ifndef TESSERA_DATASETS_TEST_UTIL_H_
#define TESSERA_DATASETS_TEST_UTIL_H_

// Helpers shared by the datasets tests: temp files and IDX byte strings.

#include <zlib.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tessera::datasets::testing_util {

// A fresh path under the test's temporary directory.
inline std::string TempPath(const std::string& name) { return ::testing::TempDir() + "/" + name; }

inline void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

inline void WriteGzipFile(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

inline void AppendBigEndian32(uint32_t value, std::string& out) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

// An unsigned-byte IDX file with the given dimensions and data (which is not
// checked against them, so tests can build truncated files).
inline std::string MakeIdx(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::string bytes = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (uint32_t dim : dims) AppendBigEndian32(dim, bytes);
  bytes.append(data.begin(), data.end());
  return bytes;
}

}  // namespace tessera::datasets::testing_util

#endif  // TESSERA_DATASETS_TEST_UTIL_H_
