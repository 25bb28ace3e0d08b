// One converter per ONNX op type: ONNX node -> Tessera node(s). Each one
// checks every attribute value it cannot honour exactly and says so.

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/graph.h"
#include "core/op_registry.h"
#include "core/status_macros.h"
#include "onnx/import_context.h"

namespace tessera::onnx_import {
namespace {

using onnx::AttributeProto;
using onnx::NodeProto;

const AttributeProto* FindAttr(const NodeProto& node, const std::string& name) {
  for (const AttributeProto& a : node.attribute()) {
    if (a.name() == name) return &a;
  }
  return nullptr;
}

int64_t GetInt(const NodeProto& node, const std::string& name, int64_t fallback) {
  const AttributeProto* a = FindAttr(node, name);
  return a ? a->i() : fallback;
}

float GetFloat(const NodeProto& node, const std::string& name, float fallback) {
  const AttributeProto* a = FindAttr(node, name);
  return a ? a->f() : fallback;
}

std::string GetString(const NodeProto& node, const std::string& name, const std::string& fallback) {
  const AttributeProto* a = FindAttr(node, name);
  return a ? a->s() : fallback;
}

std::vector<int64_t> GetInts(const NodeProto& node, const std::string& name,
                             std::vector<int64_t> fallback) {
  const AttributeProto* a = FindAttr(node, name);
  if (a == nullptr) return fallback;
  return {a->ints().begin(), a->ints().end()};
}

std::string Str(const std::vector<int64_t>& v) {
  return absl::StrCat("[", absl::StrJoin(v, ","), "]");
}

absl::Status ExpectRank4(ImportContext& ctx, const NodeProto& node, const Value& x) {
  if (x.shape.size() != 4) {
    return ctx.NodeError(node, absl::StrCat("input ", ShapeToString(x.shape),
                                            " is not 4-D [N, C, H, W]; Tessera's op is 2-D only"));
  }
  return absl::OkStatus();
}

// A list attribute of one value per spatial axis (2), or the default.
absl::StatusOr<std::vector<int64_t>> Spatial(ImportContext& ctx, const NodeProto& node,
                                             const std::string& name, int64_t fallback) {
  std::vector<int64_t> v = GetInts(node, name, {fallback, fallback});
  if (v.size() != 2) {
    return ctx.NodeError(
        node, absl::StrCat("attribute ", name, " ", Str(v), " needs 2 values (2-D only)"));
  }
  for (int64_t x : v) {
    if (x < (name == "pads" || name == "output_padding" ? 0 : 1)) {
      return ctx.NodeError(node, absl::StrCat("attribute ", name, " ", Str(v), " is invalid"));
    }
  }
  return v;
}

// pads or auto_pad of a window op as [begin_h, begin_w, end_h, end_w].
absl::StatusOr<std::vector<int64_t>> WindowPads(ImportContext& ctx, const NodeProto& node,
                                                const Shape& x, const std::vector<int64_t>& window,
                                                const std::vector<int64_t>& stride) {
  const std::string auto_pad = GetString(node, "auto_pad", "NOTSET");
  std::vector<int64_t> pads = GetInts(node, "pads", {0, 0, 0, 0});
  if (auto_pad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    for (int i = 0; i < 2; ++i) {
      const int64_t in = x[2 + i];
      const int64_t out = (in + stride[i] - 1) / stride[i];
      const int64_t total = std::max<int64_t>(0, (out - 1) * stride[i] + window[i] - in);
      const int64_t small = total / 2, large = total - total / 2;
      pads[i] = auto_pad == "SAME_UPPER" ? small : large;
      pads[2 + i] = total - pads[i];
    }
  } else if (auto_pad != "NOTSET") {
    return ctx.NodeError(node, absl::StrCat("auto_pad '", auto_pad, "' is unknown"));
  }
  if (pads.size() != 4) {
    return ctx.NodeError(node, absl::StrCat("pads ", Str(pads), " needs 4 values (2-D only)"));
  }
  for (int64_t p : pads) {
    if (p < 0) return ctx.NodeError(node, absl::StrCat("pads ", Str(pads), " is negative"));
  }
  return pads;
}

absl::StatusOr<std::vector<int64_t>> SymmetricPads(ImportContext& ctx, const NodeProto& node,
                                                   const std::vector<int64_t>& pads) {
  if (pads[0] != pads[2] || pads[1] != pads[3]) {
    return ctx.NodeError(node,
                         absl::StrCat("asymmetric padding ", Str(pads),
                                      " (begin h, w, end h, w) is not supported: Tessera pads both "
                                      "sides of an axis equally"));
  }
  return std::vector<int64_t>{pads[0], pads[1]};
}

// x padded by pads [begin h, begin w, end h, end w] (Tessera's pad2d
// order [top, left, bottom, right]) with `value`.
absl::StatusOr<std::string> PadValue(const NodeProto& node, ImportContext& ctx,
                                     const std::string& x, const std::vector<int64_t>& pads,
                                     float value) {
  return ctx.Emit(node, ctx.BaseName(node) + "/pad", "pad2d", {x},
                  {{"pads", IntsAttr(pads)}, {"value", FloatAttr(value)}});
}

absl::Status Alias(const NodeProto& node, ImportContext& ctx, int input = 0) {
  TS_ASSIGN_OR_RETURN(std::string x, ctx.TensorInput(node, input));
  ctx.Define(node.output(0), x);
  return absl::OkStatus();
}

absl::Status EmitAs(const NodeProto& node, ImportContext& ctx, const std::string& op,
                    const std::vector<std::string>& inputs,
                    const std::map<std::string, AttrValue>& attrs = {}) {
  TS_ASSIGN_OR_RETURN(std::string y, ctx.Emit(node, ctx.BaseName(node), op, inputs, attrs));
  ctx.Define(node.output(0), y);
  return absl::OkStatus();
}

absl::Status NoExtraOutputs(const NodeProto& node, ImportContext& ctx, int keep) {
  for (int k = keep; k < node.output_size(); ++k) {
    if (ctx.OutputUsed(node, k)) {
      return ctx.NodeError(node, absl::StrCat("output ", k, " ('", node.output(k),
                                              "') is used, and Tessera does not compute it"));
    }
  }
  return absl::OkStatus();
}

absl::Status Unary(const NodeProto& node, ImportContext& ctx, const std::string& op,
                   const std::map<std::string, AttrValue>& attrs = {}) {
  TS_ASSIGN_OR_RETURN(std::string x, ctx.TensorInput(node, 0));
  return EmitAs(node, ctx, op, {x}, attrs);
}

// ---- Convolutions ----

// The spatial kernel [kh, kw] of a Conv/ConvTranspose weight (input 1),
// which must be 4-D and agree with kernel_shape where that is given.
absl::StatusOr<std::vector<int64_t>> KernelOfWeight(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const Value* w, ctx.Input(node, 1));
  if (w->shape.size() != 4) {
    return ctx.NodeError(node, absl::StrCat("weight ", ShapeToString(w->shape), " is not 4-D"));
  }
  std::vector<int64_t> kernel = {w->shape[2], w->shape[3]};
  if (FindAttr(node, "kernel_shape") && GetInts(node, "kernel_shape", {}) != kernel) {
    return ctx.NodeError(node,
                         absl::StrCat("kernel_shape ", Str(GetInts(node, "kernel_shape", {})),
                                      " does not match the weight ", ShapeToString(w->shape)));
  }
  return kernel;
}

// What Conv and ConvTranspose both read first: the 4-D input, the weight's
// spatial kernel, strides and dilations.
struct ConvGeometry {
  const Value* x = nullptr;
  std::vector<int64_t> kernel, stride, dilation;
};

absl::StatusOr<ConvGeometry> ReadConvGeometry(const NodeProto& node, ImportContext& ctx) {
  ConvGeometry g;
  TS_ASSIGN_OR_RETURN(g.x, ctx.Input(node, 0));
  TS_RETURN_IF_ERROR(ExpectRank4(ctx, node, *g.x));
  TS_ASSIGN_OR_RETURN(g.kernel, KernelOfWeight(node, ctx));
  TS_ASSIGN_OR_RETURN(g.stride, Spatial(ctx, node, "strides", 1));
  TS_ASSIGN_OR_RETURN(g.dilation, Spatial(ctx, node, "dilations", 1));
  return g;
}

absl::Status Conv(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const ConvGeometry geometry, ReadConvGeometry(node, ctx));
  const auto& [x, kernel, stride, dilation] = geometry;
  const std::vector<int64_t> window = {(kernel[0] - 1) * dilation[0] + 1,
                                       (kernel[1] - 1) * dilation[1] + 1};
  TS_ASSIGN_OR_RETURN(auto pads, WindowPads(ctx, node, x->shape, window, stride));
  std::vector<std::string> inputs;
  TS_ASSIGN_OR_RETURN(inputs.emplace_back(), ctx.TensorInput(node, 0));
  std::vector<int64_t> padding = {pads[0], pads[1]};
  if (pads[0] != pads[2] || pads[1] != pads[3]) {
    TS_ASSIGN_OR_RETURN(inputs[0], PadValue(node, ctx, inputs[0], pads, 0.0f));
    padding = {0, 0};
  }
  TS_ASSIGN_OR_RETURN(inputs.emplace_back(), ctx.TensorInput(node, 1));
  if (ctx.HasInput(node, 2)) {
    TS_ASSIGN_OR_RETURN(inputs.emplace_back(), ctx.TensorInput(node, 2));
  }
  return EmitAs(node, ctx, "conv2d", inputs,
                {{"stride", IntsAttr(stride)},
                 {"padding", IntsAttr(padding)},
                 {"dilation", IntsAttr(dilation)},
                 {"groups", IntAttr(GetInt(node, "group", 1))}});
}

