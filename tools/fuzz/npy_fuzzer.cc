// libFuzzer target: the .npy parser. A parsed tensor must also survive a
// write / read round trip unchanged.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tessera::Tensor> tensor = tessera::ParseNpy(bytes, "fuzz.npy");
  if (!tensor.ok()) return 0;
  const std::string again = tessera::SerializeNpy(*tensor);
  absl::StatusOr<tessera::Tensor> back = tessera::ParseNpy(again, "roundtrip.npy");
  if (!back.ok()) __builtin_trap();  // we cannot read what we wrote
  if (back->shape() != tensor->shape()) __builtin_trap();
  const std::vector<float> a = tensor->ToVector();
  const std::vector<float> b = back->ToVector();
  if (a.size() != b.size() ||
      (!a.empty() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) != 0)) {
    __builtin_trap();  // bit-exact, NaN payloads included
  }
  return 0;
}
