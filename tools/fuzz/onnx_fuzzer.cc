// libFuzzer target: the ONNX importer on arbitrary bytes (a ModelProto or
// garbage). Import must return a status, never crash or hang; an imported
// graph must then build (the importer checks shapes as Graph::Build does)
// and its parameters must be drawable.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/executor.h"
#include "core/graph.h"
#include "onnx/importer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tessera::GraphDef> def =
      tessera::onnx_import::ImportModelBytes(bytes, "fuzz.onnx", "");
  if (!def.ok()) return 0;
  absl::StatusOr<tessera::Graph> graph = tessera::Graph::Build(*def);
  if (!graph.ok()) return 0;
  tessera::ParameterStore::Initialize(*graph, 0, tessera::Device::kCpu);
  return 0;
}