absl::Status ConvTranspose(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const ConvGeometry geometry, ReadConvGeometry(node, ctx));
  const auto& [x, kernel, stride, dilation] = geometry;
  TS_ASSIGN_OR_RETURN(auto out_pad, Spatial(ctx, node, "output_padding", 0));
  const std::string auto_pad = GetString(node, "auto_pad", "NOTSET");
  std::vector<int64_t> pads = GetInts(node, "pads", {0, 0, 0, 0});
  if (pads.size() != 4) return ctx.NodeError(node, "pads needs 4 values (2-D only)");
  std::vector<int64_t> output_shape = GetInts(node, "output_shape", {});
  if (output_shape.size() == 4) output_shape = {output_shape[2], output_shape[3]};
  if (output_shape.empty() && (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER")) {
    output_shape = {x->shape[2] * stride[0], x->shape[3] * stride[1]};
  } else if (auto_pad == "VALID") {
    pads = {0, 0, 0, 0};
  } else if (auto_pad != "NOTSET" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER") {
    return ctx.NodeError(node, absl::StrCat("auto_pad '", auto_pad, "' is unknown"));
  }
  if (!output_shape.empty()) {
    if (output_shape.size() != 2) return ctx.NodeError(node, "output_shape needs 2 values");
    for (int i = 0; i < 2; ++i) {
      const int64_t full =
          stride[i] * (x->shape[2 + i] - 1) + out_pad[i] + (kernel[i] - 1) * dilation[i] + 1;
      const int64_t total = full - output_shape[i];
      if (total < 0) {
        // Rows past the full output get no contribution: more output padding.
        pads[i] = pads[2 + i] = 0;
        out_pad[i] -= total;
      } else if (auto_pad == "SAME_UPPER") {
        pads[i] = total / 2;
        pads[2 + i] = total - total / 2;
      } else {
        pads[i] = total - total / 2;
        pads[2 + i] = total / 2;
      }
    }
  }
  // Tessera (as PyTorch) crops `padding` from both ends and keeps
  // output_padding more at the end: the end crop pe becomes
  // output_padding = op + pb - pe on a symmetric padding pb. Where that is
  // negative (pe > op + pb), output_padding op keeps F - pb cells of the
  // full output F, and a pad2d crops the other pe - pb at the end.
  std::vector<int64_t> padding(2), tessera_out_pad(2), end_crop(2, 0);
  for (int i = 0; i < 2; ++i) {
    padding[i] = pads[i];
    tessera_out_pad[i] = out_pad[i] + pads[i] - pads[2 + i];
    if (tessera_out_pad[i] < 0) {
      end_crop[i] = pads[2 + i] - pads[i];
      tessera_out_pad[i] = out_pad[i];
    }
  }
  std::vector<std::string> inputs;
  TS_ASSIGN_OR_RETURN(inputs.emplace_back(), ctx.TensorInput(node, 0));
  TS_ASSIGN_OR_RETURN(inputs.emplace_back(), ctx.TensorInput(node, 1));
  if (ctx.HasInput(node, 2)) {
    TS_ASSIGN_OR_RETURN(inputs.emplace_back(), ctx.TensorInput(node, 2));
  }
  const std::map<std::string, AttrValue> attrs = {{"stride", IntsAttr(stride)},
                                                  {"padding", IntsAttr(padding)},
                                                  {"output_padding", IntsAttr(tessera_out_pad)},
                                                  {"dilation", IntsAttr(dilation)},
                                                  {"groups", IntAttr(GetInt(node, "group", 1))}};
  if (end_crop == std::vector<int64_t>{0, 0}) {
    return EmitAs(node, ctx, "conv_transpose2d", inputs, attrs);
  }
  TS_ASSIGN_OR_RETURN(std::string y, ctx.Emit(node, ctx.BaseName(node) + "/full",
                                              "conv_transpose2d", inputs, attrs));
  return EmitAs(node, ctx, "pad2d", {y}, {{"pads", IntsAttr({0, 0, -end_crop[0], -end_crop[1]})}});
}

// ---- Pooling ----

