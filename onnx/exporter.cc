#include "onnx/exporter.h"

#include <cmath>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "onnx/checker.h"
#include "onnx/onnx_tensor.h"

namespace tessera::onnx_export {
namespace {

using onnx::AttributeProto;
using onnx::NodeProto;
using onnx_import::FloatTensorProto;
using onnx_import::Int64TensorProto;

void SetInts(NodeProto& n, const std::string& name, const std::vector<int64_t>& v) {
  AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void SetInt(NodeProto& n, const std::string& name, int64_t v) {
  AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::INT);
  a->set_i(v);
}

void SetFloat(NodeProto& n, const std::string& name, float v) {
  AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::FLOAT);
  a->set_f(v);
}

void SetString(NodeProto& n, const std::string& name, const std::string& v) {
  AttributeProto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(AttributeProto::STRING);
  a->set_s(v);
}

// [h, w] symmetric padding as ONNX's [h_begin, w_begin, h_end, w_end].
std::vector<int64_t> Pads(const std::vector<int64_t>& p) { return {p[0], p[1], p[0], p[1]}; }

class Exporter {
 public:
  Exporter(const Graph& graph, const ParameterStore& params) : graph_(graph), params_(params) {}

  absl::StatusOr<onnx::ModelProto> Run() {
    TS_ASSIGN_OR_RETURN(shapes_, graph_.InferShapes(1));
    TS_ASSIGN_OR_RETURN(shapes2_, graph_.InferShapes(2));
    model_.set_ir_version(8);
    model_.set_producer_name("tessera");
    model_.set_model_version(1);
    auto* opset = model_.add_opset_import();
    opset->set_domain("");
    opset->set_version(kExportOpset);
    g_ = model_.mutable_graph();
    g_->set_name(graph_.def().name().empty() ? "tessera" : graph_.def().name());
    if (graph_.def().output_size() == 0) {
      return absl::InvalidArgumentError("the graph lists no outputs to export");
    }
    // What the outputs need, without the loss.
    std::set<std::string> needed(graph_.def().output().begin(), graph_.def().output().end());
    std::vector<const Node*> nodes;
    for (auto it = graph_.nodes().rbegin(); it != graph_.nodes().rend(); ++it) {
      bool used = false;
      for (const std::string& out : it->outputs) used |= needed.count(out) > 0;
      if (!used) continue;
      nodes.insert(nodes.begin(), &*it);
      needed.insert(it->inputs.begin(), it->inputs.end());
    }
    for (const InputDef& input : graph_.def().input()) {
      if (needed.count(input.name())) AddValueInfo(g_->add_input(), input.name());
    }
    for (const auto& [name, p] : params_.all()) {
      if (needed.count(name)) *g_->add_initializer() = FloatTensorProto(name, p.value);
    }
    graph_outputs_.insert(graph_.def().output().begin(), graph_.def().output().end());
    for (const Node* node : nodes) consumed_.insert(node->inputs.begin(), node->inputs.end());
    for (const Node* node : nodes) TS_RETURN_IF_ERROR(ExportNode(*node));
    for (const std::string& out : graph_.def().output()) AddValueInfo(g_->add_output(), out);
    return model_;
  }

 private:
  absl::Status NodeError(const Node& node, const std::string& problem) const {
    return absl::InvalidArgumentError(
        absl::StrCat("node '", node.name, "' (op ", node.schema->name(), "): ", problem));
  }

  // A dimension that changes with the batch size is the symbolic "batch".
  void AddValueInfo(onnx::ValueInfoProto* info, const std::string& name) {
    info->set_name(name);
    auto* tensor = info->mutable_type()->mutable_tensor_type();
    auto type = types_.find(name);
    tensor->set_elem_type(type == types_.end() ? onnx::TensorProto::FLOAT : type->second);
    auto* shape = tensor->mutable_shape();
    const Shape& one = shapes_.at(name);
    const Shape& two = shapes2_.at(name);
    for (size_t i = 0; i < one.size(); ++i) {
      if (one[i] != two[i]) {
        shape->add_dim()->set_dim_param("batch");
      } else {
        shape->add_dim()->set_dim_value(one[i]);
      }
    }
  }

