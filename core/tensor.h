#ifndef TESSERA_CORE_TENSOR_H_
#define TESSERA_CORE_TENSOR_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/shape.h"

namespace tessera {

enum class Device { kCpu, kCuda };
const char* DeviceName(Device device);

// A number no other buffer state of this process has had or will have.
uint64_t NewBufferVersion();

// Device memory, freed by the backend that allocated it when the last tensor
// referring to it goes away. Its version changes whenever a writable pointer
// to it is handed out, so that a cache of something derived from the values
// (a packed weight) can tell that they may have changed.
class Buffer {
 public:
  Buffer(Device device, void* data, size_t bytes)
      : device_(device), data_(data), bytes_(bytes), version_(NewBufferVersion()) {}
  // `bytes` of `owner`'s memory from `byte_offset` on; frees nothing itself
  // and keeps `owner` alive (test harnesses put guard regions around it).
  Buffer(std::shared_ptr<Buffer> owner, size_t byte_offset, size_t bytes);
  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  Device device() const { return device_; }
  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  uint64_t version() const { return version_.load(std::memory_order_relaxed); }
  void BumpVersion() { version_.store(NewBufferVersion(), std::memory_order_relaxed); }

 private:
  Device device_;
  void* data_;
  size_t bytes_;
  std::shared_ptr<Buffer> owner_;
  std::atomic<uint64_t> version_;
};

// A dense float32 array in row-major (NCHW) order on one device. Copying a
// Tensor shares its buffer; Clone() copies the data. Nothing moves between
// devices unless CopyTo() is called.
class Tensor {
 public:
  Tensor() = default;

  // Uninitialised storage.
  static Tensor Empty(const Shape& shape, Device device = Device::kCpu);
  static Tensor Zeros(const Shape& shape, Device device = Device::kCpu);
  static Tensor Filled(const Shape& shape, float value, Device device = Device::kCpu);
  // A CPU tensor holding `values`; CHECK-fails if the size does not match.
  static Tensor FromVector(const Shape& shape, const std::vector<float>& values);
  // A tensor on `buffer`, which must hold at least its elements.
  static Tensor OnBuffer(const Shape& shape, std::shared_ptr<Buffer> buffer);

  // A shape without storage: what the executor leaves in place of a value it
  // released (a gradient kernel may read its shape, never its data).
  static Tensor ShapeOnly(const Shape& shape) { return Tensor(shape, nullptr); }

  bool defined() const { return buffer_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int64_t dim(int i) const { return shape_[i]; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t num_elements() const { return NumElements(shape_); }
  Device device() const { return buffer_ ? buffer_->device() : Device::kCpu; }

  // The writable pointer bumps the version: reach for it only to write.
  float* data() {
    Buffer* storage = Storage();
    storage->BumpVersion();
    return static_cast<float*>(storage->data());
  }
  const float* data() const { return static_cast<const float*>(Storage()->data()); }
  // Unique to the buffer's current values in this process: it changes on
  // every data() call that could write them (views share it).
  uint64_t version() const { return Storage()->version(); }

  // A view with another shape of the same size, sharing the buffer.
  Tensor Reshaped(const Shape& shape) const;
  // A deep copy on `device`.
  Tensor CopyTo(Device device) const;
  Tensor Clone() const { return CopyTo(device()); }
  // Copies into `dst`, which must have the same number of elements.
  void CopyInto(Tensor& dst) const;
  // The values, copied to the host.
  std::vector<float> ToVector() const;

  std::string DebugString(int max_values = 8) const;

 private:
  Tensor(Shape shape, std::shared_ptr<Buffer> buffer)
      : shape_(std::move(shape)), buffer_(std::move(buffer)) {}
  // Aborts with a message on a tensor without storage (a programmer error:
  // e.g. a gradient kernel reading a value its schema says it does not).
  Buffer* Storage() const {
    if (buffer_ == nullptr) NoStorage();
    return buffer_.get();
  }
  [[noreturn]] void NoStorage() const;

  Shape shape_;
  std::shared_ptr<Buffer> buffer_;
};

}  // namespace tessera

#endif  // TESSERA_CORE_TENSOR_H_
