#include "datasets/file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tessera::datasets {
namespace {

struct GzFileCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};
using GzFilePtr = std::unique_ptr<gzFile_s, GzFileCloser>;

absl::Status OpenError(const std::string& path, int error_number,
                       std::string_view missing_file_hint) {
  if (error_number == ENOENT) {
    return absl::NotFoundError(
        absl::StrCat("Dataset file not found: ", path, ". ", std::string(missing_file_hint)));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("Cannot open dataset file ", path, ": ", std::strerror(error_number)));
}

// zlib prefixes its messages with the name it was opened under, "<fd:N>" for
// gzdopen(); our messages name the path instead.
std::string WithoutFdPrefix(const char* zlib_message) {
  std::string message = zlib_message;
  if (message.rfind("<fd:", 0) == 0) {
    const size_t colon = message.find(": ");
    if (colon != std::string::npos) message.erase(0, colon + 2);
  }
  return message;
}

}  // namespace

absl::StatusOr<std::string> ReadFileMaybeGzipped(const std::string& path,
                                                 std::string_view missing_file_hint) {
  // open() + gzdopen() rather than gzopen() so that errno reliably tells a
  // missing file apart from other failures.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OpenError(path, errno, missing_file_hint);
  struct stat file_info;
  if (fstat(fd, &file_info) != 0 || !S_ISREG(file_info.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat("Dataset path is not a regular file: ", path));
  }
  // gzread() passes non-gzip files through unchanged (it checks the magic),
  // so one code path serves both plain and compressed files.
  GzFilePtr file(gzdopen(fd, "rb"));
  if (file == nullptr) {
    close(fd);
    return absl::ResourceExhaustedError(absl::StrCat("zlib could not open ", path));
  }
  constexpr unsigned kChunkBytes = 1 << 20;
  gzbuffer(file.get(), kChunkBytes);

  std::string contents;
  if (file_info.st_size > 0 && file_info.st_size <= kMaxDatasetFileBytes) {
    contents.reserve(static_cast<size_t>(file_info.st_size));
  }
  while (true) {
    const size_t old_size = contents.size();
    // Checked before growing, so a gzip bomb costs at most the limit.
    if (static_cast<int64_t>(old_size) >= kMaxDatasetFileBytes) {
      return absl::ResourceExhaustedError(absl::StrCat("Dataset file ", path, " is larger than ",
                                                       kMaxDatasetFileBytes,
                                                       " bytes (after decompression)"));
    }
    contents.resize(old_size + kChunkBytes);
    const int bytes_read = gzread(file.get(), contents.data() + old_size, kChunkBytes);
    contents.resize(old_size + (bytes_read > 0 ? bytes_read : 0));
    if (bytes_read <= 0) break;
    if (static_cast<int64_t>(contents.size()) > kMaxDatasetFileBytes) {
      return absl::ResourceExhaustedError(absl::StrCat("Dataset file ", path, " is larger than ",
                                                       kMaxDatasetFileBytes,
                                                       " bytes (after decompression)"));
    }
  }
  // gzread() reports a gzip stream cut short as end-of-file with a
  // Z_BUF_ERROR pending, so the error state must be checked explicitly.
  int zlib_error = Z_OK;
  const char* zlib_message = gzerror(file.get(), &zlib_error);
  if (zlib_error == Z_ERRNO) {
    return absl::DataLossError(absl::StrCat("Cannot read ", path, ": ", std::strerror(errno)));
  }
  if (zlib_error != Z_OK) {
    return absl::DataLossError(absl::StrCat("Cannot read ", path,
                                            ": gzip data is truncated or "
                                            "corrupt (zlib: ",
                                            WithoutFdPrefix(zlib_message), ")"));
  }
  return contents;
}

}  // namespace tessera::datasets
