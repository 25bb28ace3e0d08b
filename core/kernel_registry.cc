#include "core/kernel_registry.h"

#include "absl/strings/str_cat.h"

namespace tessera {

KernelRegistry& KernelRegistry::Global() {
  static auto* registry = new KernelRegistry();
  return *registry;
}

bool KernelRegistry::Register(const std::string& op, Device device, KernelDef kernel) {
  if (!kernel.forward || !kernel.gradient) {
    fprintf(stderr, "tessera: kernel for op '%s' on %s lacks a forward or gradient entry\n",
            op.c_str(), DeviceName(device));
    abort();
  }
  if (!kernels_.emplace(std::make_pair(op, device), std::move(kernel)).second) {
    fprintf(stderr, "tessera: kernel for op '%s' on %s registered twice\n", op.c_str(),
            DeviceName(device));
    abort();
  }
  return true;
}

absl::StatusOr<const KernelDef*> KernelRegistry::Find(const std::string& op, Device device) const {
  auto it = kernels_.find({op, device});
  if (it == kernels_.end()) {
    return absl::NotFoundError(
        absl::StrCat("no ", DeviceName(device), " kernel registered for op '", op, "'"));
  }
  return &it->second;
}

bool KernelRegistry::Has(const std::string& op, Device device) const {
  return kernels_.count({op, device}) > 0;
}

}  // namespace tessera