// AveragePool not counting pads that Tessera's avgpool2d cannot pad itself
// (asymmetric, or wider than half the kernel): the mean over the input
// cells of each window is the pool of the zero-padded input (which divides
// by the window's cells within the padded input, PyTorch's rule), times
// that count over the window's input cells. The factors depend on the
// position only: a frozen depthwise 1x1 convolution over [N * C, oh * ow].
absl::Status AveragePoolOfInputCells(const NodeProto& node, ImportContext& ctx,
                                     const std::vector<int64_t>& kernel,
                                     const std::vector<int64_t>& stride,
                                     const std::vector<int64_t>& pads) {
  TS_ASSIGN_OR_RETURN(const Value* x, ctx.Input(node, 0));
  TS_ASSIGN_OR_RETURN(std::string input, ctx.TensorInput(node, 0));
  TS_ASSIGN_OR_RETURN(input, PadValue(node, ctx, input, pads, 0.0f));
  const std::string base = ctx.BaseName(node);
  TS_ASSIGN_OR_RETURN(std::string pooled,
                      ctx.Emit(node, base + "/sum", "avgpool2d", {input},
                               {{"kernel", IntsAttr(kernel)},
                                {"stride", IntsAttr(stride)},
                                {"padding", IntsAttr({0, 0})},
                                {"count_include_pad", BoolAttr(true)},
                                {"ceil_mode", BoolAttr(GetInt(node, "ceil_mode", 0))}}));
  const Shape& y = ctx.ShapeOf(pooled);
  const int64_t oh = y[2], ow = y[3];
  // Per axis and output index: cells of the window within the padded input
  // (the divisor used) and within the input (the one wanted).
  auto cells = [&](int axis, int64_t i, bool input_only) {
    const int64_t in = x->shape[2 + axis], begin = pads[axis], end_pad = pads[2 + axis];
    const int64_t start = i * stride[axis];  // in padded coordinates
    const int64_t stop = std::min(start + kernel[axis], begin + in + end_pad);
    if (!input_only) return stop - start;
    return std::max<int64_t>(0, std::min(stop, begin + in) - std::max(start, begin));
  };
  std::vector<float> factors(oh * ow);
  bool all_one = true;
  for (int64_t i = 0; i < oh; ++i) {
    for (int64_t j = 0; j < ow; ++j) {
      const int64_t used = cells(0, i, false) * cells(1, j, false);
      const int64_t wanted = cells(0, i, true) * cells(1, j, true);
      if (wanted == 0) {
        return ctx.NodeError(node, absl::StrCat("pads ", Str(pads), " leave window (", i, ", ", j,
                                                ") without an input cell"));
      }
      factors[i * ow + j] = static_cast<float>(static_cast<double>(used) / wanted);
      all_one = all_one && used == wanted;
    }
  }
  if (all_one) {
    ctx.Define(node.output(0), pooled);
    return absl::OkStatus();
  }
  const std::string scale =
      ctx.AddParameter(base + "/input_cell_scale", {oh * ow, 1, 1, 1}, factors, true, false);
  TS_ASSIGN_OR_RETURN(std::string cols, ctx.Emit(node, base + "/positions", "reshape", {pooled},
                                                 {{"shape", IntsAttr({-1, oh * ow, 1, 1})}}));
  TS_ASSIGN_OR_RETURN(std::string scaled, ctx.Emit(node, base + "/scale", "conv2d", {cols, scale},
                                                   {{"groups", IntAttr(oh * ow)}}));
  return EmitAs(node, ctx, "reshape", {scaled}, {{"shape", IntsAttr({-1, y[1], oh, ow})}});
}

absl::Status Pool(const NodeProto& node, ImportContext& ctx, bool max) {
  TS_ASSIGN_OR_RETURN(const Value* x, ctx.Input(node, 0));
  TS_RETURN_IF_ERROR(ExpectRank4(ctx, node, *x));
  if (!FindAttr(node, "kernel_shape"))
    return ctx.NodeError(node, "attribute kernel_shape is missing");
  const std::vector<int64_t> kernel = GetInts(node, "kernel_shape", {});
  if (kernel.size() != 2) {
    return ctx.NodeError(node,
                         absl::StrCat("kernel_shape ", Str(kernel), " needs 2 values (2-D only)"));
  }
  TS_ASSIGN_OR_RETURN(auto stride, Spatial(ctx, node, "strides", 1));
  TS_ASSIGN_OR_RETURN(auto dilation, Spatial(ctx, node, "dilations", 1));
  // (AveragePool has no dilations before opset 19: the importer rejects
  // the attribute.)
  const std::vector<int64_t> span = {(kernel[0] - 1) * dilation[0] + 1,
                                     (kernel[1] - 1) * dilation[1] + 1};
  // MaxPool's Indices (output 1): flat indices into x, row-major
  // (storage_order 0) or column-major (1) within each plane.
  const int64_t storage_order = GetInt(node, "storage_order", 0);
  if (storage_order != 0 && storage_order != 1) {
    return ctx.NodeError(node, absl::StrCat("storage_order ", storage_order, " is invalid"));
  }
  const bool indices = max && ctx.OutputUsed(node, 1);
  TS_RETURN_IF_ERROR(NoExtraOutputs(node, ctx, max ? 2 : 1));
  TS_ASSIGN_OR_RETURN(auto pads, WindowPads(ctx, node, x->shape, span, stride));
  const bool include_pad = !max && GetInt(node, "count_include_pad", 0) != 0;
  const bool symmetric = pads[0] == pads[2] && pads[1] == pads[3];
  const bool narrow = 2 * pads[0] <= kernel[0] && 2 * pads[1] <= kernel[1];
  if (!max && !include_pad && !(symmetric && narrow)) {
    return AveragePoolOfInputCells(node, ctx, kernel, stride, pads);
  }
  TS_ASSIGN_OR_RETURN(std::string input, ctx.TensorInput(node, 0));
  std::vector<int64_t> padding;
  if ((include_pad || max) && !(symmetric && narrow)) {
    // Padding Tessera's pool cannot express: pad explicitly, pool without.
    // Average pooling counts the zeros as values; max pooling never picks
    // the lowest float over a value of the image, and every window holds
    // one (ONNX keeps pads smaller than the kernel).
    const float value = max ? std::numeric_limits<float>::lowest() : 0.0f;
    if (indices) {
      return ctx.NodeError(node, absl::StrCat("output 1 (Indices) with pads ", Str(pads),
                                              " is not supported: Tessera pads those explicitly, "
                                              "and the indices would count the padding"));
    }
    TS_ASSIGN_OR_RETURN(input, PadValue(node, ctx, input, pads, value));
    padding = {0, 0};
  } else {
    TS_ASSIGN_OR_RETURN(padding, SymmetricPads(ctx, node, pads));
  }
  std::map<std::string, AttrValue> attrs = {{"kernel", IntsAttr(kernel)},
                                            {"stride", IntsAttr(stride)},
                                            {"padding", IntsAttr(padding)},
                                            {"ceil_mode", BoolAttr(GetInt(node, "ceil_mode", 0))}};
  if (!max) attrs["count_include_pad"] = BoolAttr(include_pad);
  if (max) attrs["dilation"] = IntsAttr(dilation);
  if (indices) attrs["indices"] = StringAttr(storage_order == 0 ? "flat" : "flat_column_major");
  TS_ASSIGN_OR_RETURN(std::string y, ctx.Emit(node, ctx.BaseName(node),
                                              max ? "maxpool2d" : "avgpool2d", {input}, attrs));
  ctx.Define(node.output(0), y);
  if (indices) ctx.Define(node.output(1), OutputName(y, 1), onnx::TensorProto::INT64);
  return absl::OkStatus();
}

