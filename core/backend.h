#ifndef TESSERA_CORE_BACKEND_H_
#define TESSERA_CORE_BACKEND_H_

#include <cstddef>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace tessera {

// What Backend::Allocate throws when the device has no memory left, or when
// the allocation would pass the backend's memory limit, after the backend
// freed its cached blocks and retried. Allocation happens deep inside kernels
// (Tensor::Empty); the executor catches this at the kernel call and returns
// ResourceExhausted naming the node, so it never ends the process.
class OutOfMemoryError : public std::bad_alloc {
 public:
  OutOfMemoryError(Device device, size_t bytes, size_t in_use, size_t limit);
  const char* what() const noexcept override { return message_.c_str(); }
  Device device() const { return device_; }
  size_t bytes() const { return bytes_; }

 private:
  Device device_;
  size_t bytes_;
  std::string message_;
};

// Memory a device can still give this process, and what said so.
struct AvailableMemory {
  double bytes = 0;
  std::string source;  // "MemAvailable", "the cgroup's memory.max", "free GPU memory", ...
};

// The limit from TESSERA_MEMORY_LIMIT_BYTES (bytes per device), 0 if unset.
size_t MemoryLimitFromEnvironment();
// `device` capped by the backend's memory limit (less what it holds).
AvailableMemory CapByLimit(AvailableMemory device, size_t limit, size_t held);
// 2.5e9 -> "2.50 GB", 1.8e7 -> "18.0 MB", 1536 -> "1.5 KB" (decimal units).
std::string HumanBytes(double bytes);

// How a backend keeps freed blocks for reuse (for the memory estimate):
// blocks of at least min_bytes, sizes rounded up to `alignment`, up to
// max_bytes in all, handed out again for the same rounded size only. Such
// blocks stay resident. Zero max_bytes: none kept, or none that count
// (released before an allocation can fail).
struct BlockCachePolicy {
  size_t alignment = 1;
  size_t min_bytes = 0;
  size_t max_bytes = 0;
  // Kept blocks are given back (oldest freed first) before a fresh
  // allocation would make the backend hold more than the most it has had in
  // use (live tensors, the cache not counted) since ResetPeakHeldBytes():
  // the cache then fills only the room below that high-water mark, and what
  // the backend holds peaks where its live tensors peak.
  bool within_peak_in_use = false;
  // Room the cache may keep above that high-water mark. Without it a model
  // whose live tensors peak low (the MLP: 12 MB) unmaps and maps its blocks
  // again every step: 8x slower steps, all in page faults and munmap.
  size_t slack_bytes = 0;
};

// One per device type: owns allocation, copies, synchronisation and the few
// vector primitives that the executor and optimizers need on every device.
// Op math lives in kernels, not here.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;

  // Throws OutOfMemoryError (above) when memory runs out or the limit
  // would be passed.
  virtual void* Allocate(size_t bytes) = 0;
  virtual void Deallocate(void* ptr, size_t bytes) = 0;
  // Bytes this backend may hold at once, its caches included (0: no limit
  // but the device's). Starts from TESSERA_MEMORY_LIMIT_BYTES; tests set it.
  size_t memory_limit() const { return memory_limit_; }
  void set_memory_limit(size_t bytes) { memory_limit_ = bytes; }
  // Bytes this backend holds now (live tensors and its cache).
  virtual size_t HeldBytes() = 0;
  // The most it held at once since the last ResetPeakHeldBytes().
  virtual size_t PeakHeldBytes() = 0;
  virtual void ResetPeakHeldBytes() = 0;
  // Frees the blocks kept for reuse.
  virtual void ReleaseCache() = 0;
  // What more it could allocate: the smallest of the device's free memory
  // (CPU: MemAvailable, and the cgroup limit less its usage where one is
  // set; CUDA: free device memory plus the cache) and the memory limit less
  // HeldBytes().
  virtual AvailableMemory Available() = 0;
  virtual BlockCachePolicy block_cache() const { return {}; }
  // Copies between this device and the host, or within this device.
  virtual void CopyToHost(const void* src, void* host_dst, size_t bytes) = 0;
  virtual void CopyFromHost(const void* host_src, void* dst, size_t bytes) = 0;
  virtual void CopyWithin(const void* src, void* dst, size_t bytes) = 0;
  // Waits for queued work on this device.
  virtual void Synchronize() = 0;

  // x <- value.
  virtual void Fill(Tensor& x, float value) = 0;
  // y <- y + alpha * x (same sizes).
  virtual void Axpy(float alpha, const Tensor& x, Tensor& y) = 0;
  // Sum of squares of x, and whether every element is finite.
  virtual double SumOfSquares(const Tensor& x) = 0;
  virtual bool AllFinite(const Tensor& x) = 0;

  // One SGD step: v <- momentum*v + (g + wd*w); w <- w - lr*v.
  virtual void SgdMomentumUpdate(Tensor& weights, const Tensor& grad, Tensor& velocity, float lr,
                                 float momentum, float weight_decay) = 0;
  // One Adam step (bias-corrected by the caller through lr_t):
  // g' = g + wd*w; m <- b1*m + (1-b1)g'; v <- b2*v + (1-b2)g'^2;
  // w <- w - lr_t * m / (sqrt(v) + eps).
  virtual void AdamUpdate(Tensor& weights, const Tensor& grad, Tensor& m, Tensor& v, float lr_t,
                          float beta1, float beta2, float eps, float weight_decay) = 0;

 private:
  size_t memory_limit_ = MemoryLimitFromEnvironment();
};

// The backend for a device, or nullptr when that device is not present (no
// CUDA build, or no GPU). Backends register themselves at start-up.
Backend* GetBackend(Device device);
// The devices present in this process, CPU first.
std::vector<Device> AvailableDevices();
// Called by a backend implementation from a static initializer.
void RegisterBackend(Device device, Backend* (*factory)());

}  // namespace tessera

#endif  // TESSERA_CORE_BACKEND_H_
