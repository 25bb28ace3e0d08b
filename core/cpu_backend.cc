// The CPU backend: 64-byte aligned host memory and Highway vector loops
// (core/cpu_vector_math). Op kernels do their own threading with ParallelFor.
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <list>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/backend.h"
#include "core/cpu_vector_math.h"
#include "core/thread_pool.h"

namespace tessera {
namespace {

constexpr size_t kAlignment = 64;
// Below this many elements threading costs more than it saves.
constexpr int64_t kMinChunk = 1 << 15;

// The first number in `path` (a /proc or /sys file), or nullopt.
std::optional<double> ReadNumber(const char* path) {
  std::ifstream file(path);
  double value;
  if (file >> value) return value;
  return std::nullopt;
}

// MemAvailable, or less when a cgroup (v2, else v1) limits this process.
AvailableMemory HostAvailableMemory() {
  AvailableMemory available{0, "MemAvailable"};
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kib;
  std::string unit;
  while (meminfo >> key >> kib) {
    std::getline(meminfo, unit);
    if (key == "MemAvailable:") available.bytes = kib * 1024;
  }
  // ulimit -v: the address space left under RLIMIT_AS.
  rlimit address_space;
  if (getrlimit(RLIMIT_AS, &address_space) == 0 && address_space.rlim_cur != RLIM_INFINITY) {
    std::ifstream statm("/proc/self/statm");
    double pages = 0;
    if (statm >> pages) {
      const double left =
          std::max(0.0, double(address_space.rlim_cur) - pages * double(sysconf(_SC_PAGESIZE)));
      if (left < available.bytes) available = {left, "ulimit -v (RLIMIT_AS)"};
    }
  }
  struct CgroupFiles {
    const char* limit;
    const char* usage;
    const char* name;
  };
  for (const CgroupFiles& cg :
       {CgroupFiles{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current",
                    "the cgroup's memory.max"},
        CgroupFiles{"/sys/fs/cgroup/memory/memory.limit_in_bytes",
                    "/sys/fs/cgroup/memory/memory.usage_in_bytes",
                    "the cgroup's memory.limit_in_bytes"}}) {
    // "max" (no limit) does not parse; v1 says no limit with a huge number.
    const std::optional<double> limit = ReadNumber(cg.limit), usage = ReadNumber(cg.usage);
    if (!limit || !usage || *limit >= 1e18) continue;
    const double left = std::max(0.0, *limit - *usage);
    if (left < available.bytes) available = {left, cg.name};
    break;
  }
  return available;
}

class CpuBackend final : public Backend {
 public:
  Device device() const override { return Device::kCpu; }

