#ifndef TESSERA_ONNX_EXPORTER_H_
#define TESSERA_ONNX_EXPORTER_H_

// Tessera graph + parameter values -> ONNX ModelProto (IR 8, opset 13):
// the inference graph that computes the graph's outputs, with the loss and
// inputs only the loss reads (labels, targets) dropped, dropout as
// inference Dropout and batch norm using its running statistics. The
// result passes onnx::checker. An op or attribute with no exact ONNX form
// is an error naming the node.

#include "absl/status/statusor.h"
#include "core/executor.h"
#include "core/graph.h"
#include "onnx/onnx_pb.h"

namespace tessera::onnx_export {

inline constexpr int64_t kExportOpset = 13;

absl::StatusOr<onnx::ModelProto> ExportModel(const Graph& graph, const ParameterStore& params);

// onnx::checker::check_model, its exception turned into a status.
absl::Status CheckModel(const onnx::ModelProto& model);

}  // namespace tessera::onnx_export

#endif  // TESSERA_ONNX_EXPORTER_H_
