#ifndef TESSERA_ONNX_IMPORT_CONTEXT_H_
#define TESSERA_ONNX_IMPORT_CONTEXT_H_

// The importer's state while it walks an ONNX graph, shared by the graph
// walk (importer.cc) and the per-op converters (import_ops.cc).

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/graph.pb.h"
#include "core/shape.h"
#include "onnx/onnx_pb.h"
#include "onnx/onnx_tensor.h"

namespace tessera::onnx_import {

// Shapes are tracked with this batch size standing in for a symbolic first
// dimension (as Graph::Build does); ops only read the other dimensions.
inline constexpr int64_t kNominalBatch = 2;

// An ONNX value as the importer sees it.
struct Value {
  std::string tessera;  // Tessera value name; empty for a constant not yet used as a tensor
  Shape shape;          // with kNominalBatch for a symbolic batch
  std::shared_ptr<const OnnxTensor> constant;  // known values (initializer or Constant node)
  bool from_initializer = false;               // a weight: trainable when it becomes a parameter
  // The ONNX element type of a computed value. Tessera tensors are float32;
  // an INT64 (MaxPool Indices) or BOOL (Dropout mask) value holds exact
  // integers (0/1 for a mask) in one, and may only be a graph output: no
  // converter takes it as an input (Input refuses it).
  int elem_type = onnx::TensorProto::FLOAT;
};

class ImportContext {
 public:
  ImportContext(std::string source, std::string base_dir, int64_t opset)
      : source_(std::move(source)), base_dir_(std::move(base_dir)), opset_(opset) {}

  int64_t opset() const { return opset_; }
  const std::string& base_dir() const { return base_dir_; }
  GraphDef& graph() { return graph_; }

  // An error about `node`: "<model>: node 'n' (Conv): <problem>".
  absl::Status NodeError(const onnx::NodeProto& node, const std::string& problem) const;

  // Node inputs. An absent optional input is an empty name.
  bool HasInput(const onnx::NodeProto& node, int i) const;
  absl::StatusOr<const Value*> Input(const onnx::NodeProto& node, int i) const;
  // The input's values, which must be known at import time.
  absl::StatusOr<std::shared_ptr<const OnnxTensor>> ConstantInput(const onnx::NodeProto& node,
                                                                  int i,
                                                                  const std::string& what) const;
  // The input as a Tessera value; a constant becomes a parameter (frozen
  // when it came from a Constant node or `frozen` is set).
  absl::StatusOr<std::string> TensorInput(const onnx::NodeProto& node, int i, bool frozen = false);
  // Whether the node's k-th output is consumed anywhere or is a graph output.
  bool OutputUsed(const onnx::NodeProto& node, int k) const;

  // A new parameter holding `values`; returns its (unique) name.
  std::string AddParameter(const std::string& base, const Shape& shape,
                           const std::vector<float>& values, bool frozen, bool decay = true);
  // Makes `parameter` (if it is one, frozen and not yet state) graph state
  // that a training forward replaces with `value`.
  void SetUpdatedFrom(const std::string& parameter, const std::string& value);
  // Adds a Tessera node (its name made unique from `base`), infers its
  // output shapes and returns its first output's value name.
  absl::StatusOr<std::string> Emit(const onnx::NodeProto& node, const std::string& base,
                                   const std::string& op, const std::vector<std::string>& inputs,
                                   const std::map<std::string, AttrValue>& attrs);
  // A Tessera node name derived from the ONNX node's first output.
  std::string BaseName(const onnx::NodeProto& node) const;

  // Binds the ONNX value `name` to a Tessera value, or to a constant.
  void Define(const std::string& name, const std::string& tessera,
              int elem_type = onnx::TensorProto::FLOAT);
  void DefineConstant(const std::string& name, std::shared_ptr<const OnnxTensor> constant,
                      bool from_initializer);
  const Shape& ShapeOf(const std::string& tessera) const { return shapes_.at(tessera); }
  void SetShape(const std::string& tessera, const Shape& shape) { shapes_[tessera] = shape; }
  const Value* Find(const std::string& name) const;

  void SetConsumers(std::map<std::string, int> counts, std::set<std::string> graph_outputs) {
    consumers_ = std::move(counts);
    graph_outputs_ = std::move(graph_outputs);
  }
  std::string UniqueName(const std::string& base);

 private:
  std::string source_, base_dir_;
  int64_t opset_;
  GraphDef graph_;
  std::map<std::string, Value> values_;              // by ONNX name
  std::map<std::string, Shape> shapes_;              // by Tessera value name
  std::set<std::string> names_;                      // Tessera names taken
  std::map<std::string, std::string> materialized_;  // ONNX constant -> parameter
  std::map<std::string, int> consumers_;
  std::set<std::string> graph_outputs_;
};

// Converts one ONNX node; defines its outputs in `ctx`.
using OpConverter = std::function<absl::Status(const onnx::NodeProto&, ImportContext&)>;
struct OpImport {
  OpConverter convert;
  std::vector<std::string> attributes;  // every attribute the converter honours
};
// Keyed by ONNX op type (default domain).
const std::map<std::string, OpImport>& OpImports();

}  // namespace tessera::onnx_import

#endif  // TESSERA_ONNX_IMPORT_CONTEXT_H_
