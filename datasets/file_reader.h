#ifndef TESSERA_DATASETS_FILE_READER_H_
#define TESSERA_DATASETS_FILE_READER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace tessera::datasets {

// Refuse to read more than this many (decompressed) bytes, so a corrupt or
// hostile gzip file cannot exhaust memory. The largest file we read today,
// Fashion-MNIST's train images, is 47 MB.
inline constexpr int64_t kMaxDatasetFileBytes = int64_t{256} << 20;

// Returns the whole contents of `path`. A gzip file (one starting with the
// 0x1f 0x8b magic) is decompressed; any other file is returned as is.
// A missing file gives NotFound naming the file followed by
// `missing_file_hint` (which should say how to install the data); a truncated
// or corrupt gzip stream gives DataLoss naming the file.
absl::StatusOr<std::string> ReadFileMaybeGzipped(const std::string& path,
                                                 std::string_view missing_file_hint);

}  // namespace tessera::datasets

#endif  // TESSERA_DATASETS_FILE_READER_H_
