#include "core/tensor.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/backend.h"

namespace tessera {

const char* DeviceName(Device device) {
  switch (device) {
    case Device::kCpu:
      return "cpu";
    case Device::kCuda:
      return "cuda";
  }
  return "unknown";
}

std::string ShapeToString(const Shape& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ","), "]");
}

namespace {
Backend& BackendOrDie(Device device) {
  Backend* backend = GetBackend(device);
  if (backend == nullptr) {
    fprintf(stderr, "tessera: device %s is not available in this process\n", DeviceName(device));
    abort();
  }
  return *backend;
}
}  // namespace

uint64_t NewBufferVersion() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

Buffer::Buffer(std::shared_ptr<Buffer> owner, size_t byte_offset, size_t bytes)
    : device_(owner->device()),
      data_(static_cast<char*>(owner->data()) + byte_offset),
      bytes_(bytes),
      owner_(std::move(owner)),
      version_(NewBufferVersion()) {
  if (byte_offset + bytes > owner_->bytes()) {
    fprintf(stderr, "tessera: a buffer of %zu bytes at offset %zu does not fit in %zu\n", bytes,
            byte_offset, owner_->bytes());
    abort();
  }
}

Buffer::~Buffer() {
  if (owner_ == nullptr && data_ != nullptr) BackendOrDie(device_).Deallocate(data_, bytes_);
}

Tensor Tensor::Empty(const Shape& shape, Device device) {
  for (int64_t d : shape) {
    if (d < 0) {
      fprintf(stderr, "tessera: negative dimension in shape %s\n", ShapeToString(shape).c_str());
      abort();
    }
  }
  const size_t bytes = static_cast<size_t>(NumElements(shape)) * sizeof(float);
  Backend& backend = BackendOrDie(device);
  // Zero-size tensors still get a distinct non-null buffer so that defined()
  // is true.
  void* data = backend.Allocate(bytes == 0 ? sizeof(float) : bytes);
  return Tensor(shape, std::make_shared<Buffer>(device, data, bytes == 0 ? sizeof(float) : bytes));
}

Tensor Tensor::OnBuffer(const Shape& shape, std::shared_ptr<Buffer> buffer) {
  if (static_cast<size_t>(NumElements(shape)) * sizeof(float) > buffer->bytes()) {
    fprintf(stderr, "tessera: a buffer of %zu bytes is too small for shape %s\n", buffer->bytes(),
            ShapeToString(shape).c_str());
    abort();
  }
  return Tensor(shape, std::move(buffer));
}

Tensor Tensor::Zeros(const Shape& shape, Device device) { return Filled(shape, 0.0f, device); }

Tensor Tensor::Filled(const Shape& shape, float value, Device device) {
  Tensor t = Empty(shape, device);
  BackendOrDie(device).Fill(t, value);
  return t;
}

Tensor Tensor::FromVector(const Shape& shape, const std::vector<float>& values) {
  if (static_cast<int64_t>(values.size()) != NumElements(shape)) {
    fprintf(stderr, "tessera: Tensor::FromVector got %zu values for shape %s\n", values.size(),
            ShapeToString(shape).c_str());
    abort();
  }
  Tensor t = Empty(shape, Device::kCpu);
  if (!values.empty()) std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::Reshaped(const Shape& shape) const {
  if (NumElements(shape) != num_elements()) {
    fprintf(stderr, "tessera: cannot reshape %s to %s\n", ShapeToString(shape_).c_str(),
            ShapeToString(shape).c_str());
    abort();
  }
  return Tensor(shape, buffer_);
}

void Tensor::CopyInto(Tensor& dst) const {
  if (dst.num_elements() != num_elements()) {
    fprintf(stderr, "tessera: CopyInto size mismatch %s -> %s\n", ShapeToString(shape_).c_str(),
            ShapeToString(dst.shape()).c_str());
    abort();
  }
  const size_t bytes = num_elements() * sizeof(float);
  if (bytes == 0) return;
  const Device from = device(), to = dst.device();
  if (from == to) {
    BackendOrDie(from).CopyWithin(data(), dst.data(), bytes);
  } else if (from == Device::kCpu) {
    BackendOrDie(to).CopyFromHost(data(), dst.data(), bytes);
  } else if (to == Device::kCpu) {
    BackendOrDie(from).CopyToHost(data(), dst.data(), bytes);
  } else {
    std::vector<float> host = ToVector();
    BackendOrDie(to).CopyFromHost(host.data(), dst.data(), bytes);
  }
}

Tensor Tensor::CopyTo(Device device) const {
  Tensor out = Empty(shape_, device);
  CopyInto(out);
  return out;
}

std::vector<float> Tensor::ToVector() const {
  std::vector<float> values(num_elements());
  if (values.empty()) return values;
  if (device() == Device::kCpu) {
    std::memcpy(values.data(), data(), values.size() * sizeof(float));
  } else {
    BackendOrDie(device()).CopyToHost(data(), values.data(), values.size() * sizeof(float));
  }
  return values;
}

std::string Tensor::DebugString(int max_values) const {
  if (!defined()) return "Tensor(undefined)";
  std::vector<float> values = ToVector();
  std::string s = absl::StrCat("Tensor(", DeviceName(device()), " ", ShapeToString(shape_), " {");
  for (int i = 0; i < static_cast<int>(values.size()) && i < max_values; ++i) {
    absl::StrAppend(&s, i ? ", " : "", values[i]);
  }
  if (static_cast<int>(values.size()) > max_values) absl::StrAppend(&s, ", ...");
  return absl::StrCat(s, "})");
}

void Tensor::NoStorage() const {
  std::fprintf(stderr,
               "tessera: reading the data of a tensor %s that has no storage (undefined, or a "
               "value the executor released: does the op's schema declare GradientReads "
               "correctly?)\n",
               ShapeToString(shape_).c_str());
  std::abort();
}

}  // namespace tessera
