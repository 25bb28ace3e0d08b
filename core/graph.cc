#include "core/graph.h"

#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/initializers.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace tessera {

std::string OutputName(const std::string& node, int k) {
  return k == 0 ? node : absl::StrCat(node, ":", k);
}

namespace {

class CollectErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first_.empty())
      first_ = absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

absl::Status NodeError(const NodeDef& node, const std::string& problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("node '", node.name(), "' (op ", node.op(), "): ", problem));
}

// Nominal batch size used to check shapes when the graph is built; chosen
// as 2 so that a graph that silently confuses batch and another dimension
// of size 1 is caught.
constexpr int64_t kNominalBatch = 2;

}  // namespace

absl::StatusOr<GraphDef> ParseGraphText(const std::string& text, const std::string& source_name) {
  GraphDef def;
  google::protobuf::TextFormat::Parser parser;
  CollectErrors errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(text, &def)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source_name, ": not a valid graph: ", errors.first()));
  }
  return def;
}

absl::StatusOr<Graph> Graph::FromText(const std::string& text, const std::string& source_name) {
  TS_ASSIGN_OR_RETURN(GraphDef def, ParseGraphText(text, source_name));
  absl::StatusOr<Graph> graph = Build(def);
  if (!graph.ok()) {
    return absl::Status(graph.status().code(),
                        absl::StrCat(source_name, ": ", graph.status().message()));
  }
  return graph;
}

absl::StatusOr<Graph> Graph::FromTextFile(const std::string& path) {
  TS_ASSIGN_OR_RETURN(GraphDef def, ReadGraphTextFile(path));
  absl::StatusOr<Graph> graph = Build(def);
  if (!graph.ok()) {
    return absl::Status(graph.status().code(), absl::StrCat(path, ": ", graph.status().message()));
  }
  return graph;
}

namespace {

std::map<std::string, GraphFileReader>& GraphFileReaders() {
  static auto* readers = new std::map<std::string, GraphFileReader>;
  return *readers;
}

std::string Extension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return path.substr(dot);
}

}  // namespace

bool RegisterGraphFileReader(const std::string& extension, GraphFileReader reader) {
  return GraphFileReaders().emplace(extension, std::move(reader)).second;
}

absl::StatusOr<GraphDef> ReadGraphTextFile(const std::string& path) {
  const std::string extension = Extension(path);
  GraphDef def;
  auto reader = GraphFileReaders().find(extension);
  if (reader != GraphFileReaders().end()) {
    TS_ASSIGN_OR_RETURN(def, reader->second(path));
  } else if (extension == ".onnx") {
    return absl::UnimplementedError(absl::StrCat(
        path, ": this program was built without the ONNX importer (link //onnx:graph_reader)"));
  } else {
    std::ifstream file(path);
    if (!file) return absl::NotFoundError(absl::StrCat("cannot open graph file ", path));
    std::stringstream text;
    text << file.rdbuf();
    TS_ASSIGN_OR_RETURN(def, ParseGraphText(text.str(), path));
  }
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  for (ParameterDef& param : *def.mutable_parameter()) {
    InitializerDef& init = *param.mutable_init();
    if (init.type() == "npy" && !init.file().empty() && init.file()[0] != '/') {
      init.set_file(dir + init.file());
    }
  }
  return def;
}

