#ifndef TESSERA_CORE_FILE_SIZE_LIMIT_H_
#define TESSERA_CORE_FILE_SIZE_LIMIT_H_

// For tests of a full disk: while a FileSizeLimit lives, files this process
// writes cannot grow beyond `bytes`; a write past it fails with EFBIG
// (SIGXFSZ is ignored), as it would with ENOSPC on a full filesystem, with
// no filesystem to make or fill (tests run unprivileged in a sandbox).

#include <sys/resource.h>

#include <csignal>

namespace tessera {

class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    previous_signal_ = std::signal(SIGXFSZ, SIG_IGN);
    getrlimit(RLIMIT_FSIZE, &previous_);
    rlimit limit = previous_;
    limit.rlim_cur = bytes;
    setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &previous_);
    std::signal(SIGXFSZ, previous_signal_);
  }
  FileSizeLimit(const FileSizeLimit&) = delete;
  FileSizeLimit& operator=(const FileSizeLimit&) = delete;

 private:
  rlimit previous_;
  void (*previous_signal_)(int);
};

}  // namespace tessera

#endif  // TESSERA_CORE_FILE_SIZE_LIMIT_H_
