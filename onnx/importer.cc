#include "onnx/importer.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/graph.h"
#include "core/op_registry.h"
#include "core/status_macros.h"
#include "onnx/import_context.h"

namespace tessera::onnx_import {

using onnx::NodeProto;

// ---- ImportContext ----

absl::Status ImportContext::NodeError(const NodeProto& node, const std::string& problem) const {
  const std::string name =
      node.name().empty() ? (node.output_size() ? node.output(0) : std::string()) : node.name();
  return absl::InvalidArgumentError(
      absl::StrCat(source_, ": node '", name, "' (", node.op_type(), "): ", problem));
}

bool ImportContext::HasInput(const NodeProto& node, int i) const {
  return i < node.input_size() && !node.input(i).empty();
}

const Value* ImportContext::Find(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

absl::StatusOr<const Value*> ImportContext::Input(const NodeProto& node, int i) const {
  if (!HasInput(node, i)) return NodeError(node, absl::StrCat("input ", i, " is missing"));
  const Value* v = Find(node.input(i));
  if (v == nullptr) {
    return NodeError(node, absl::StrCat("input '", node.input(i), "' is not defined"));
  }
  if (v->elem_type != onnx::TensorProto::FLOAT) {
    return NodeError(node,
                     absl::StrCat("input '", node.input(i), "' is ", DataTypeName(v->elem_type),
                                  " (Tessera holds it as float32 and allows it only as a "
                                  "graph output)"));
  }
  return v;
}

absl::StatusOr<std::shared_ptr<const OnnxTensor>> ImportContext::ConstantInput(
    const NodeProto& node, int i, const std::string& what) const {
  TS_ASSIGN_OR_RETURN(const Value* v, Input(node, i));
  if (!v->constant) {
    return NodeError(node, absl::StrCat(what, " (input '", node.input(i),
                                        "') must be a constant (an initializer or Constant)"));
  }
  return v->constant;
}

absl::StatusOr<std::string> ImportContext::TensorInput(const NodeProto& node, int i, bool frozen) {
  TS_ASSIGN_OR_RETURN(const Value* v, Input(node, i));
  if (!v->tessera.empty()) return v->tessera;
  const std::string& name = node.input(i);
  auto it = materialized_.find(name);
  if (it != materialized_.end()) return it->second;
  const OnnxTensor& c = *v->constant;
  if (!c.is_float) {
    return NodeError(node, absl::StrCat("input '", name,
                                        "' is an integer tensor; Tessera "
                                        "computes in float32 only"));
  }
  const bool is_frozen = frozen || !v->from_initializer;
  const std::string param = AddParameter(name, c.dims, c.floats, is_frozen, c.dims.size() > 1);
  materialized_[name] = param;
  return param;
}

bool ImportContext::OutputUsed(const NodeProto& node, int k) const {
  if (k >= node.output_size() || node.output(k).empty()) return false;
  const std::string& name = node.output(k);
  return consumers_.count(name) > 0 || graph_outputs_.count(name) > 0;
}

std::string ImportContext::UniqueName(const std::string& base) {
  std::string clean = base.empty() ? "value" : base;
  for (char& c : clean) {
    if (c == ':') c = '_';
  }
  std::string name = clean;
  for (int k = 1; !names_.insert(name).second; ++k) name = absl::StrCat(clean, "_", k);
  return name;
}

std::string ImportContext::AddParameter(const std::string& base, const Shape& shape,
                                        const std::vector<float>& values, bool frozen, bool decay) {
  ParameterDef* p = graph_.add_parameter();
  p->set_name(UniqueName(base));
  for (int64_t d : shape) p->add_shape(d);
  p->mutable_init()->set_type("values");
  *p->mutable_init()->mutable_values() = {values.begin(), values.end()};
  if (frozen) p->set_frozen(true);
  if (!decay) p->set_weight_decay_scale(0);
  shapes_[p->name()] = shape;
  return p->name();
}

void ImportContext::SetUpdatedFrom(const std::string& parameter, const std::string& value) {
  for (ParameterDef& p : *graph_.mutable_parameter()) {
    if (p.name() == parameter && p.frozen() && p.updated_from().empty()) {
      p.set_updated_from(value);
    }
  }
}

std::string ImportContext::BaseName(const NodeProto& node) const {
  if (node.output_size() > 0 && !node.output(0).empty()) return node.output(0);
  return node.name().empty() ? node.op_type() : node.name();
}

absl::StatusOr<std::string> ImportContext::Emit(const NodeProto& node, const std::string& base,
                                                const std::string& op,
                                                const std::vector<std::string>& inputs,
                                                const std::map<std::string, AttrValue>& attrs) {
  const OpSchema* schema = OpRegistry::Global().Find(op);
  if (schema == nullptr) {
    return NodeError(node, absl::StrCat("Tessera op '", op, "' is not linked into this program"));
  }
  std::vector<Shape> in_shapes;
  for (const std::string& in : inputs) in_shapes.push_back(shapes_.at(in));
  absl::StatusOr<Attrs> resolved = schema->ResolveAttrs(attrs);
  if (!resolved.ok()) return NodeError(node, std::string(resolved.status().message()));
  absl::StatusOr<std::vector<Shape>> out = schema->InferShapes(in_shapes, *resolved);
  if (!out.ok()) {
    return NodeError(node, absl::StrCat("as Tessera ", op, ": ", out.status().message()));
  }
  NodeDef* nd = graph_.add_node();
  nd->set_name(UniqueName(base));
  nd->set_op(op);
  for (const std::string& in : inputs) nd->add_input(in);
  for (const auto& [key, value] : attrs) (*nd->mutable_attr())[key] = value;
  for (size_t k = 0; k < out->size(); ++k) shapes_[OutputName(nd->name(), k)] = (*out)[k];
  return nd->name();
}

void ImportContext::Define(const std::string& name, const std::string& tessera, int elem_type) {
  Value& v = values_[name];
  v.tessera = tessera;
  v.shape = shapes_.at(tessera);
  v.elem_type = elem_type;
}

void ImportContext::DefineConstant(const std::string& name,
                                   std::shared_ptr<const OnnxTensor> constant,
                                   bool from_initializer) {
  Value& v = values_[name];
  v.shape = constant->dims;
  v.constant = std::move(constant);
  v.from_initializer = from_initializer;
}

// ---- The graph walk ----

namespace {

absl::Status ModelError(const std::string& source, const std::string& problem) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", problem));
}

// The opset of the default domain; other domains are errors when used.
absl::StatusOr<int64_t> DefaultOpset(const onnx::ModelProto& model, const std::string& source) {
  if (model.ir_version() > kMaxIrVersion) {
    return ModelError(source,
                      absl::StrCat("IR version ", model.ir_version(),
                                   " is newer than the newest supported (", kMaxIrVersion, ")"));
  }
  int64_t opset = -1;
  for (const auto& entry : model.opset_import()) {
    if (entry.domain().empty() || entry.domain() == "ai.onnx") opset = entry.version();
  }
  if (opset < 0) {
    // IR 3 and older models may omit it; they mean opset 1.
    if (model.opset_import_size() == 0 && model.ir_version() <= 3) return 1;
    return ModelError(source, "imports no opset of the default ONNX domain");
  }
  if (opset > kMaxOpset) {
    return ModelError(source, absl::StrCat("opset ", opset, " is newer than the newest supported (",
                                           kMaxOpset, ")"));
  }
  if (opset < 1) return ModelError(source, absl::StrCat("opset ", opset, " is invalid"));
  return opset;
}

// The declared shape of a graph input or output; a symbolic first dimension
// is the batch (-1), any other symbolic dimension is an error.
absl::StatusOr<Shape> DeclaredShape(const onnx::ValueInfoProto& info, const std::string& source,
                                    const char* kind, int elem_type = onnx::TensorProto::FLOAT) {
  auto fail = [&](const std::string& problem) {
    return ModelError(source, absl::StrCat(kind, " '", info.name(), "': ", problem));
  };
  if (!info.type().has_tensor_type()) return fail("is not a tensor");
  const auto& tensor = info.type().tensor_type();
  if (tensor.elem_type() != elem_type) {
    if (elem_type != onnx::TensorProto::FLOAT) {
      return fail(absl::StrCat("has element type ", DataTypeName(tensor.elem_type()),
                               "; the value is ", DataTypeName(elem_type)));
    }
    return fail(absl::StrCat("has element type ", DataTypeName(tensor.elem_type()),
                             "; Tessera computes in float32 only"));
  }
  if (!tensor.has_shape()) return fail("has no shape");
  Shape shape;
  for (int i = 0; i < tensor.shape().dim_size(); ++i) {
    const auto& dim = tensor.shape().dim(i);
    if (dim.has_dim_value()) {
      if (dim.dim_value() <= 0 || dim.dim_value() > kMaxDimension) {
        return fail(absl::StrCat("dimension ", i, " is ", dim.dim_value()));
      }
      shape.push_back(dim.dim_value());
    } else if (i == 0) {
      shape.push_back(-1);
    } else {
      return fail(absl::StrCat("dimension ", i, " is symbolic ('", dim.dim_param(),
                               "'); only the first (batch) dimension may be"));
    }
  }
  return shape;
}

Shape Nominal(Shape shape) {
  for (int64_t& d : shape) {
    if (d == -1) d = kNominalBatch;
  }
  return shape;
}

// Node order: ONNX requires a topological order, but sorting costs little
// and gives clear errors for cycles and undefined names.
absl::StatusOr<std::vector<const NodeProto*>> SortNodes(const onnx::GraphProto& graph,
                                                        const std::set<std::string>& available,
                                                        const std::string& source) {
  std::map<std::string, int> producer;
  for (int i = 0; i < graph.node_size(); ++i) {
    for (const std::string& out : graph.node(i).output()) {
      if (out.empty()) continue;
      if (available.count(out) || !producer.emplace(out, i).second) {
        return ModelError(source, absl::StrCat("value '", out, "' is defined more than once"));
      }
    }
  }
  std::vector<int> pending(graph.node_size(), 0);
  std::map<std::string, std::vector<int>> users;
  for (int i = 0; i < graph.node_size(); ++i) {
    const NodeProto& node = graph.node(i);
    for (const std::string& in : node.input()) {
      if (in.empty() || available.count(in)) continue;
      if (!producer.count(in)) {
        return ModelError(
            source, absl::StrCat("node '", node.name(), "' (", node.op_type(), ") reads '", in,
                                 "', which no node, input or initializer defines"));
      }
      ++pending[i];
      users[in].push_back(i);
    }
  }
  std::vector<const NodeProto*> order;
  std::vector<int> ready;
  for (int i = graph.node_size() - 1; i >= 0; --i) {
    if (pending[i] == 0) ready.push_back(i);
  }
  while (!ready.empty()) {
    const int i = ready.back();
    ready.pop_back();
    order.push_back(&graph.node(i));
    for (const std::string& out : graph.node(i).output()) {
      for (int user : users[out]) {
        if (--pending[user] == 0) ready.push_back(user);
      }
    }
  }
  if (order.size() != static_cast<size_t>(graph.node_size())) {
    std::vector<std::string> stuck;
    for (int i = 0; i < graph.node_size() && stuck.size() < 5; ++i) {
      if (pending[i] > 0) {
        stuck.push_back(graph.node(i).name().empty() ? graph.node(i).output(0)
                                                     : graph.node(i).name());
      }
    }
    return ModelError(
        source, absl::StrCat("the graph has a cycle through nodes ", absl::StrJoin(stuck, ", ")));
  }
  return order;
}

}  // namespace

std::vector<std::string> SupportedOnnxOps() {
  std::vector<std::string> ops;
  for (const auto& [op, import] : OpImports()) ops.push_back(op);
  return ops;
}

absl::StatusOr<GraphDef> ImportModel(const onnx::ModelProto& model, const std::string& source,
                                     const std::string& base_dir) {
  TS_ASSIGN_OR_RETURN(const int64_t opset, DefaultOpset(model, source));
  if (!model.has_graph()) return ModelError(source, "has no graph");
  const onnx::GraphProto& g = model.graph();
  ImportContext ctx(source, base_dir, opset);
  GraphDef& out = ctx.graph();
  out.set_name(g.name().empty() ? "onnx_model" : g.name());

  std::set<std::string> available;
  for (const onnx::TensorProto& init : g.initializer()) {
    if (init.name().empty()) return ModelError(source, "an initializer has no name");
    if (!available.insert(init.name()).second) {
      return ModelError(source, absl::StrCat("initializer '", init.name(), "' appears twice"));
    }
    absl::StatusOr<OnnxTensor> t = ReadTensor(init, base_dir);
    if (!t.ok()) {
      return absl::Status(t.status().code(),
                          absl::StrCat(source, ": initializer ", t.status().message()));
    }
    ctx.DefineConstant(init.name(), std::make_shared<OnnxTensor>(*std::move(t)), true);
  }
  if (g.sparse_initializer_size() > 0) {
    return ModelError(source, "sparse initializers are not supported");
  }
  for (const onnx::ValueInfoProto& input : g.input()) {
    if (available.count(input.name())) {
      // IR < 4 lists initializers as inputs too; their shapes must agree.
      const Value* v = ctx.Find(input.name());
      absl::StatusOr<Shape> declared = DeclaredShape(input, source, "input");
      if (declared.ok() && Nominal(*declared) != v->shape) {
        return ModelError(source, absl::StrCat("initializer '", input.name(), "' has shape ",
                                               ShapeToString(v->shape), ", its input declares ",
                                               ShapeToString(*declared)));
      }
      continue;
    }
    if (input.name().empty()) return ModelError(source, "a graph input has no name");
    TS_ASSIGN_OR_RETURN(Shape shape, DeclaredShape(input, source, "input"));
    InputDef* in = out.add_input();
    in->set_name(ctx.UniqueName(input.name()));
    for (int64_t d : shape) in->add_shape(d);
    ctx.SetShape(in->name(), Nominal(shape));
    ctx.Define(input.name(), in->name());
    available.insert(input.name());
  }

  std::map<std::string, int> consumers;
  for (const NodeProto& node : g.node()) {
    for (const std::string& in : node.input()) ++consumers[in];
  }
  std::set<std::string> graph_outputs;
  for (const auto& o : g.output()) graph_outputs.insert(o.name());
  ctx.SetConsumers(consumers, graph_outputs);

  TS_ASSIGN_OR_RETURN(std::vector<const NodeProto*> order, SortNodes(g, available, source));
  const auto& imports = OpImports();
  for (const NodeProto* node : order) {
    if (!node->domain().empty() && node->domain() != "ai.onnx") {
      return ctx.NodeError(*node, absl::StrCat("domain '", node->domain(), "' is not supported"));
    }
    auto it = imports.find(node->op_type());
    if (it == imports.end()) {
      return ctx.NodeError(*node, absl::StrCat("op type ", node->op_type(),
                                               " has no Tessera equivalent (supported: ",
                                               absl::StrJoin(SupportedOnnxOps(), ", "), ")"));
    }
    if (node->output_size() == 0 || node->output(0).empty()) {
      return ctx.NodeError(*node, "has no output");
    }
    for (const onnx::AttributeProto& attr : node->attribute()) {
      const auto& known = it->second.attributes;
      if (std::find(known.begin(), known.end(), attr.name()) == known.end()) {
        return ctx.NodeError(*node, absl::StrCat("attribute '", attr.name(), "' is not supported"));
      }
    }
    TS_RETURN_IF_ERROR(it->second.convert(*node, ctx));
  }

  for (const onnx::ValueInfoProto& output : g.output()) {
    const Value* v = ctx.Find(output.name());
    if (v == nullptr) {
      return ModelError(source, absl::StrCat("graph output '", output.name(), "' is not defined"));
    }
    std::string name = v->tessera;
    if (name.empty()) {
      return ModelError(source, absl::StrCat("graph output '", output.name(),
                                             "' is a constant; Tessera outputs are computed"));
    }
    if (output.type().has_tensor_type() && !output.type().tensor_type().has_shape() &&
        output.type().tensor_type().elem_type() != onnx::TensorProto::UNDEFINED &&
        output.type().tensor_type().elem_type() != v->elem_type) {
      return ModelError(source,
                        absl::StrCat("graph output '", output.name(), "' declares element type ",
                                     DataTypeName(output.type().tensor_type().elem_type()),
                                     "; the value is ", DataTypeName(v->elem_type)));
    }
    if (output.type().has_tensor_type() && output.type().tensor_type().has_shape()) {
      absl::StatusOr<Shape> declared = DeclaredShape(output, source, "output", v->elem_type);
      if (!declared.ok()) return declared.status();
      const Shape& actual = ctx.ShapeOf(name);
      bool matches = declared->size() == actual.size();
      for (size_t i = 0; matches && i < actual.size(); ++i) {
        matches = (*declared)[i] == -1 || (*declared)[i] == actual[i];
      }
      if (!matches) {
        return ModelError(source, absl::StrCat("graph output '", output.name(), "' declares shape ",
                                               ShapeToString(*declared), ", the graph computes ",
                                               ShapeToString(actual)));
      }
    }
    out.add_output(name);
  }
  return std::move(out);
}

absl::StatusOr<onnx::ModelProto> ReadModelFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open ONNX model ", path));
  std::stringstream bytes;
  bytes << file.rdbuf();
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes.str())) {
    return absl::InvalidArgumentError(
        absl::StrCat(path,
                     ": not a valid ONNX model (the protobuf does not parse; truncated or "
                     "not an .onnx file)"));
  }
  return model;
}

absl::StatusOr<GraphDef> ImportModelBytes(const std::string& bytes, const std::string& source,
                                          const std::string& base_dir) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(source,
                     ": not a valid ONNX model (the protobuf does not parse; truncated or "
                     "not an .onnx file)"));
  }
  return ImportModel(model, source, base_dir);
}

absl::StatusOr<GraphDef> ImportModelFile(const std::string& path) {
  TS_ASSIGN_OR_RETURN(onnx::ModelProto model, ReadModelFile(path));
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  return ImportModel(model, path, dir);
}

}  // namespace tessera::onnx_import