absl::Status GlobalPool(const NodeProto& node, ImportContext& ctx, bool max) {
  TS_ASSIGN_OR_RETURN(const Value* x, ctx.Input(node, 0));
  TS_RETURN_IF_ERROR(ExpectRank4(ctx, node, *x));
  if (!max) return Unary(node, ctx, "avgpool2d", {{"global", BoolAttr(true)}});
  // A max pool whose window is the whole (import-time known) plane.
  return Unary(node, ctx, "maxpool2d",
               {{"kernel", IntsAttr({x->shape[2], x->shape[3]})}, {"stride", IntsAttr({1, 1})}});
}

// ---- Padding ----

// ONNX Pad on the two spatial axes of a 4-D input: pads (an attribute
// before opset 11, a constant input from 11 on) [begin of every axis, end of
// every axis], constant_value (attribute `value` before opset 11).
absl::Status Pad(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const Value* x, ctx.Input(node, 0));
  TS_RETURN_IF_ERROR(ExpectRank4(ctx, node, *x));
  std::vector<int64_t> pads = GetInts(node, "pads", {});
  float value = GetFloat(node, "value", 0.0f);
  if (ctx.opset() >= 11) {
    TS_ASSIGN_OR_RETURN(auto p, ctx.ConstantInput(node, 1, "pads"));
    if (p->is_float) return ctx.NodeError(node, "pads must be int64");
    pads = p->ints;
    if (ctx.HasInput(node, 2)) {
      TS_ASSIGN_OR_RETURN(auto v, ctx.ConstantInput(node, 2, "constant_value"));
      if (!v->is_float || v->floats.size() != 1) {
        return ctx.NodeError(node, "constant_value must be a float scalar");
      }
      value = v->floats[0];
    }
  }
  if (pads.size() != 8) {
    return ctx.NodeError(node, absl::StrCat("pads ", Str(pads), " needs 8 values for a 4-D input"));
  }
  if (pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0) {
    return ctx.NodeError(node, absl::StrCat("pads ", Str(pads),
                                            " pad the batch or channel axis; Tessera pads H and "
                                            "W only"));
  }
  // Negative pads crop, in pad2d as in ONNX.
  const std::vector<int64_t> spatial = {pads[2], pads[3], pads[6], pads[7]};
  const std::string mode = GetString(node, "mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge") {
    return ctx.NodeError(node, absl::StrCat("mode '", mode, "' is not supported"));
  }
  return Unary(
      node, ctx, "pad2d",
      {{"pads", IntsAttr(spatial)}, {"mode", StringAttr(mode)}, {"value", FloatAttr(value)}});
}

// ---- Fully connected ----

std::vector<float> Transposed(const std::vector<float>& v, int64_t rows, int64_t cols) {
  std::vector<float> t(v.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) t[c * rows + r] = v[r * cols + c];
  }
  return t;
}

// A [K, N] weight (B of A x B) as Tessera's matmul weight [N, K], times `scale`.
absl::StatusOr<std::string> OutInWeight(const NodeProto& node, ImportContext& ctx, int input,
                                        bool transposed, float scale) {
  TS_ASSIGN_OR_RETURN(const Value* b, ctx.Input(node, input));
  if (b->shape.size() != 2) {
    return ctx.NodeError(node, absl::StrCat("B ", ShapeToString(b->shape), " is not 2-D"));
  }
  if (transposed && scale == 1.0f) return ctx.TensorInput(node, input);
  if (!b->constant || !b->constant->is_float) {
    return ctx.NodeError(node, absl::StrCat("B (input '", node.input(input),
                                            "') must be a float "
                                            "constant when ",
                                            transposed ? "alpha != 1" : "not transposed",
                                            ": Tessera's matmul reads W as [out, in]"));
  }
  std::vector<float> w = b->constant->floats;
  const int64_t rows = b->shape[0], cols = b->shape[1];
  if (!transposed) w = Transposed(w, rows, cols);
  for (float& v : w) v *= scale;
  const Shape shape = transposed ? Shape{rows, cols} : Shape{cols, rows};
  return ctx.AddParameter(node.input(input), shape, w, !b->from_initializer);
}

absl::Status Gemm(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const Value* a, ctx.Input(node, 0));
  if (a->shape.size() != 2) {
    return ctx.NodeError(node, absl::StrCat("A ", ShapeToString(a->shape), " is not 2-D"));
  }
  const float alpha = GetFloat(node, "alpha", 1.0f), beta = GetFloat(node, "beta", 1.0f);
  TS_ASSIGN_OR_RETURN(std::string x, ctx.TensorInput(node, 0));
  // Tessera's matmul reads x as [M, K]: a transposed A is transposed first.
  const bool trans_a = GetInt(node, "transA", 0) != 0;
  if (trans_a) {
    TS_ASSIGN_OR_RETURN(x, ctx.Emit(node, ctx.BaseName(node) + "/a_transposed", "transpose", {x},
                                    {{"perm", IntsAttr({1, 0})}}));
  }
  const int64_t m = trans_a ? a->shape[1] : a->shape[0];
  TS_ASSIGN_OR_RETURN(std::string w,
                      OutInWeight(node, ctx, 1, GetInt(node, "transB", 0) != 0, alpha));
  const int64_t n = ctx.ShapeOf(w)[0];
  std::vector<std::string> inputs = {x, w};
  bool add_full_c = false;
  if (ctx.HasInput(node, 2) && beta != 0.0f) {
    TS_ASSIGN_OR_RETURN(const Value* c, ctx.Input(node, 2));
    const int64_t c_size = NumElements(c->shape);
    const bool per_column = (c->shape.size() <= 1 || (c->shape.size() == 2 && c->shape[0] == 1)) &&
                            (c_size == n || c_size == 1);
    if (per_column && c->constant && c->constant->is_float) {
      std::vector<float> bias(n);
      for (int64_t j = 0; j < n; ++j) bias[j] = beta * c->constant->floats[c_size == 1 ? 0 : j];
      inputs.push_back(ctx.AddParameter(node.input(2), {n}, bias, !c->from_initializer, false));
    } else if (c->shape == Shape{n} && beta == 1.0f) {
      TS_ASSIGN_OR_RETURN(inputs.emplace_back(), ctx.TensorInput(node, 2));
    } else if (per_column) {
      return ctx.NodeError(node, absl::StrCat("C (input '", node.input(2), "') must be a constant ",
                                              "when it is not [N] or beta != 1"));
    } else if (c->shape == Shape{m, n} && beta == 1.0f) {
      add_full_c = true;
    } else {
      return ctx.NodeError(node, absl::StrCat("C ", ShapeToString(c->shape), " with beta ", beta,
                                              " is not supported (a constant [N] or [1, N] "
                                              "bias, or a [M, N] C with beta 1, is)"));
    }
  }
  if (!add_full_c) return EmitAs(node, ctx, "matmul", inputs);
  TS_ASSIGN_OR_RETURN(std::string y,
                      ctx.Emit(node, ctx.BaseName(node) + "/matmul", "matmul", inputs, {}));
  TS_ASSIGN_OR_RETURN(std::string c, ctx.TensorInput(node, 2));
  return EmitAs(node, ctx, "add", {y, c});
}