  // A training step allocates the same set of buffer sizes every time;
  // keeping freed buffers of at least kCacheMinBytes for reuse spares the
  // page faults of fresh large allocations (for AlexNet's fc6, 150 MB per
  // gradient). The cache only fills the room below the most the step has had
  // in use (BlockCachePolicy::within_peak_in_use): on a miss, the oldest
  // freed blocks go back to the system first, so the process's resident
  // memory peaks where its live tensors do instead of adding the cache on
  // top (AlexNet-Fashion 224 at batch 64: hundreds of MB of freed blocks of
  // sizes the peak does not ask for). Blocks that size are mmap'ed: unmapping
  // gives the pages back at once, where free() might keep them in the heap.
  void* Allocate(size_t bytes) override {
    const size_t rounded = Round(bytes);
    if (rounded >= kCacheMinBytes) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      auto it = by_size_.find(rounded);
      if (it != by_size_.end() && !it->second.empty()) {
        auto block = it->second.back();
        it->second.pop_back();
        void* ptr = block->ptr;
        cached_.erase(block);
        cached_bytes_ -= rounded;
        NoteInUse(rounded);
        return ptr;
      }
      const size_t in_use = in_use_bytes_.load();
      const size_t high_water =
          std::max(peak_in_use_bytes_.load(), in_use + rounded) + kCacheSlackBytes;
      while (!cached_.empty() && in_use + cached_bytes_ + rounded > high_water) EvictOldest();
    }
    // Over the limit or out of memory: free the cache and try once more.
    void* ptr = WithinLimit(rounded) ? SystemAllocate(rounded) : nullptr;
    if (ptr == nullptr) {
      ReleaseCache();
      ptr = WithinLimit(rounded) ? SystemAllocate(rounded) : nullptr;
      if (ptr == nullptr) throw OutOfMemoryError(Device::kCpu, bytes, HeldBytes(), memory_limit());
    }
    NoteInUse(rounded);
    return ptr;
  }
  void Deallocate(void* ptr, size_t bytes) override {
    const size_t rounded = Round(bytes);
    in_use_bytes_ -= rounded;
    if (rounded >= kCacheMinBytes) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      if (cached_bytes_ + rounded <= kCacheMaxBytes) {
        cached_.push_back({rounded, ptr});
        by_size_[rounded].push_back(std::prev(cached_.end()));
        cached_bytes_ += rounded;
        return;
      }
    }
    SystemFree(ptr, rounded);
  }
  bool WithinLimit(size_t rounded) {
    return memory_limit() == 0 || HeldBytes() + rounded <= memory_limit();
  }
  size_t HeldBytes() override { return in_use_bytes_.load() + cached_bytes_.load(); }
  size_t PeakHeldBytes() override { return peak_held_bytes_.load(); }
  void ResetPeakHeldBytes() override {
    const size_t held = HeldBytes();
    peak_held_bytes_ = held;
    peak_in_use_bytes_ = in_use_bytes_.load();
  }
  // Freed blocks stay resident (the kernel's OOM killer counts them): the
  // estimate has to count them too.
  BlockCachePolicy block_cache() const override {
    return {kAlignment, kCacheMinBytes, kCacheMaxBytes, /*within_peak_in_use=*/true,
            kCacheSlackBytes};
  }
  AvailableMemory Available() override {
    return CapByLimit(HostAvailableMemory(), memory_limit(), HeldBytes());
  }
  void ReleaseCache() override {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    while (!cached_.empty()) EvictOldest();
    by_size_.clear();
  }
  void CopyToHost(const void* src, void* dst, size_t bytes) override {
    std::memcpy(dst, src, bytes);
  }
  void CopyFromHost(const void* src, void* dst, size_t bytes) override {
    std::memcpy(dst, src, bytes);
  }
  void CopyWithin(const void* src, void* dst, size_t bytes) override {
    std::memmove(dst, src, bytes);
  }
  void Synchronize() override {}

  void Fill(Tensor& x, float value) override {
    float* p = x.data();
    ParallelFor(x.num_elements(), kMinChunk,
                [&](int64_t b, int64_t e) { cpu_math::Fill(value, p + b, e - b); });
  }

  void Axpy(float alpha, const Tensor& x, Tensor& y) override {
    const float* xp = x.data();
    float* yp = y.data();
    ParallelFor(x.num_elements(), kMinChunk,
                [&](int64_t b, int64_t e) { cpu_math::Axpy(alpha, xp + b, yp + b, e - b); });
  }

  double SumOfSquares(const Tensor& x) override {
    const float* p = x.data();
    double sum = 0;
    for (int64_t i = 0; i < x.num_elements(); ++i) sum += double(p[i]) * p[i];
    return sum;
  }

  bool AllFinite(const Tensor& x) override {
    const float* p = x.data();
    for (int64_t i = 0; i < x.num_elements(); ++i) {
      if (!std::isfinite(p[i])) return false;
    }
    return true;
  }