  NodeProto& Add(const Node& node, const std::string& op_type, std::vector<std::string> inputs,
                 const std::string& output = "") {
    NodeProto* n = g_->add_node();
    n->set_name(output.empty() ? node.name : output);
    n->set_op_type(op_type);
    for (const std::string& in : inputs) n->add_input(in);
    n->add_output(output.empty() ? node.outputs[0] : output);
    return *n;
  }

  // Output 1 of maxpool2d (indices) or dropout (mask), when the graph
  // outputs it: ONNX's int64 Indices or bool mask, which no float op may
  // read. Returns whether it is exported.
  absl::StatusOr<bool> IntegerOutput(const Node& node, NodeProto& n, int elem_type) {
    const std::string& out = node.outputs[1];
    if (consumed_.count(out)) {
      return NodeError(node, absl::StrCat("output '", out, "' feeds another node; in ONNX it is ",
                                          onnx_import::DataTypeName(elem_type),
                                          ", which float ops cannot read"));
    }
    if (!graph_outputs_.count(out)) return false;
    n.add_output(out);
    types_[out] = elem_type;
    return true;
  }

  std::string Constant(const std::string& name, const std::vector<int64_t>& values) {
    *g_->add_initializer() = Int64TensorProto(name, values);
    return name;
  }

  std::string FloatConstant(const std::string& name, const Shape& shape,
                            const std::vector<float>& values) {
    *g_->add_initializer() = FloatTensorProto(name, Tensor::FromVector(shape, values));
    return name;
  }

