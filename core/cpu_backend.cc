// The CPU backend: 64-byte aligned host memory and plain vector loops that the
// compiler vectorises. Op kernels do their own threading with ParallelFor.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/backend.h"
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
  // gradient). Bounded by kCacheMaxBytes.
  void* Allocate(size_t bytes) override {
    const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    if (rounded >= kCacheMinBytes) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      auto it = cache_.find(rounded);
      if (it != cache_.end() && !it->second.empty()) {
        void* ptr = it->second.back();
        it->second.pop_back();
        cached_bytes_ -= rounded;
        return ptr;
      }
    }
    // Over the limit or out of memory: free the cache and try once more.
    void* ptr = WithinLimit(rounded) ? std::aligned_alloc(kAlignment, rounded) : nullptr;
    if (ptr == nullptr) {
      ReleaseCache();
      ptr = WithinLimit(rounded) ? std::aligned_alloc(kAlignment, rounded) : nullptr;
      if (ptr == nullptr)
        throw OutOfMemoryError(Device::kCpu, bytes, held_bytes_.load(), memory_limit());
    }
    const size_t held = held_bytes_ += rounded;
    size_t peak = peak_held_bytes_.load();
    while (held > peak && !peak_held_bytes_.compare_exchange_weak(peak, held)) {
    }
    return ptr;
  }
  void Deallocate(void* ptr, size_t bytes) override {
    const size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
    if (rounded >= kCacheMinBytes) {
      std::lock_guard<std::mutex> lock(cache_mutex_);
      if (cached_bytes_ + rounded <= kCacheMaxBytes) {
        cache_[rounded].push_back(ptr);
        cached_bytes_ += rounded;
        return;
      }
    }
    held_bytes_ -= rounded;
    std::free(ptr);
  }
  bool WithinLimit(size_t rounded) const {
    return memory_limit() == 0 || held_bytes_.load() + rounded <= memory_limit();
  }
  size_t HeldBytes() override { return held_bytes_.load(); }
  size_t PeakHeldBytes() override { return peak_held_bytes_.load(); }
  void ResetPeakHeldBytes() override { peak_held_bytes_ = held_bytes_.load(); }
  // Freed blocks stay resident (the kernel's OOM killer counts them): the
  // estimate has to count them too.
  BlockCachePolicy block_cache() const override {
    return {kAlignment, kCacheMinBytes, kCacheMaxBytes};
  }
  AvailableMemory Available() override {
    return CapByLimit(HostAvailableMemory(), memory_limit(), held_bytes_.load());
  }
  void ReleaseCache() override {
    std::lock_guard<std::mutex> lock(cache_mutex_);
    for (auto& [size, ptrs] : cache_) {
      for (void* p : ptrs) std::free(p);
      held_bytes_ -= size * ptrs.size();
    }
    cache_.clear();
    cached_bytes_ = 0;
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
    ParallelFor(x.num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = value;
    });
  }

  void Axpy(float alpha, const Tensor& x, Tensor& y) override {
    const float* xp = x.data();
    float* yp = y.data();
    ParallelFor(x.num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) yp[i] += alpha * xp[i];
    });
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
      for (int64_t i = b; i < e; ++i) {
        v[i] = momentum * v[i] + (g[i] + weight_decay * w[i]);
        w[i] -= lr * v[i];
      }
    });
  }

  void AdamUpdate(Tensor& weights, const Tensor& grad, Tensor& m, Tensor& v, float lr_t,
                  float beta1, float beta2, float eps, float weight_decay) override {
    float* w = weights.data();
    const float* g = grad.data();
    float* mp = m.data();
    float* vp = v.data();
    ParallelFor(weights.num_elements(), kMinChunk, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const float gi = g[i] + weight_decay * w[i];
        mp[i] = beta1 * mp[i] + (1 - beta1) * gi;
        vp[i] = beta2 * vp[i] + (1 - beta2) * gi * gi;
        w[i] -= lr_t * mp[i] / (std::sqrt(vp[i]) + eps);
      }
    });
  }

 private:
  static constexpr size_t kCacheMinBytes = 1 << 16;
  static constexpr size_t kCacheMaxBytes = size_t{2} << 30;
  std::mutex cache_mutex_;
  std::unordered_map<size_t, std::vector<void*>> cache_;
  size_t cached_bytes_ = 0;
  // Everything allocated and not freed, the cache included.
  std::atomic<size_t> held_bytes_{0};
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
