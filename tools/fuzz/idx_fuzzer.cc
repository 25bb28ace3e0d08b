// libFuzzer target: the IDX parser (MNIST / Fashion-MNIST files).
// Raw bytes go to ParseIdx. Inputs that start with the gzip magic are also
// written to a scratch file and read back through ReadIdx, which covers the
// zlib path of ReadFileMaybeGzipped (truncated and corrupt streams).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "datasets/idx.h"

namespace {

const std::string& ScratchPath() {
  static const std::string* path = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ =
        std::string(tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp") + "/tessera_idx_fuzz_XXXXXX";
    const int fd = mkstemp(templ.data());
    if (fd < 0) {
      perror("idx_fuzzer: mkstemp");
      std::abort();
    }
    close(fd);
    auto* made = new std::string(templ);
    std::atexit([] { unlink(ScratchPath().c_str()); });
    return made;
  }();
  return *path;
}

void CheckArray(const tessera::datasets::IdxArray& array) {
  uint64_t n = 1;
  for (int64_t d : array.dims) n *= static_cast<uint64_t>(d);
  // ParseIdx promises product(dims) bytes of data.
  if (n != array.data.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tessera::datasets::IdxArray> parsed =
      tessera::datasets::ParseIdx(bytes, "fuzz.idx");
  if (parsed.ok()) CheckArray(*parsed);

  if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
    const std::string& path = ScratchPath();
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return 0;
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    absl::StatusOr<tessera::datasets::IdxArray> read = tessera::datasets::ReadIdx(path);
    if (read.ok()) CheckArray(*read);
  }
  return 0;
}