absl::Status MatMul(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const Value* a, ctx.Input(node, 0));
  if (a->shape.size() != 2) {
    return ctx.NodeError(node, absl::StrCat("A ", ShapeToString(a->shape),
                                            " is not 2-D (batched MatMul is not supported)"));
  }
  TS_ASSIGN_OR_RETURN(std::string x, ctx.TensorInput(node, 0));
  TS_ASSIGN_OR_RETURN(std::string w, OutInWeight(node, ctx, 1, false, 1.0f));
  return EmitAs(node, ctx, "matmul", {x, w});
}

absl::Status Transpose(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const Value* x, ctx.Input(node, 0));
  const int64_t rank = x->shape.size();
  std::vector<int64_t> reversed;
  for (int64_t i = rank - 1; i >= 0; --i) reversed.push_back(i);
  const std::vector<int64_t> perm = GetInts(node, "perm", reversed);
  bool identity = static_cast<int64_t>(perm.size()) == rank;
  for (int64_t i = 0; identity && i < rank; ++i) identity = perm[i] == i;
  if (identity) return Alias(node, ctx);
  return Unary(node, ctx, "transpose", {{"perm", IntsAttr(perm)}});
}

// ---- Elementwise ----

// Add and Mul: same shapes, or x with a constant that varies along one
// axis only, the channels (dimension 1) or the last: a bias or a scale.
absl::Status Binary(const NodeProto& node, ImportContext& ctx, bool add) {
  TS_ASSIGN_OR_RETURN(const Value* a, ctx.Input(node, 0));
  TS_ASSIGN_OR_RETURN(const Value* b, ctx.Input(node, 1));
  if (a->shape == b->shape) {
    TS_ASSIGN_OR_RETURN(std::string x, ctx.TensorInput(node, 0));
    TS_ASSIGN_OR_RETURN(std::string y, ctx.TensorInput(node, 1));
    return EmitAs(node, ctx, add ? "add" : "mul", {x, y});
  }
  // The side of lower rank (or the constant one) broadcasts.
  int data = 0, other = 1;
  if (b->shape.size() > a->shape.size() || (a->constant && !b->constant)) std::swap(data, other);
  const Value* x = data == 0 ? a : b;
  const Value* c = data == 0 ? b : a;
  const int rank = static_cast<int>(x->shape.size());
  auto unsupported = [&] {
    return ctx.NodeError(
        node,
        absl::StrCat("broadcasting ", ShapeToString(a->shape), " and ", ShapeToString(b->shape),
                     " is not supported (same shapes, or an operand that "
                     "varies along the channels or the last axis only, are)"));
  };
  if (rank < 2 || c->shape.size() > static_cast<size_t>(rank)) return unsupported();
  // Align the constant's shape to x's from the right; find its one axis.
  Shape aligned(rank - c->shape.size(), 1);
  aligned.insert(aligned.end(), c->shape.begin(), c->shape.end());
  int axis = -1;
  for (int i = 0; i < rank; ++i) {
    if (aligned[i] == 1) continue;
    if (aligned[i] != x->shape[i] || axis >= 0) return unsupported();
    axis = i;
  }
  if (axis < 0) axis = rank == 2 || rank == 4 ? 1 : rank - 1;  // a scalar
  if (axis != 1 && axis != rank - 1) return unsupported();
  if (!c->constant || !c->constant->is_float) {
    return ctx.NodeError(node, absl::StrCat("the broadcast operand (input '", node.input(other),
                                            "') must be a constant"));
  }
  const int64_t channels = x->shape[axis];
  std::vector<float> per_channel(channels);
  const bool scalar = NumElements(c->shape) == 1;
  for (int64_t k = 0; k < channels; ++k) per_channel[k] = c->constant->floats[scalar ? 0 : k];
  TS_ASSIGN_OR_RETURN(std::string xv, ctx.TensorInput(node, data));
  const bool frozen = !c->from_initializer;
  const std::string base = ctx.BaseName(node);
  // Tessera's per-channel ops act on dimension 1: view x as [rest, C]
  // when the axis is the last one of a tensor of rank > 2.
  const bool last = axis != 1;
  const std::string param =
      ctx.AddParameter(node.input(other), add ? Shape{channels} : Shape{channels, 1, 1, 1},
                       per_channel, frozen, false);
  std::string input = xv;
  if (last) {
    TS_ASSIGN_OR_RETURN(input, ctx.Emit(node, base + "/rows", "reshape", {xv},
                                        {{"shape", IntsAttr({-1, channels})}}));
  }
  const int view_rank = last ? 2 : rank;
  std::string y;
  if (add) {
    if (!last) return EmitAs(node, ctx, "bias_add", {input, param});
    TS_ASSIGN_OR_RETURN(y, ctx.Emit(node, base + "/bias_add", "bias_add", {input, param}, {}));
  } else {
    // x * scale[c]: a depthwise 1x1 convolution whose weights are the scales.
    if (view_rank != 2 && view_rank != 4) return unsupported();
    if (view_rank == 2) {
      TS_ASSIGN_OR_RETURN(input, ctx.Emit(node, base + "/as_nchw", "reshape", {input},
                                          {{"shape", IntsAttr({-1, channels, 1, 1})}}));
    }
    const std::map<std::string, AttrValue> attrs = {{"groups", IntAttr(channels)}};
    if (view_rank == 4) return EmitAs(node, ctx, "conv2d", {input, param}, attrs);
    TS_ASSIGN_OR_RETURN(y, ctx.Emit(node, base + "/scale", "conv2d", {input, param}, attrs));
  }
  std::vector<int64_t> back(x->shape.begin(), x->shape.end());
  back[0] = -1;
  return EmitAs(node, ctx, "reshape", {y}, {{"shape", IntsAttr(back)}});
}

