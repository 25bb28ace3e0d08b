#ifndef TESSERA_CORE_GRAPH_H_
#define TESSERA_CORE_GRAPH_H_

// A validated, topologically ordered graph built from a GraphDef. Build
// rejects every user mistake with a message naming the node: unknown op,
// missing input, duplicate name, bad attribute, cycle, shape mismatch.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/graph.pb.h"
#include "core/op_registry.h"
#include "core/shape.h"

namespace tessera {

struct Node {
  std::string name;
  const OpSchema* schema = nullptr;
  Attrs attrs;
  std::vector<std::string> inputs;   // value names
  std::vector<std::string> outputs;  // "name", then "name:1", ...
};

// Value name of a node's k-th output.
std::string OutputName(const std::string& node, int k);

class Graph {
 public:
  // Validates `def` and infers every value's shape with a nominal batch size.
  static absl::StatusOr<Graph> Build(const GraphDef& def);
  static absl::StatusOr<Graph> FromText(const std::string& text, const std::string& source_name);
  static absl::StatusOr<Graph> FromTextFile(const std::string& path);

  const GraphDef& def() const { return def_; }
  const std::vector<Node>& nodes() const { return nodes_; }  // topological order
  const std::string& loss() const { return def_.loss(); }

  // Shapes of every value given the batch size that replaces the -1
  // dimensions of the declared inputs.
  absl::StatusOr<std::map<std::string, Shape>> InferShapes(int64_t batch_size) const;
  // The declared shape of a graph input with the batch size substituted.
  absl::StatusOr<Shape> InputShape(const std::string& name, int64_t batch_size) const;
  // The node producing `value`, or nullptr for inputs and parameters.
  const Node* Producer(const std::string& value) const;
  bool IsParameter(const std::string& value) const;
  bool IsInput(const std::string& value) const;

 private:
  GraphDef def_;
  std::vector<Node> nodes_;
  std::map<std::string, int> producer_;  // value name -> node index
};

// Parses a .pbtxt; errors name the file, line and column.
absl::StatusOr<GraphDef> ParseGraphText(const std::string& text, const std::string& source_name);
// Reads and parses a graph file (without building it: callers may edit it):
// a .pbtxt, or a file whose extension has a registered reader (".onnx", by
// //onnx:graph_reader). Relative npy initializer files are resolved against
// the file's directory.
absl::StatusOr<GraphDef> ReadGraphTextFile(const std::string& path);

// Reads a graph file of another format; registered once per extension
// (including the dot) from a static initializer of the library that links it.
using GraphFileReader = std::function<absl::StatusOr<GraphDef>(const std::string& path)>;
bool RegisterGraphFileReader(const std::string& extension, GraphFileReader reader);

}  // namespace tessera

#endif  // TESSERA_CORE_GRAPH_H_
