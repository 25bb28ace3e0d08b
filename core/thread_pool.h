#ifndef TESSERA_CORE_THREAD_POOL_H_
#define TESSERA_CORE_THREAD_POOL_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tessera {

// A fixed pool of worker threads for data-parallel loops. The calling thread
// takes part, so a pool of N threads runs N-1 workers.
//
// A training step runs hundreds of short parallel loops back to back (every
// kernel, every optimizer update); waking a sleeping thread through a
// condition variable costs tens of microseconds on a VM, more than many of
// those loops take. So a worker that finishes spins for a short while
// (kSpinMicroseconds) watching for the next loop before it sleeps, and the
// caller spins likewise for the workers to finish: the active wait of
// OpenMP's default policy, bounded so that an idle pool does not burn a
// core.
class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) over disjoint chunks covering [0, n). The split
  // depends only on n, min_chunk and num_threads(), so a reduction that
  // combines chunk results in chunk order is bitwise reproducible for a fixed
  // thread count. Blocks until every chunk is done. Not reentrant: a nested
  // call runs serially on the calling thread.
  void ParallelFor(int64_t n, int64_t min_chunk, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void WorkerLoop(int worker_index);

  static constexpr int kSpinMicroseconds = 200;

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  // The job and its generation change together under mutex_; spinning
  // threads only poll the atomics.
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0;
  int64_t job_chunks_ = 0;
  std::atomic<int64_t> generation_{0};
  std::atomic<int> pending_{0};
  bool stop_ = false;  // under mutex_
  bool busy_ = false;  // under mutex_
};

// The process-wide pool that CPU kernels use. Sized to the machine's cores
// until SetNumCpuThreads() is called (before training starts).
ThreadPool& CpuThreadPool();
void SetNumCpuThreads(int num_threads);

// Tests only: while on, every ParallelFor treats min_chunk as 1 and kernels
// that batch work by size (conv2d's images per GEMM) use small chunks, so
// that the small conformance cases take the multi-chunk, multi-thread paths
// that otherwise run only at large sizes.
void SetSmallChunksForTesting(bool on);
bool SmallChunksForTesting();

// Shorthand for CpuThreadPool().ParallelFor(...).
inline void ParallelFor(int64_t n, int64_t min_chunk,
                        const std::function<void(int64_t, int64_t)>& fn) {
  CpuThreadPool().ParallelFor(n, min_chunk, fn);
}

}  // namespace tessera

#endif  // TESSERA_CORE_THREAD_POOL_H_