absl::Status Softmax(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const Value* x, ctx.Input(node, 0));
  const int64_t rank = x->shape.size();
  int64_t axis = GetInt(node, "axis", ctx.opset() >= 13 ? -1 : 1);
  if (axis < -rank || axis >= rank) {
    return ctx.NodeError(node, absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  if (axis < 0) axis += rank;
  if (ctx.opset() >= 13 || axis == rank - 1) {
    return Unary(node, ctx, "softmax", {{"axis", IntAttr(axis)}});
  }
  // Before opset 13, Softmax normalises over all dimensions from `axis` on.
  if (axis == 0) return ctx.NodeError(node, "axis 0 before opset 13 is not supported");
  int64_t inner = 1;
  for (int64_t i = axis; i < rank; ++i) inner *= x->shape[i];
  Shape back = x->shape;
  back[0] = -1;
  const std::string base = ctx.BaseName(node);
  TS_ASSIGN_OR_RETURN(std::string xv, ctx.TensorInput(node, 0));
  std::vector<int64_t> flat = {-1};
  for (int64_t i = 1; i < axis; ++i) flat.push_back(x->shape[i]);
  flat.push_back(inner);
  TS_ASSIGN_OR_RETURN(std::string f,
                      ctx.Emit(node, base + "/flat", "reshape", {xv}, {{"shape", IntsAttr(flat)}}));
  TS_ASSIGN_OR_RETURN(std::string s,
                      ctx.Emit(node, base + "/softmax", "softmax", {f}, {{"axis", IntAttr(axis)}}));
  return EmitAs(node, ctx, "reshape", {s}, {{"shape", IntsAttr(back)}});
}

// ---- Shape ops ----

absl::Status Concat(const NodeProto& node, ImportContext& ctx) {
  if (node.input_size() == 0) return ctx.NodeError(node, "Concat needs at least one input");
  std::vector<std::string> inputs;
  for (int i = 0; i < node.input_size(); ++i) {
    TS_ASSIGN_OR_RETURN(inputs.emplace_back(), ctx.TensorInput(node, i));
  }
  if (inputs.size() == 1) return Alias(node, ctx);
  if (inputs.size() > 8) {
    return ctx.NodeError(node,
                         absl::StrCat(inputs.size(), " inputs (Tessera concatenates 2 to 8)"));
  }
  if (!FindAttr(node, "axis")) return ctx.NodeError(node, "attribute axis is required");
  int64_t axis = GetInt(node, "axis", 1);
  const int64_t rank = ctx.ShapeOf(inputs[0]).size();
  if (axis < 0) axis += rank;
  return EmitAs(node, ctx, "concat", inputs, {{"axis", IntAttr(axis)}});
}

absl::Status Flatten(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const Value* x, ctx.Input(node, 0));
  const int64_t rank = x->shape.size();
  int64_t axis = GetInt(node, "axis", 1);
  if (axis < -rank || axis > rank) {
    return ctx.NodeError(node, absl::StrCat("axis ", axis, " is out of range for rank ", rank));
  }
  if (axis < 0) axis += rank;
  if (axis == 1 && rank >= 2) return Unary(node, ctx, "flatten", {{"axis", IntAttr(1)}});
  // ONNX Flatten always gives [prod(dims before axis), prod(dims from axis)].
  int64_t inner = 1;
  for (int64_t i = axis; i < rank; ++i) inner *= x->shape[i];
  const std::vector<int64_t> shape =
      axis == 0 ? std::vector<int64_t>{1, inner} : std::vector<int64_t>{-1, inner};
  return Unary(node, ctx, "reshape", {{"shape", IntsAttr(shape)}});
}

absl::Status Reshape(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(auto shape, ctx.ConstantInput(node, 1, "shape"));
  if (shape->is_float || shape->dims.size() != 1) {
    return ctx.NodeError(node, "shape must be a 1-D int64 tensor");
  }
  const bool allow_zero = GetInt(node, "allowzero", 0) != 0;
  for (int64_t d : shape->ints) {
    if (d == 0 && allow_zero)
      return ctx.NodeError(node, "allowzero with a 0 in shape is not supported");
  }
  return Unary(node, ctx, "reshape", {{"shape", IntsAttr(shape->ints)}});
}

absl::Status Constant(const NodeProto& node, ImportContext& ctx) {
  if (node.attribute_size() != 1) {
    return ctx.NodeError(node, "needs exactly one value attribute");
  }
  const AttributeProto& a = node.attribute(0);
  auto t = std::make_shared<OnnxTensor>();
  if (a.name() == "value") {
    absl::StatusOr<OnnxTensor> read = ReadTensor(a.t(), ctx.base_dir());
    if (!read.ok()) return ctx.NodeError(node, std::string(read.status().message()));
    *t = *std::move(read);
  } else if (a.name() == "value_float") {
    t->floats = {a.f()};
  } else if (a.name() == "value_floats") {
    t->floats.assign(a.floats().begin(), a.floats().end());
    t->dims = {static_cast<int64_t>(t->floats.size())};
  } else if (a.name() == "value_int") {
    t->is_float = false;
    t->ints = {a.i()};
  } else if (a.name() == "value_ints") {
    t->is_float = false;
    t->ints.assign(a.ints().begin(), a.ints().end());
    t->dims = {static_cast<int64_t>(t->ints.size())};
  } else {
    return ctx.NodeError(node, absl::StrCat("attribute '", a.name(), "' is not supported"));
  }
  ctx.DefineConstant(node.output(0), std::move(t), false);
  return absl::OkStatus();
}

// ---- Regularisation and normalisation ----

// Dropout; training_mode = true (opset 12+, a constant) becomes
// force_training: the node drops in every forward, as ONNX says, with
// Tessera's own random stream (ONNX leaves the generator, and what `seed`
// means, to the runtime). The mask (output 1, bool from opset 10, the
// input's type before) is dropout's 0/1 mask output.
absl::Status Dropout(const NodeProto& node, ImportContext& ctx) {
  float rate = GetFloat(node, "ratio", 0.5f);
  if (ctx.HasInput(node, 1)) {
    TS_ASSIGN_OR_RETURN(auto r, ctx.ConstantInput(node, 1, "ratio"));
    if (!r->is_float || r->floats.size() != 1)
      return ctx.NodeError(node, "ratio must be a float scalar");
    rate = r->floats[0];
  }
  bool training = false;
  if (ctx.HasInput(node, 2)) {
    TS_ASSIGN_OR_RETURN(auto t, ctx.ConstantInput(node, 2, "training_mode"));
    // (bool: ReadTensor gives integer values.)
    if (t->size() != 1) return ctx.NodeError(node, "training_mode must be a scalar");
    training = t->is_float ? t->floats[0] != 0 : t->ints[0] != 0;
  }
  if (!(rate >= 0 && rate < 1))
    return ctx.NodeError(node, absl::StrCat("ratio ", rate, " is not in [0, 1)"));
  std::map<std::string, AttrValue> attrs = {{"rate", FloatAttr(rate)}};
  if (training) attrs["force_training"] = BoolAttr(true);
  TS_ASSIGN_OR_RETURN(std::string x, ctx.TensorInput(node, 0));
  TS_ASSIGN_OR_RETURN(std::string y, ctx.Emit(node, ctx.BaseName(node), "dropout", {x}, attrs));
  ctx.Define(node.output(0), y);
  if (ctx.OutputUsed(node, 1)) {
    ctx.Define(node.output(1), OutputName(y, 1),
               ctx.opset() >= 10 ? onnx::TensorProto::BOOL : onnx::TensorProto::FLOAT);
  }
  return absl::OkStatus();
}

