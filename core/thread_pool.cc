#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <memory>

namespace tessera {

ThreadPool::ThreadPool(int num_threads) {
  const int workers = std::max(1, num_threads) - 1;
  for (int i = 0; i < workers; ++i) {
    workers_.emplace_back([this, i] { WorkerLoop(i); });
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& t : workers_) t.join();
}

namespace {

// Spins until done() or `microseconds` have passed; true if done.
template <typename Done>
bool SpinUntil(Done done, int microseconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(microseconds);
  for (int i = 0;; ++i) {
    if (done()) return true;
    // The clock costs ~20 ns: look at it every 64 polls.
    if ((i & 63) == 63 && std::chrono::steady_clock::now() >= deadline) return false;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

// Chunk c of `chunks` equal-as-possible pieces of [0, n).
inline void ChunkRange(int64_t n, int64_t chunks, int64_t c, int64_t* begin, int64_t* end) {
  const int64_t base = n / chunks, extra = n % chunks;
  *begin = c * base + std::min(c, extra);
  *end = *begin + base + (c < extra ? 1 : 0);
}
}  // namespace

void ThreadPool::ParallelFor(int64_t n, int64_t min_chunk,
                             const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  if (SmallChunksForTesting()) min_chunk = 1;
  const int64_t max_chunks = std::max<int64_t>(1, n / std::max<int64_t>(1, min_chunk));
  const int64_t chunks = std::min<int64_t>(num_threads(), max_chunks);
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (chunks == 1 || busy_) {
      lock.unlock();
      fn(0, n);
      return;
    }
    busy_ = true;
    job_ = &fn;
    job_n_ = n;
    job_chunks_ = chunks;
    pending_.store(static_cast<int>(chunks - 1), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  work_ready_.notify_all();
  int64_t begin, end;
  ChunkRange(n, chunks, 0, &begin, &end);
  fn(begin, end);
  auto all_done = [this] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!SpinUntil(all_done, kSpinMicroseconds)) {
    std::unique_lock<std::mutex> lock(mutex_);
    work_done_.wait(lock, all_done);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  job_ = nullptr;
  busy_ = false;
}

void ThreadPool::WorkerLoop(int worker_index) {
  int64_t seen_generation = 0;
  for (;;) {
    auto new_job = [&] { return generation_.load(std::memory_order_acquire) != seen_generation; };
    SpinUntil(new_job, kSpinMicroseconds);
    // The job is read under the mutex: a worker that takes no chunk of a
    // job may be slow enough to see the next one being written.
    std::unique_lock<std::mutex> lock(mutex_);
    work_ready_.wait(lock, [&] { return stop_ || new_job(); });
    if (stop_) return;
    seen_generation = generation_.load(std::memory_order_relaxed);
    const auto* job = job_;
    const int64_t n = job_n_, chunks = job_chunks_;
    lock.unlock();
    const int64_t chunk = worker_index + 1;
    if (chunk >= chunks) continue;
    int64_t begin, end;
    ChunkRange(n, chunks, chunk, &begin, &end);
    (*job)(begin, end);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Under the mutex, so that a caller about to sleep cannot miss it.
      std::lock_guard<std::mutex> lock(mutex_);
      work_done_.notify_one();
    }
  }
}

namespace {
std::atomic<bool> small_chunks_for_testing{false};

std::unique_ptr<ThreadPool>& PoolSlot() {
  static auto* slot = new std::unique_ptr<ThreadPool>();
  return *slot;
}
}  // namespace

ThreadPool& CpuThreadPool() {
  auto& slot = PoolSlot();
  if (!slot) {
    const unsigned cores = std::thread::hardware_concurrency();
    slot = std::make_unique<ThreadPool>(cores == 0 ? 1 : static_cast<int>(cores));
  }
  return *slot;
}

void SetSmallChunksForTesting(bool on) { small_chunks_for_testing.store(on); }
bool SmallChunksForTesting() { return small_chunks_for_testing.load(std::memory_order_relaxed); }

void SetNumCpuThreads(int num_threads) {
  PoolSlot() = std::make_unique<ThreadPool>(std::max(1, num_threads));
}

}  // namespace tessera