absl::StatusOr<Graph> Graph::Build(const GraphDef& def) {
  Graph graph;
  graph.def_ = def;
  const OpRegistry& registry = OpRegistry::Global();

  // Names of inputs and parameters, checked for clashes.
  std::set<std::string> sources;
  for (const auto& input : def.input()) {
    if (input.name().empty()) return absl::InvalidArgumentError("a graph input has no name");
    if (!sources.insert(input.name()).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate input name '", input.name(), "'"));
    }
    for (int64_t d : input.shape()) {
      if (d == 0 || d < -1) {
        return absl::InvalidArgumentError(absl::StrCat("input '", input.name(), "': dimension ", d,
                                                       " is invalid (use -1 for the batch)"));
      }
    }
  }
  for (const auto& param : def.parameter()) {
    if (param.name().empty()) return absl::InvalidArgumentError("a parameter has no name");
    if (!sources.insert(param.name()).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("duplicate input or parameter name '", param.name(), "'"));
    }
    TS_RETURN_IF_ERROR(ValidateParameter(param));
  }

  // Nodes: names, ops, attributes; producer table.
  std::vector<Node> unordered;
  std::map<std::string, int> producer;
  std::set<std::string> node_names;
  for (const NodeDef& nd : def.node()) {
    if (nd.name().empty()) {
      return absl::InvalidArgumentError(absl::StrCat("a node of op ", nd.op(), " has no name"));
    }
    if (nd.name().find(':') != std::string::npos) {
      return NodeError(nd, "node names may not contain ':'");
    }
    if (sources.count(nd.name()) || !node_names.insert(nd.name()).second) {
      return NodeError(nd, "duplicate name");
    }
    const OpSchema* schema = registry.Find(nd.op());
    if (schema == nullptr) {
      return NodeError(nd, absl::StrCat("unknown op '", nd.op(), "' (registered ops: ",
                                        absl::StrJoin(registry.Names(), ", "), ")"));
    }
    const int n = nd.input_size();
    if (n < schema->min_inputs() || n > schema->max_inputs()) {
      return NodeError(nd, absl::StrCat("takes ", schema->min_inputs(),
                                        schema->min_inputs() == schema->max_inputs()
                                            ? ""
                                            : absl::StrCat(" to ", schema->max_inputs()),
                                        " inputs, got ", n));
    }
    std::map<std::string, AttrValue> given(nd.attr().begin(), nd.attr().end());
    absl::StatusOr<Attrs> attrs = schema->ResolveAttrs(given);
    if (!attrs.ok()) return NodeError(nd, std::string(attrs.status().message()));
    Node node;
    node.name = nd.name();
    node.schema = schema;
    node.attrs = *std::move(attrs);
    node.inputs.assign(nd.input().begin(), nd.input().end());
    for (int k = 0; k < static_cast<int>(schema->outputs().size()); ++k) {
      node.outputs.push_back(OutputName(nd.name(), k));
      producer[node.outputs.back()] = static_cast<int>(unordered.size());
    }
    unordered.push_back(std::move(node));
  }

  // Every input must name something that exists.
  for (size_t i = 0; i < unordered.size(); ++i) {
    for (const std::string& in : unordered[i].inputs) {
      if (!sources.count(in) && !producer.count(in)) {
        return NodeError(
            def.node(i),
            absl::StrCat("input '", in, "' is not a graph input, parameter or node output"));
      }
    }
  }

  // Kahn's algorithm; whatever is left over sits on a cycle.
  const int n = static_cast<int>(unordered.size());
  std::vector<int> pending(n, 0);
  std::vector<std::vector<int>> consumers(n);
  for (int i = 0; i < n; ++i) {
    for (const std::string& in : unordered[i].inputs) {
      auto it = producer.find(in);
      if (it == producer.end()) continue;
      ++pending[i];
      consumers[it->second].push_back(i);
    }
  }
  std::vector<int> order, ready;
  for (int i = n - 1; i >= 0; --i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  while (!ready.empty()) {
    const int i = ready.back();
    ready.pop_back();
    order.push_back(i);
    for (int c : consumers[i]) {
      if (--pending[c] == 0) ready.push_back(c);
    }
  }
  if (static_cast<int>(order.size()) != n) {
    std::vector<std::string> stuck;
    for (int i = 0; i < n; ++i) {
      if (pending[i] > 0) stuck.push_back(unordered[i].name);
    }
    return absl::InvalidArgumentError(
        absl::StrCat("the graph has a cycle through nodes: ", absl::StrJoin(stuck, ", ")));
  }
  for (int i : order) {
    for (const std::string& out : unordered[i].outputs) {
      producer[out] = static_cast<int>(graph.nodes_.size());
    }
    graph.nodes_.push_back(std::move(unordered[i]));
  }
  graph.producer_ = std::move(producer);

  if (def.loss().empty() && def.output().empty()) {
    return absl::InvalidArgumentError("the graph names neither a loss nor an output");
  }
  for (const std::string& out : def.output()) {
    if (!graph.producer_.count(out) && !sources.count(out)) {
      return absl::InvalidArgumentError(
          absl::StrCat("output '", out, "' is not a value of the graph"));
    }
  }
  if (!def.loss().empty() && !graph.producer_.count(def.loss())) {
    return absl::InvalidArgumentError(
        absl::StrCat("loss '", def.loss(), "' is not the output of a node"));
  }

  TS_ASSIGN_OR_RETURN(auto shapes, graph.InferShapes(kNominalBatch));
  if (!def.loss().empty() && NumElements(shapes[def.loss()]) != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "loss '", def.loss(), "' must be a scalar, has shape ", ShapeToString(shapes[def.loss()])));
  }
  for (const auto& param : def.parameter()) {
    if (param.updated_from().empty()) continue;
    const std::string& from = param.updated_from();
    auto what = [&](const std::string& problem) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter '", param.name(), "' (updated_from: \"", from, "\"): ", problem));
    };
    if (!graph.producer_.count(from)) return what("that is not the output of a node");
    if (!param.frozen()) {
      return what("state updated by the forward must be frozen: true (no gradient, no optimizer)");
    }
    const Shape param_shape(param.shape().begin(), param.shape().end());
    if (shapes[from] != param_shape) {
      return what(absl::StrCat("the value has shape ", ShapeToString(shapes[from]),
                               ", the parameter ", ShapeToString(param_shape)));
    }
    for (const auto& other : def.parameter()) {
      if (&other != &param && other.updated_from() == from) {
        return what(absl::StrCat("parameter '", other.name(), "' is updated from it too"));
      }
    }
  }
  return graph;
}