absl::Status BatchNormalization(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const Value* x, ctx.Input(node, 0));
  TS_RETURN_IF_ERROR(ExpectRank4(ctx, node, *x));
  // training_mode = 1 (opset 14+): batch statistics in every forward, and
  // outputs 1 and 2 the updated running mean and variance, which ONNX
  // updates with the biased batch variance (PyTorch, Tessera's default, the
  // unbiased one).
  const bool training = GetInt(node, "training_mode", 0) != 0;
  if (training && ctx.opset() < 14) {
    return ctx.NodeError(node, "training_mode is an attribute of opset 14 and later");
  }
  if (GetInt(node, "spatial", 1) != 1) return ctx.NodeError(node, "spatial = 0 is not supported");
  TS_RETURN_IF_ERROR(NoExtraOutputs(node, ctx, training ? 3 : 1));
  std::vector<std::string> inputs;
  for (int i = 0; i < 5; ++i) {
    // scale and bias train; mean and variance are running statistics.
    TS_ASSIGN_OR_RETURN(inputs.emplace_back(), ctx.TensorInput(node, i, /*frozen=*/i >= 3));
  }
  // ONNX's momentum weighs the old running value; Tessera's (as PyTorch's)
  // the new batch statistic.
  const float momentum = 1.0f - GetFloat(node, "momentum", 0.9f);
  std::map<std::string, AttrValue> attrs = {
      {"epsilon", FloatAttr(GetFloat(node, "epsilon", 1e-5f))}, {"momentum", FloatAttr(momentum)}};
  if (training) {
    attrs["force_training"] = BoolAttr(true);
    attrs["unbiased_running_var"] = BoolAttr(false);
  }
  TS_ASSIGN_OR_RETURN(std::string y,
                      ctx.Emit(node, ctx.BaseName(node), "batch_norm2d", inputs, attrs));
  ctx.Define(node.output(0), y);
  for (int k = 1; training && k <= 2; ++k) {
    if (ctx.OutputUsed(node, k)) ctx.Define(node.output(k), OutputName(y, k));
  }
  // Running statistics that are parameters of their own become graph
  // state: a training forward updates them (ONNX inference never does).
  for (int k = 1; k <= 2; ++k) {
    ctx.SetUpdatedFrom(inputs[2 + k], OutputName(y, k));
  }
  return absl::OkStatus();
}

absl::Status Lrn(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const Value* x, ctx.Input(node, 0));
  TS_RETURN_IF_ERROR(ExpectRank4(ctx, node, *x));
  const int64_t size = GetInt(node, "size", 0);
  if (size < 1 || size % 2 == 0) {
    // ONNX centres an even window one channel later than PyTorch does.
    return ctx.NodeError(node, absl::StrCat("size ", size, " is not supported (odd sizes are)"));
  }
  return Unary(node, ctx, "lrn",
               {{"size", IntAttr(size)},
                {"alpha", FloatAttr(GetFloat(node, "alpha", 1e-4f))},
                {"beta", FloatAttr(GetFloat(node, "beta", 0.75f))},
                {"k", FloatAttr(GetFloat(node, "bias", 1.0f))}});
}

// ---- Resizing ----

// What a Resize or Upsample node asks for, on the two spatial axes.
struct ResizeRequest {
  std::vector<int64_t> size;  // output [h, w]
  std::vector<float> scale;   // [h, w] as given; empty when sizes were
  std::string mode, transform, nearest;
  std::vector<float> roi;  // tf_crop_and_resize: [h start, w start, h end, w end]
};

// The integer factors [h, w] when the request is an upsample2d exactly:
// whole scales, and coordinates under which output i reads input
// floor(i / s) (nearest: asymmetric + floor, or half-pixel + rounding, where
// no ties occur) or upsample2d's bilinear ones. Empty otherwise.
std::vector<int64_t> UpsampleFactors(const ResizeRequest& r, const Shape& x) {
  std::vector<int64_t> factors;
  for (int i = 0; i < 2; ++i) {
    if (r.size[i] % x[2 + i] != 0) return {};
    const int64_t f = r.size[i] / x[2 + i];
    if (!r.scale.empty() && r.scale[i] != static_cast<float>(f)) return {};
    factors.push_back(f);
  }
  const bool half_pixel = r.transform == "half_pixel" || r.transform == "pytorch_half_pixel";
  const bool rounding = r.nearest == "round_prefer_floor" || r.nearest == "round_prefer_ceil";
  if (r.mode == "nearest" &&
      ((r.transform == "asymmetric" && r.nearest == "floor") || (half_pixel && rounding))) {
    return factors;
  }
  if (r.mode == "linear" && (half_pixel || r.transform == "align_corners")) return factors;
  return {};
}

absl::Status EmitResize(const NodeProto& node, ImportContext& ctx, const ResizeRequest& r,
                        float cubic_a, bool exclude_outside, float extrapolation_value) {
  TS_ASSIGN_OR_RETURN(const Value* x, ctx.Input(node, 0));
  const std::vector<int64_t> factors = UpsampleFactors(r, x->shape);
  if (factors == std::vector<int64_t>{1, 1}) return Alias(node, ctx);
  if (!factors.empty()) {
    return Unary(node, ctx, "upsample2d",
                 {{"scale", IntsAttr(factors)},
                  {"mode", StringAttr(r.mode == "linear" ? "bilinear" : "nearest")},
                  {"align_corners", BoolAttr(r.transform == "align_corners")}});
  }
  std::map<std::string, AttrValue> attrs = {
      {"size", IntsAttr(r.size)},
      {"scale", FloatsAttr(r.scale)},
      {"mode", StringAttr(r.mode)},
      {"coordinate_transformation_mode", StringAttr(r.transform)},
      {"nearest_mode", StringAttr(r.nearest)},
      {"cubic_coeff_a", FloatAttr(cubic_a)},
      {"exclude_outside", BoolAttr(exclude_outside && r.mode == "cubic")},
      {"extrapolation_value", FloatAttr(extrapolation_value)},
      {"roi", FloatsAttr(r.roi)}};
  return Unary(node, ctx, "resize2d", attrs);
}

// The output size [h, w] from 4-D scales (N and C must stay): floor(in *
// scale), as the ONNX reference computes it.
absl::Status SizeFromScales(const NodeProto& node, ImportContext& ctx, const Shape& x,
                            const std::vector<float>& scales, ResizeRequest& r) {
  if (scales.size() != 4 || scales[0] != 1 || scales[1] != 1) {
    return ctx.NodeError(
        node, absl::StrCat("scales [", absl::StrJoin(scales, ","), "] are not [1, 1, h, w]"));
  }
  for (int i = 2; i < 4; ++i) {
    if (!(scales[i] > 0)) {
      return ctx.NodeError(node, absl::StrCat("scale ", scales[i], " is not positive"));
    }
    r.size.push_back(static_cast<int64_t>(std::floor(static_cast<double>(scales[i]) * x[i])));
    r.scale.push_back(scales[i]);
    if (r.size.back() < 1) {
      return ctx.NodeError(
          node, absl::StrCat("scale ", scales[i], " leaves no output of ", ShapeToString(x)));
    }
  }
  return absl::OkStatus();
}

