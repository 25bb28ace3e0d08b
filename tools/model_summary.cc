#include "tools/model_summary.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/flops.h"

namespace tessera {

std::string WithThousands(int64_t n) {
  const bool negative = n < 0;
  std::string digits =
      std::to_string(negative ? -static_cast<uint64_t>(n) : static_cast<uint64_t>(n));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

std::string HumanFlops(double flops) {
  if (flops >= 1e12) return absl::StrFormat("%.2f TFLOP", flops / 1e12);
  if (flops >= 1e9) return absl::StrFormat("%.2f GFLOP", flops / 1e9);
  return absl::StrFormat("%.2f MFLOP", flops / 1e6);
}

absl::StatusOr<GraphSummary> SummarizeGraph(const Graph& graph, int64_t batch) {
  if (batch < 1)
    return absl::InvalidArgumentError(absl::StrCat("batch must be at least 1, got ", batch));
  TS_ASSIGN_OR_RETURN(auto shapes, graph.InferShapes(batch));
  GraphSummary s;
  s.graph_name = graph.def().name();
  s.batch = batch;
  for (const InputDef& input : graph.def().input()) {
    NodeSummary row;
    row.name = input.name();
    row.op = "input";
    row.output_shapes.push_back(shapes.at(input.name()));
    s.inputs.push_back(std::move(row));
  }
  std::set<std::string> counted;
  std::set<std::string> unknown;
  for (const Node& node : graph.nodes()) {
    NodeSummary row;
    row.name = node.name;
    row.op = node.schema->name();
    std::vector<Shape> in, out;
    for (const std::string& name : node.inputs) {
      in.push_back(shapes.at(name));
      if (graph.IsParameter(name) && counted.insert(name).second) {
        row.params += NumElements(shapes.at(name));
        row.param_names.push_back(name);
      }
    }
    for (const std::string& name : node.outputs) out.push_back(shapes.at(name));
    const OpFlops f = ForwardFlops(row.op, node.attrs, in, out);
    row.flops = f.flops;
    row.flops_known = f.known;
    if (!f.known) unknown.insert(row.op);
    row.output_shapes = out;
    s.total_flops += row.flops;
    s.nodes.push_back(std::move(row));
  }
  for (const ParameterDef& p : graph.def().parameter()) {
    const int64_t n = NumElements(Shape(p.shape().begin(), p.shape().end()));
    s.total_params += n;
    if (!p.frozen()) s.trainable_params += n;
    if (!counted.count(p.name())) s.unused_params += n;
  }
  s.unknown_flop_ops.assign(unknown.begin(), unknown.end());
  return s;
}

std::string FormatSummary(const GraphSummary& s) {
  struct Row {
    std::string index, name, op, shape, params, flops, share;
  };
  std::vector<Row> rows;
  rows.push_back({"#", "node", "op", "output shape", "params", "FLOPs", "FLOPs %"});
  for (const NodeSummary& n : s.inputs) {
    rows.push_back({"", n.name, n.op, ShapeToString(n.output_shapes[0]), "", "", ""});
  }
  for (size_t i = 0; i < s.nodes.size(); ++i) {
    const NodeSummary& n = s.nodes[i];
    std::vector<std::string> shapes;
    for (const Shape& shape : n.output_shapes) shapes.push_back(ShapeToString(shape));
    std::string share;
    if (n.flops_known && s.total_flops > 0)
      share = absl::StrFormat("%.1f%%", 100.0 * n.flops / s.total_flops);
    rows.push_back(
        {std::to_string(i), n.name, n.op, absl::StrJoin(shapes, " "), WithThousands(n.params),
         n.flops_known ? WithThousands(static_cast<int64_t>(std::llround(n.flops))) : "?", share});
  }
  size_t w[7] = {0, 0, 0, 0, 0, 0, 0};
  for (const Row& r : rows) {
    const std::string* cells[7] = {&r.index,  &r.name,  &r.op,   &r.shape,
                                   &r.params, &r.flops, &r.share};
    for (int k = 0; k < 7; ++k) w[k] = std::max(w[k], cells[k]->size());
  }
  std::string out = absl::StrCat("Graph '", s.graph_name, "', batch ", s.batch, "\n\n");
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    std::string line =
        absl::StrFormat("%*s  %-*s  %-*s  %-*s  %*s  %*s  %*s", w[0], r.index, w[1], r.name, w[2],
                        r.op, w[3], r.shape, w[4], r.params, w[5], r.flops, w[6], r.share);
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&out, line, "\n");
    if (i == 0) {
      absl::StrAppend(&out, std::string(w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + 12, '-'),
                      "\n");
    }
  }
  absl::StrAppend(&out, "\n");
  absl::StrAppend(&out, absl::StrFormat("Parameters: %s (%.2f M); trainable %s, frozen %s\n",
                                        WithThousands(s.total_params), s.total_params / 1e6,
                                        WithThousands(s.trainable_params),
                                        WithThousands(s.total_params - s.trainable_params)));
  if (s.unused_params > 0) {
    absl::StrAppend(&out, "  of which ", WithThousands(s.unused_params),
                    " in parameters that no node reads\n");
  }
  const int64_t total = static_cast<int64_t>(std::llround(s.total_flops));
  absl::StrAppend(
      &out,
      absl::StrFormat("Forward FLOPs: %s (%s) for a batch of %d; %s (%s) per image\n",
                      WithThousands(total), HumanFlops(s.total_flops), s.batch,
                      WithThousands(static_cast<int64_t>(std::llround(s.total_flops / s.batch))),
                      HumanFlops(s.total_flops / s.batch)));
  absl::StrAppend(&out,
                  "(a multiply-add counts as 2 FLOPs; bias additions are not counted; "
                  "a training step costs about 3x the forward pass)\n");
  if (!s.unknown_flop_ops.empty()) {
    absl::StrAppend(&out, "No FLOP formula (counted as 0, shown as ?) for: ",
                    absl::StrJoin(s.unknown_flop_ops, ", "), "\n");
  }
  return out;
}

}  // namespace tessera