  void SgdMomentumUpdate(Tensor& weights, const Tensor& grad, Tensor& velocity, float lr,
                         float momentum, float weight_decay) override {
    float* w = weights.data();
    const float* g = grad.data();
    float* v = velocity.data();
    ParallelFor(weights.num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
      cpu_math::SgdMomentum(lr, momentum, weight_decay, g + b, w + b, v + b, e - b);
    });
  }

  void AdamUpdate(Tensor& weights, const Tensor& grad, Tensor& m, Tensor& v, float lr_t,
                  float beta1, float beta2, float eps, float weight_decay) override {
    float* w = weights.data();
    const float* g = grad.data();
    float* mp = m.data();
    float* vp = v.data();
    ParallelFor(weights.num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
      cpu_math::Adam(lr_t, beta1, beta2, eps, weight_decay, g + b, w + b, mp + b, vp + b, e - b);
    });
  }

 private:
  static constexpr size_t kCacheMinBytes = 1 << 16;
  static constexpr size_t kCacheMaxBytes = size_t{2} << 30;
  // See BlockCachePolicy::slack_bytes: a small model keeps all its blocks;
  // AlexNet's peak grows by at most this much.
  static constexpr size_t kCacheSlackBytes = size_t{64} << 20;
  struct CachedBlock {
    size_t bytes;
    void* ptr;
  };

  static size_t Round(size_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }
  // Blocks of kHugePage or more start on a 2 MB boundary and ask for
  // transparent huge pages: a fresh block then faults in 2 MB at a time
  // instead of 4 KB (AlexNet-Fashion 224: 75k page faults in three steps
  // rather than 870k, and fewer TLB misses in the kernels). The tail short
  // of a whole huge page keeps small pages, so the block's resident size
  // stays its own.
  static constexpr size_t kHugePage = size_t{2} << 20;
  static size_t MapBytes(size_t rounded) {
    const size_t page = 4096;
    return (rounded + page - 1) / page * page;
  }
  static void* SystemAllocate(size_t rounded) {
    if (rounded < kCacheMinBytes) return std::aligned_alloc(kAlignment, rounded);
    const size_t span = MapBytes(rounded);
    const size_t slack = rounded >= kHugePage ? kHugePage : 0;
    char* raw = static_cast<char*>(
        mmap(nullptr, span + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    if (raw == MAP_FAILED) return nullptr;
    if (slack == 0) return raw;
    char* start = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(raw) + kHugePage - 1) &
                                          ~(kHugePage - 1));
    if (start > raw) munmap(raw, start - raw);
    if (raw + span + slack > start + span)
      munmap(start + span, raw + span + slack - (start + span));
    madvise(start, span, MADV_HUGEPAGE);  // a hint: without THP, small pages
    return start;
  }
  static void SystemFree(void* ptr, size_t rounded) {
    if (rounded < kCacheMinBytes) {
      std::free(ptr);
    } else {
      munmap(ptr, MapBytes(rounded));
    }
  }
  // A block handed out: the in-use high-water mark and the peak held.
  void NoteInUse(size_t rounded) {
    const size_t in_use = in_use_bytes_ += rounded;
    size_t peak = peak_in_use_bytes_.load();
    while (in_use > peak && !peak_in_use_bytes_.compare_exchange_weak(peak, in_use)) {
    }
    const size_t held = in_use + cached_bytes_.load();
    peak = peak_held_bytes_.load();
    while (held > peak && !peak_held_bytes_.compare_exchange_weak(peak, held)) {
    }
  }
  // Gives the oldest freed block back to the system. Needs cache_mutex_.
  void EvictOldest() {
    const CachedBlock block = cached_.front();
    std::vector<std::list<CachedBlock>::iterator>& same = by_size_[block.bytes];
    same.erase(std::find(same.begin(), same.end(), cached_.begin()));
    cached_.pop_front();
    cached_bytes_ -= block.bytes;
    SystemFree(block.ptr, block.bytes);
  }

  std::mutex cache_mutex_;
  // Freed blocks, oldest first, and by size (most recently freed last).
  std::list<CachedBlock> cached_;
  std::unordered_map<size_t, std::vector<std::list<CachedBlock>::iterator>> by_size_;
  std::atomic<size_t> cached_bytes_{0};  // written under cache_mutex_
  // Blocks handed out and not yet freed (the cache not included).
  std::atomic<size_t> in_use_bytes_{0};
  std::atomic<size_t> peak_in_use_bytes_{0};
  // The most held at once, the cache included.
  std::atomic<size_t> peak_held_bytes_{0};
};

Backend* MakeCpuBackend() {
  static auto* backend = new CpuBackend();
  return backend;
}

const bool kRegistered = [] {
  RegisterBackend(Device::kCpu, &MakeCpuBackend);
  return true;
}();

}  // namespace
}  // namespace tessera
