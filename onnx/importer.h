#ifndef TESSERA_ONNX_IMPORTER_H_
#define TESSERA_ONNX_IMPORTER_H_

// ONNX ModelProto -> Tessera GraphDef. Initializers become parameters with
// their values (initializer type "values"); BatchNormalization's running
// statistics become frozen parameters. Every ONNX op, attribute or input
// the importer cannot map exactly is an error naming the node, the op and
// what is missing: an imported model never runs differently from ONNX.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/graph.pb.h"
#include "onnx/onnx_pb.h"

namespace tessera::onnx_import {

// What Debian's libonnx 1.12 knows: IR version 8, default-domain opset 17.
inline constexpr int64_t kMaxIrVersion = 8;
inline constexpr int64_t kMaxOpset = 17;

// ONNX op types the importer maps (some only with some attributes), sorted.
std::vector<std::string> SupportedOnnxOps();

// `source` names the model in errors; `base_dir` is where external data
// files are (empty: external data is an error).
absl::StatusOr<GraphDef> ImportModel(const onnx::ModelProto& model, const std::string& source,
                                     const std::string& base_dir);
// Parses serialized bytes first (truncated or garbage input is an error).
absl::StatusOr<GraphDef> ImportModelBytes(const std::string& bytes, const std::string& source,
                                          const std::string& base_dir);
absl::StatusOr<GraphDef> ImportModelFile(const std::string& path);

// Reads a serialized ModelProto from a file, with errors naming it.
absl::StatusOr<onnx::ModelProto> ReadModelFile(const std::string& path);

}  // namespace tessera::onnx_import

#endif  // TESSERA_ONNX_IMPORTER_H_
