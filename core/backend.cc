#include "core/backend.h"

#include <array>
#include <mutex>

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