  absl::Status ExportNode(const Node& node) {
    const std::string& op = node.schema->name();
    const Attrs& a = node.attrs;
    const std::vector<std::string>& in = node.inputs;
    const Shape& x = shapes_.at(in[0]);
    if (op == "conv2d" || op == "conv_transpose2d") {
      const Shape& w = shapes_.at(in[1]);
      NodeProto& n = Add(node, op == "conv2d" ? "Conv" : "ConvTranspose", in);
      SetInts(n, "kernel_shape", {w[2], w[3]});
      SetInts(n, "strides", a.GetInts("stride"));
      SetInts(n, "pads", Pads(a.GetInts("padding")));
      SetInts(n, "dilations", a.GetInts("dilation"));
      SetInt(n, "group", a.GetInt("groups"));
      if (op == "conv_transpose2d") SetInts(n, "output_padding", a.GetInts("output_padding"));
    } else if (op == "matmul") {
      SetInt(Add(node, "Gemm", in), "transB", 1);
    } else if (op == "relu" || op == "sigmoid" || op == "tanh") {
      Add(node, op == "relu" ? "Relu" : op == "sigmoid" ? "Sigmoid" : "Tanh", in);
    } else if (op == "leaky_relu") {
      SetFloat(Add(node, "LeakyRelu", in), "alpha", a.GetFloat("negative_slope"));
    } else if (op == "maxpool2d" || (op == "avgpool2d" && !a.GetBool("global"))) {
      const std::vector<int64_t> kernel = a.GetInts("kernel");
      std::vector<int64_t> stride = a.GetInts("stride");
      if (stride.empty()) stride = kernel;
      NodeProto& n = Add(node, op == "maxpool2d" ? "MaxPool" : "AveragePool", in);
      SetInts(n, "kernel_shape", kernel);
      SetInts(n, "strides", stride);
      SetInts(n, "pads", Pads(a.GetInts("padding")));
      SetInt(n, "ceil_mode", a.GetBool("ceil_mode"));
      if (op == "maxpool2d") SetInts(n, "dilations", a.GetInts("dilation"));
      if (op == "avgpool2d") SetInt(n, "count_include_pad", a.GetBool("count_include_pad"));
      if (op == "maxpool2d") {
        TS_ASSIGN_OR_RETURN(bool indices, IntegerOutput(node, n, onnx::TensorProto::INT64));
        const std::string layout = a.GetString("indices");
        if (indices && layout == "plane") {
          return NodeError(node,
                           "indices \"plane\" (per-plane, PyTorch's) has no ONNX form; ONNX's "
                           "Indices are \"flat\" or \"flat_column_major\"");
        }
        if (indices) SetInt(n, "storage_order", layout == "flat" ? 0 : 1);
      }
    } else if (op == "avgpool2d") {
      Add(node, "GlobalAveragePool", in);
    } else if (op == "adaptive_avgpool2d") {
      const std::vector<int64_t> out = a.GetInts("output_size");
      const int64_t h = x[2], w = x[3];
      if (h % out[0] == 0 && w % out[1] == 0) {
        NodeProto& n = Add(node, "AveragePool", in);
        SetInts(n, "kernel_shape", {h / out[0], w / out[1]});
        SetInts(n, "strides", {h / out[0], w / out[1]});
      } else if (out[0] % h == 0 && out[1] % w == 0) {
        // Every output bin covers one input element: nearest upsampling.
        const std::string scales =
            FloatConstant(node.name + "/scales", {4},
                          {1, 1, static_cast<float>(out[0] / h), static_cast<float>(out[1] / w)});
        NodeProto& n = Add(node, "Resize", {in[0], "", scales});
        SetString(n, "mode", "nearest");
        SetString(n, "coordinate_transformation_mode", "asymmetric");
        SetString(n, "nearest_mode", "floor");
      } else {
        return NodeError(node,
                         absl::StrCat("output_size ", out[0], "x", out[1], " from ", h, "x", w,
                                      " is neither a whole pooling nor a whole "
                                      "upsampling, which ONNX cannot express"));
      }
    } else if (op == "lrn") {
      NodeProto& n = Add(node, "LRN", in);
      SetInt(n, "size", a.GetInt("size"));
      SetFloat(n, "alpha", a.GetFloat("alpha"));
      SetFloat(n, "beta", a.GetFloat("beta"));
      SetFloat(n, "bias", a.GetFloat("k"));
    } else if (op == "dropout") {
      const std::string ratio = FloatConstant(node.name + "/ratio", {}, {a.GetFloat("rate")});
      std::vector<std::string> inputs = {in[0], ratio};
      if (a.GetBool("force_training")) {
        // training_mode: a bool scalar true.
        onnx::TensorProto* t = g_->add_initializer();
        t->set_name(node.name + "/training_mode");
        t->set_data_type(onnx::TensorProto::BOOL);
        t->add_int32_data(1);
        inputs.push_back(t->name());
      }
      NodeProto& n = Add(node, "Dropout", inputs);
      TS_RETURN_IF_ERROR(IntegerOutput(node, n, onnx::TensorProto::BOOL).status());
    } else if (op == "flatten") {
      const int64_t axis = a.GetInt("axis");
      if (axis == 1) {
        SetInt(Add(node, "Flatten", in), "axis", 1);
      } else {
        std::vector<int64_t> shape(axis, 0);
        shape.push_back(-1);
        Add(node, "Reshape", {in[0], Constant(node.name + "/shape", shape)});
      }
    } else if (op == "reshape") {
      Add(node, "Reshape", {in[0], Constant(node.name + "/shape", a.GetInts("shape"))});
    } else if (op == "softmax") {
      SetInt(Add(node, "Softmax", in), "axis", a.GetInt("axis"));
    } else if (op == "batch_norm2d") {
      if (a.GetBool("force_training")) {
        return NodeError(node,
                         "force_training is ONNX's training_mode, an attribute of opset 14; the "
                         "exporter writes opset 13");
      }
      NodeProto& n = Add(node, "BatchNormalization", in);
      SetFloat(n, "epsilon", a.GetFloat("epsilon"));
      SetFloat(n, "momentum", 1.0f - a.GetFloat("momentum"));
    } else if (op == "concat") {
      SetInt(Add(node, "Concat", in), "axis", a.GetInt("axis"));
    } else if (op == "add" || op == "mul") {
      Add(node, op == "add" ? "Add" : "Mul", in);
    } else if (op == "bias_add") {
      // bias [C] broadcast over [N, C, ...]: as [C, 1, ..., 1].
      Shape shape = {x[1]};
      shape.resize(x.size() - 1, 1);
      std::string bias = in[1];
      if (shape.size() > 1) {
        auto p = params_.all().find(in[1]);
        if (p != params_.all().end()) {
          bias = FloatConstant(in[1] + "/broadcast", shape, p->second.value.ToVector());
        } else {
          std::vector<int64_t> dims(shape.begin(), shape.end());
          bias = node.name + "/bias";
          Add(node, "Reshape", {in[1], Constant(bias + "_shape", dims)}, bias);
        }
      }
      Add(node, "Add", {in[0], bias});
    } else if (op == "upsample2d") {
      const std::vector<int64_t> s = a.GetInts("scale");
      const std::string scales = FloatConstant(
          node.name + "/scales", {4}, {1, 1, static_cast<float>(s[0]), static_cast<float>(s[1])});
      NodeProto& n = Add(node, "Resize", {in[0], "", scales});
      if (a.GetString("mode") == "nearest") {
        SetString(n, "mode", "nearest");
        SetString(n, "coordinate_transformation_mode", "asymmetric");
        SetString(n, "nearest_mode", "floor");
      } else {
        SetString(n, "mode", "linear");
        SetString(n, "coordinate_transformation_mode",
                  a.GetBool("align_corners") ? "align_corners" : "half_pixel");
      }
    } else if (op == "resize2d") {
      // Resize (opset 13): roi (tf_crop_and_resize only) and scales inputs.
      const std::vector<float> scale = a.GetFloats("scale"), r = a.GetFloats("roi");
      const std::string transform = a.GetString("coordinate_transformation_mode");
      const std::string roi =
          transform == "tf_crop_and_resize"
              ? FloatConstant(node.name + "/roi", {8}, {0, 0, r[0], r[1], 1, 1, r[2], r[3]})
              : "";
      // ONNX Resize's sizes include the batch, which Tessera leaves free:
      // export the scales. Without a given scale, size / in as a float
      // (coordinates within a float rounding of resize2d's double ratio).
      std::vector<float> scales = scale;
      if (scales.empty()) {
        const std::vector<int64_t> size = a.GetInts("size");
        for (int k = 0; k < 2; ++k) {
          // The nearest float can fall short of size / in: round it up.
          float f = static_cast<float>(static_cast<double>(size[k]) / x[2 + k]);
          while (static_cast<int64_t>(std::floor(static_cast<double>(f) * x[2 + k])) < size[k]) {
            f = std::nextafter(f, std::numeric_limits<float>::infinity());
          }
          scales.push_back(f);
        }
      }
      std::vector<std::string> inputs = {
          in[0], roi, FloatConstant(node.name + "/scales", {4}, {1, 1, scales[0], scales[1]})};
      NodeProto& n = Add(node, "Resize", inputs);
      SetString(n, "mode", a.GetString("mode"));
      SetString(n, "coordinate_transformation_mode", transform);
      SetString(n, "nearest_mode", a.GetString("nearest_mode"));
      SetFloat(n, "cubic_coeff_a", a.GetFloat("cubic_coeff_a"));
      SetInt(n, "exclude_outside", a.GetBool("exclude_outside"));
      SetFloat(n, "extrapolation_value", a.GetFloat("extrapolation_value"));
    } else if (op == "transpose") {
      SetInts(Add(node, "Transpose", in), "perm", a.GetInts("perm"));
    } else if (op == "pad2d") {
      // [top, left, bottom, right] as Pad's begins then ends of N, C, H, W.
      const std::vector<int64_t> p = a.GetInts("pads");
      const std::string pads = Constant(node.name + "/pads", {0, 0, p[0], p[1], 0, 0, p[2], p[3]});
      const std::string value = FloatConstant(node.name + "/value", {}, {a.GetFloat("value")});
      SetString(Add(node, "Pad", {in[0], pads, value}), "mode", a.GetString("mode"));
    } else {
      return NodeError(node, "has no ONNX export");
    }
    return absl::OkStatus();
  }

  const Graph& graph_;
  const ParameterStore& params_;
  std::map<std::string, Shape> shapes_, shapes2_;
  std::set<std::string> graph_outputs_, consumed_;  // of the exported nodes
  std::map<std::string, int> types_;                // graph outputs that are not FLOAT
  onnx::ModelProto model_;
  onnx::GraphProto* g_ = nullptr;
};

}  // namespace

absl::StatusOr<onnx::ModelProto> ExportModel(const Graph& graph, const ParameterStore& params) {
  return Exporter(graph, params).Run();
}

absl::Status CheckModel(const onnx::ModelProto& model) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("onnx::checker rejects the model: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace tessera::onnx_export