absl::StatusOr<Shape> Graph::InputShape(const std::string& name, int64_t batch_size) const {
  for (const auto& input : def_.input()) {
    if (input.name() != name) continue;
    Shape shape(input.shape().begin(), input.shape().end());
    for (int64_t& d : shape) {
      if (d == -1) d = batch_size;
    }
    return shape;
  }
  return absl::NotFoundError(absl::StrCat("graph has no input named '", name, "'"));
}

namespace {
absl::Status CheckSize(const Shape& shape, const std::string& what) {
  if (CheckedNumElements(shape) < 0) {
    return absl::InvalidArgumentError(absl::StrCat(what, " has shape ", ShapeToString(shape),
                                                   ", beyond Tessera's limits (dimensions <= 2^31, "
                                                   "at most 2^40 elements)"));
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<std::map<std::string, Shape>> Graph::InferShapes(int64_t batch_size) const {
  std::map<std::string, Shape> shapes;
  for (const auto& input : def_.input()) {
    TS_ASSIGN_OR_RETURN(shapes[input.name()], InputShape(input.name(), batch_size));
    TS_RETURN_IF_ERROR(CheckSize(shapes[input.name()], absl::StrCat("input '", input.name(), "'")));
  }
  for (const auto& param : def_.parameter()) {
    shapes[param.name()] = Shape(param.shape().begin(), param.shape().end());
  }
  for (const Node& node : nodes_) {
    std::vector<Shape> in;
    for (const std::string& name : node.inputs) in.push_back(shapes.at(name));
    absl::StatusOr<std::vector<Shape>> out = node.schema->InferShapes(in, node.attrs);
    if (!out.ok()) {
      std::vector<std::string> described;
      for (size_t i = 0; i < in.size(); ++i) {
        described.push_back(absl::StrCat(node.inputs[i], " ", ShapeToString(in[i])));
      }
      return absl::InvalidArgumentError(absl::StrCat(
          "node '", node.name, "' (op ", node.schema->name(), "): ", out.status().message(),
          " [inputs: ", absl::StrJoin(described, ", "), "]"));
    }
    for (size_t k = 0; k < out->size(); ++k) {
      TS_RETURN_IF_ERROR(CheckSize((*out)[k], absl::StrCat("node '", node.name, "' output ", k)));
      shapes[node.outputs[k]] = (*out)[k];
    }
  }
  return shapes;
}

const Node* Graph::Producer(const std::string& value) const {
  auto it = producer_.find(value);
  return it == producer_.end() ? nullptr : &nodes_[it->second];
}

bool Graph::IsParameter(const std::string& value) const {
  for (const auto& p : def_.parameter()) {
    if (p.name() == value) return true;
  }
  return false;
}

bool Graph::IsInput(const std::string& value) const {
  for (const auto& p : def_.input()) {
    if (p.name() == value) return true;
  }
  return false;
}

}  // namespace tessera
