#include "core/backend.h"

#include <array>
#include <cstdlib>
#include <mutex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tessera {
namespace {

struct BackendSlot {
  Backend* (*factory)() = nullptr;
  Backend* instance = nullptr;
  bool created = false;
};

std::array<BackendSlot, 2>& Slots() {
  static auto* slots = new std::array<BackendSlot, 2>();
  return *slots;
}

std::mutex& SlotsMutex() {
  static auto* mutex = new std::mutex();
  return *mutex;
}

}  // namespace

std::string HumanBytes(double bytes) {
  if (bytes >= 1e9) return absl::StrFormat("%.2f GB", bytes / 1e9);
  if (bytes >= 1e6) return absl::StrFormat("%.1f MB", bytes / 1e6);
  if (bytes >= 1e3) return absl::StrFormat("%.1f KB", bytes / 1e3);
  return absl::StrFormat("%.0f bytes", bytes);
}

size_t MemoryLimitFromEnvironment() {
  const char* text = std::getenv("TESSERA_MEMORY_LIMIT_BYTES");
  uint64_t limit = 0;
  if (text == nullptr || !absl::SimpleAtoi(text, &limit)) return 0;
  return static_cast<size_t>(limit);
}

AvailableMemory CapByLimit(AvailableMemory device, size_t limit, size_t held) {
  if (limit == 0) return device;
  const double left = limit > held ? double(limit - held) : 0.0;
  if (left < device.bytes) return {left, "TESSERA_MEMORY_LIMIT_BYTES"};
  return device;
}

OutOfMemoryError::OutOfMemoryError(Device device, size_t bytes, size_t in_use, size_t limit)
    : device_(device),
      bytes_(bytes),
      message_(absl::StrCat(
          "out of memory on ", DeviceName(device), ": cannot allocate ", HumanBytes(bytes), " (",
          bytes, " bytes) with ", HumanBytes(in_use), " in use",
          limit > 0 ? absl::StrCat(", limit ", HumanBytes(limit), " (TESSERA_MEMORY_LIMIT_BYTES)")
                    : std::string())) {}

void RegisterBackend(Device device, Backend* (*factory)()) {
  std::lock_guard<std::mutex> lock(SlotsMutex());
  Slots()[static_cast<int>(device)].factory = factory;
}

Backend* GetBackend(Device device) {
  std::lock_guard<std::mutex> lock(SlotsMutex());
  BackendSlot& slot = Slots()[static_cast<int>(device)];
  if (!slot.created) {
    slot.created = true;
    // A factory returns nullptr when its device is not usable (e.g. no GPU).
    if (slot.factory != nullptr) slot.instance = slot.factory();
  }
  return slot.instance;
}

std::vector<Device> AvailableDevices() {
  std::vector<Device> devices;
  for (Device d : {Device::kCpu, Device::kCuda}) {
    if (GetBackend(d) != nullptr) devices.push_back(d);
  }
  return devices;
}

}  // namespace tessera