absl::Status Resize(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const Value* x, ctx.Input(node, 0));
  TS_RETURN_IF_ERROR(ExpectRank4(ctx, node, *x));
  ResizeRequest r;
  r.mode = GetString(node, "mode", "nearest");
  r.transform = GetString(node, "coordinate_transformation_mode",
                          ctx.opset() >= 11 ? "half_pixel" : "asymmetric");
  r.nearest = GetString(node, "nearest_mode", ctx.opset() >= 11 ? "round_prefer_floor" : "floor");
  const int scales_input = ctx.opset() >= 11 ? 2 : 1;
  std::vector<float> scales;
  if (ctx.HasInput(node, scales_input)) {
    TS_ASSIGN_OR_RETURN(auto s, ctx.ConstantInput(node, scales_input, "scales"));
    if (!s->is_float) return ctx.NodeError(node, "scales must be float");
    scales = s->floats;
  }
  if (!scales.empty()) {
    TS_RETURN_IF_ERROR(SizeFromScales(node, ctx, x->shape, scales, r));
  } else if (ctx.opset() >= 11 && ctx.HasInput(node, 3)) {
    TS_ASSIGN_OR_RETURN(auto sizes, ctx.ConstantInput(node, 3, "sizes"));
    if (sizes->is_float || sizes->ints.size() != 4)
      return ctx.NodeError(node, "sizes must be 4 int64s");
    if (sizes->ints[0] != x->shape[0] || sizes->ints[1] != x->shape[1]) {
      return ctx.NodeError(node,
                           absl::StrCat("sizes ", Str(sizes->ints), " resize N or C of ",
                                        ShapeToString(x->shape), "; Tessera resizes H and W"));
    }
    r.size = {sizes->ints[2], sizes->ints[3]};
    if (r.size[0] < 1 || r.size[1] < 1) {
      return ctx.NodeError(node, absl::StrCat("sizes ", Str(sizes->ints), " are not positive"));
    }
  } else {
    return ctx.NodeError(node, "needs constant scales or sizes");
  }
  if (r.transform == "tf_crop_and_resize") {
    if (!ctx.HasInput(node, 1)) return ctx.NodeError(node, "tf_crop_and_resize needs roi");
    TS_ASSIGN_OR_RETURN(auto roi, ctx.ConstantInput(node, 1, "roi"));
    if (!roi->is_float || roi->floats.size() != 8) {
      return ctx.NodeError(node, "roi must be 8 floats (start and end of N, C, H, W)");
    }
    const std::vector<float>& v = roi->floats;
    if (v[0] != 0 || v[1] != 0 || v[4] != 1 || v[5] != 1) {
      return ctx.NodeError(node, absl::StrCat("roi [", absl::StrJoin(v, ","),
                                              "] crops N or C; Tessera crops H and W"));
    }
    r.roi = {v[2], v[3], v[6], v[7]};
  }
  if (r.mode != "nearest" && r.mode != "linear" && r.mode != "cubic") {
    return ctx.NodeError(node, absl::StrCat("mode '", r.mode, "' is unknown"));
  }
  return EmitResize(node, ctx, r, GetFloat(node, "cubic_coeff_a", -0.75f),
                    GetInt(node, "exclude_outside", 0) != 0,
                    GetFloat(node, "extrapolation_value", 0.0f));
}

// Upsample (opsets 7 to 9): Resize with asymmetric coordinates and floor.
absl::Status Upsample(const NodeProto& node, ImportContext& ctx) {
  TS_ASSIGN_OR_RETURN(const Value* x, ctx.Input(node, 0));
  TS_RETURN_IF_ERROR(ExpectRank4(ctx, node, *x));
  std::vector<float> scales;
  if (ctx.HasInput(node, 1)) {
    TS_ASSIGN_OR_RETURN(auto s, ctx.ConstantInput(node, 1, "scales"));
    if (!s->is_float) return ctx.NodeError(node, "scales must be float");
    scales = s->floats;
  } else if (const AttributeProto* a = FindAttr(node, "scales")) {
    scales.assign(a->floats().begin(), a->floats().end());
  }
  ResizeRequest r;
  TS_RETURN_IF_ERROR(SizeFromScales(node, ctx, x->shape, scales, r));
  r.mode = GetString(node, "mode", "nearest");
  if (r.mode != "nearest" && r.mode != "linear") {
    return ctx.NodeError(node, absl::StrCat("mode '", r.mode, "' is unknown"));
  }
  r.transform = "asymmetric";
  r.nearest = "floor";
  return EmitResize(node, ctx, r, -0.75f, false, 0.0f);
}

}  // namespace

const std::map<std::string, OpImport>& OpImports() {
  static const auto* imports = new std::map<std::string, OpImport>{
      {"Add", {[](auto& n, auto& c) { return Binary(n, c, true); }, {}}},
      {"AveragePool",
       {[](auto& n, auto& c) { return Pool(n, c, false); },
        {"auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"}}},
      {"BatchNormalization",
       {BatchNormalization, {"epsilon", "momentum", "spatial", "training_mode"}}},
      {"Concat", {Concat, {"axis"}}},
      {"Constant", {Constant, {"value", "value_float", "value_floats", "value_int", "value_ints"}}},
      {"Conv", {Conv, {"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"}}},
      {"ConvTranspose",
       {ConvTranspose,
        {"auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads",
         "strides"}}},
      {"Dropout", {Dropout, {"ratio", "seed"}}},
      {"Flatten", {Flatten, {"axis"}}},
      {"Gemm", {Gemm, {"alpha", "beta", "transA", "transB"}}},
      {"GlobalAveragePool", {[](auto& n, auto& c) { return GlobalPool(n, c, false); }, {}}},
      {"GlobalMaxPool", {[](auto& n, auto& c) { return GlobalPool(n, c, true); }, {}}},
      {"Identity", {[](auto& n, auto& c) { return Alias(n, c); }, {}}},
      {"LRN", {Lrn, {"alpha", "beta", "bias", "size"}}},
      {"LeakyRelu",
       {[](auto& n, auto& c) {
          return Unary(n, c, "leaky_relu",
                       {{"negative_slope", FloatAttr(GetFloat(n, "alpha", 0.01f))}});
        },
        {"alpha"}}},
      {"MatMul", {MatMul, {}}},
      {"MaxPool",
       {[](auto& n, auto& c) { return Pool(n, c, true); },
        {"auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order",
         "strides"}}},
      {"Mul", {[](auto& n, auto& c) { return Binary(n, c, false); }, {}}},
      {"Pad", {Pad, {"mode", "pads", "value"}}},
      {"Relu", {[](auto& n, auto& c) { return Unary(n, c, "relu"); }, {}}},
      {"Reshape", {Reshape, {"allowzero"}}},
      {"Resize",
       {Resize,
        {"coordinate_transformation_mode", "cubic_coeff_a", "exclude_outside",
         "extrapolation_value", "mode", "nearest_mode"}}},
      {"Sigmoid", {[](auto& n, auto& c) { return Unary(n, c, "sigmoid"); }, {}}},
      {"Softmax", {Softmax, {"axis"}}},
      {"Tanh", {[](auto& n, auto& c) { return Unary(n, c, "tanh"); }, {}}},
      {"Transpose", {Transpose, {"perm"}}},
      {"Upsample", {Upsample, {"mode", "scales"}}},
  };
  return *imports;
}

}  // namespace tessera::onnx_import
