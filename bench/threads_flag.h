#ifndef TESSERA_BENCH_THREADS_FLAG_H_
#define TESSERA_BENCH_THREADS_FLAG_H_

#include <cstdlib>
#include <cstring>

namespace tessera_bench {

// Takes --threads=N out of argv before benchmark::Initialize, which rejects
// flags it does not know. 2 by default: this project's machine has 2 cores,
// and every peer runs with 2 threads. Returns 0 for a value below 1.
inline int TakeThreadsFlag(int* argc, char** argv) {
  int threads = 2, kept = 1;
  for (int i = 1; i < *argc; ++i) {
    if (std::strncmp(argv[i], "--threads=", 10) == 0) {
      threads = std::atoi(argv[i] + 10);
    } else {
      argv[kept++] = argv[i];
    }
  }
  *argc = kept;
  return threads < 1 ? 0 : threads;
}

}  // namespace tessera_bench

#endif  // TESSERA_BENCH_THREADS_FLAG_H_
