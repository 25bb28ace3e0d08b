// The ONNX project's own backend node tests (Debian libonnx-testdata) for
// every op type the importer claims: each test's model.onnx is imported,
// run on its test_data_set_*/input_*.pb and compared with output_*.pb
// (|a - b| <= 1e-5 + 1e-3 |b|; ONNX's runner uses rtol 1e-3). The table
// of op type / passed / total / why each other test fails must equal the
// committed onnx/SUITE.md, so a regression (or an improvement) shows up as
// a diff; `bazel run //onnx:suite_test -- --update` rewrites it.
//
// Inputs that Tessera needs as constants (a Reshape shape, Resize scales,
// a non-transposed Gemm B, ...) are graph inputs in these tests; the runner
// binds them to the test's values as initializers and the table counts
// those tests separately ("bound").
//
// Integer and bool outputs (MaxPool's Indices, Dropout's mask), which
// Tessera holds as float32, must equal the expected values exactly.
// A Dropout that drops at random (training_mode true, ratio > 0) cannot
// reproduce the expected values, which NumPy's generator drew: those tests
// are checked by property instead (see PropertyOfRandomDropout), and the
// table lists them.

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/status_macros.h"
#include "onnx/importer.h"
#include "onnx/onnx_tensor.h"

namespace tessera::onnx_import {
namespace {

namespace fs = std::filesystem;
constexpr char kNodeTests[] = "/usr/share/libonnx-testdata/data/node";

struct Outcome {
  bool passed = false;
  bool bound = false;        // some inputs were bound as constants
  std::string why;           // failure reason
  bool by_property = false;  // checked by property, not by value
};

absl::StatusOr<onnx::TensorProto> ReadTensorFile(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream bytes;
  bytes << f.rdbuf();
  onnx::TensorProto t;
  if (!f || !t.ParseFromString(bytes.str())) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read ", path.string()));
  }
  return t;
}

// The text after "(Op): " of an importer error, without the model path.
std::string Reason(const absl::Status& status) {
  std::string m(status.message());
  const size_t node = m.find("): ");
  if (node != std::string::npos) m = m.substr(node + 3);
  const size_t colon = m.find("model.onnx: ");
  if (colon != std::string::npos) m = m.substr(colon + 12);
  const size_t list = m.find(" (supported: ");
  if (list != std::string::npos) m = m.substr(0, list);
  if (m.size() > 140) m = m.substr(0, 137) + "...";
  for (char& c : m) {
    if (c == '|' || c == '\n') c = ' ';
  }
  return m;
}

// The ONNX input named in "input 'x' must be a constant", or "".
std::string ConstantNeeded(const absl::Status& status) {
  const std::string m(status.message());
  const std::string key = "(input '";
  const size_t at = m.find(key);
  if (at == std::string::npos || m.find("must be a", at) == std::string::npos) return "";
  const size_t end = m.find('\'', at + key.size());
  return m.substr(at + key.size(), end - at - key.size());
}

// The Tessera dropout node that drops at random (force_training, rate > 0),
// if the graph has one.
const NodeDef* RandomDropout(const GraphDef& def) {
  for (const NodeDef& node : def.node()) {
    if (node.op() != "dropout") continue;
    auto force = node.attr().find("force_training");
    auto rate = node.attr().find("rate");
    if (force != node.attr().end() && force->second.b() && rate != node.attr().end() &&
        rate->second.f() > 0) {
      return &node;
    }
  }
  return nullptr;
}

// For a random dropout y = dropout(x) with mask m, instead of the values:
// y and m have the expected shapes; every m is 0 or 1; where m is 1,
// y = x / (1 - ratio) (within the suite's tolerance), where it is 0, y = 0;
// and the number kept is within 4 binomial standard deviations of
// n (1 - ratio). Returns "" when it holds.
std::string PropertyOfRandomDropout(const NodeDef& node, const GraphDef& def,
                                    const std::map<std::string, Tensor>& feeds, Executor& executor,
                                    const std::vector<OnnxTensor>& expected) {
  auto x_feed = feeds.find(node.input(0));
  if (x_feed == feeds.end()) return "the dropout's input is not a graph input";
  const std::vector<float> x = x_feed->second.ToVector();
  const double rate = node.attr().at("rate").f();
  const float scale = static_cast<float>(1.0 / (1.0 - rate));
  std::vector<float> y, mask;
  for (int k = 0; k < def.output_size(); ++k) {
    absl::StatusOr<Tensor> got = executor.Value(def.output(k));
    if (!got.ok()) return Reason(got.status());
    if (got->shape() != expected[k].dims) return "output shape differs";
    if (def.output(k) == node.name()) {
      y = got->ToVector();
    } else if (def.output(k) == OutputName(node.name(), 1)) {
      mask = got->ToVector();
      if (expected[k].is_float) return "the expected mask is not bool";
    } else {
      return "an output other than the dropout's";
    }
  }
  if (y.size() != x.size()) return "y is not an output";
  int64_t kept = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    const float want = x[i] * scale;
    const bool is_kept = std::fabs(y[i] - want) <= 1e-5f + 1e-3f * std::fabs(want);
    const bool is_dropped = y[i] == 0.0f;
    if (!is_kept && !is_dropped) {
      return absl::StrCat("value ", i, " is ", y[i], ", neither 0 nor x / (1 - ratio) = ", want);
    }
    if (!mask.empty()) {
      if (mask[i] != 0.0f && mask[i] != 1.0f) return absl::StrCat("mask ", i, " is ", mask[i]);
      if (mask[i] == 1.0f ? !is_kept : !is_dropped) {
        return absl::StrCat("mask ", i, " is ", mask[i], " but value ", i, " is ", y[i]);
      }
    }
    kept += mask.empty() ? (is_kept && y[i] != 0.0f) : mask[i] == 1.0f;
  }
  const double n = static_cast<double>(x.size()), mean = n * (1.0 - rate);
  const double sd = std::sqrt(n * rate * (1.0 - rate));
  if (std::fabs(kept - mean) > 4 * sd) {
    return absl::StrCat(kept, " of ", x.size(), " kept, expected about ", mean);
  }
  return "";
}

Outcome RunTest(const fs::path& dir) {
  Outcome outcome;
  absl::StatusOr<onnx::ModelProto> model = ReadModelFile((dir / "model.onnx").string());
  if (!model.ok()) return {false, false, Reason(model.status())};
  // The test data sets, in order.
  std::vector<fs::path> sets;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory()) sets.push_back(entry.path());
  }
  std::sort(sets.begin(), sets.end());
  if (sets.empty()) return {false, false, "no test data"};
  // Graph inputs, as the data sets number them.
  std::vector<std::string> inputs;
  std::set<std::string> initializers;
  for (const auto& init : model->graph().initializer()) initializers.insert(init.name());
  for (const auto& in : model->graph().input()) {
    if (!initializers.count(in.name())) inputs.push_back(in.name());
  }
  auto input_proto = [&](const fs::path& set,
                         const std::string& name) -> absl::StatusOr<onnx::TensorProto> {
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i] == name) {
        TS_ASSIGN_OR_RETURN(onnx::TensorProto t,
                            ReadTensorFile(set / absl::StrCat("input_", i, ".pb")));
        t.set_name(name);
        return t;
      }
    }
    return absl::NotFoundError(name);
  };

  for (const fs::path& set : sets) {
    onnx::ModelProto bound_model = *model;
    std::set<std::string> bound;
    // Integer inputs can only be constants for Tessera.
    for (const auto& in : model->graph().input()) {
      if (!initializers.count(in.name()) && in.type().has_tensor_type() &&
          in.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT) {
        absl::StatusOr<onnx::TensorProto> t = input_proto(set, in.name());
        if (!t.ok()) return {false, false, Reason(t.status())};
        *bound_model.mutable_graph()->add_initializer() = *t;
        bound.insert(in.name());
      }
    }
    absl::StatusOr<GraphDef> def;
    for (;;) {
      def = ImportModel(bound_model, "model.onnx", dir.string());
      const std::string needed = def.ok() ? "" : ConstantNeeded(def.status());
      if (needed.empty() || bound.count(needed)) break;
      absl::StatusOr<onnx::TensorProto> t = input_proto(set, needed);
      if (!t.ok()) break;
      *bound_model.mutable_graph()->add_initializer() = *t;
      bound.insert(needed);
    }
    if (!def.ok()) return {false, !bound.empty(), Reason(def.status())};
    outcome.bound = !bound.empty();
    absl::StatusOr<Graph> graph = Graph::Build(*def);
    if (!graph.ok()) return {false, outcome.bound, Reason(graph.status())};
    ParameterStore params = ParameterStore::Initialize(*graph, 0, Device::kCpu);
    std::map<std::string, Tensor> feeds;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (bound.count(inputs[i])) continue;
      absl::StatusOr<onnx::TensorProto> proto =
          ReadTensorFile(set / absl::StrCat("input_", i, ".pb"));
      if (!proto.ok()) return {false, outcome.bound, Reason(proto.status())};
      absl::StatusOr<OnnxTensor> t = ReadTensor(*proto, "");
      if (!t.ok() || !t->is_float) return {false, outcome.bound, "input is not float"};
      feeds[def->input(static_cast<int>(feeds.size())).name()] =
          Tensor::FromVector(t->dims, t->floats);
    }
    absl::StatusOr<std::unique_ptr<Executor>> created = Executor::Create(*graph, params);
    if (!created.ok()) return {false, outcome.bound, Reason(created.status())};
    Executor& executor = **created;
    absl::Status run = executor.Forward(feeds, /*training=*/false);
    if (!run.ok()) return {false, outcome.bound, Reason(run)};
    std::vector<OnnxTensor> expected;
    for (int k = 0; k < def->output_size(); ++k) {
      absl::StatusOr<onnx::TensorProto> proto =
          ReadTensorFile(set / absl::StrCat("output_", k, ".pb"));
      if (!proto.ok()) return {false, outcome.bound, Reason(proto.status())};
      absl::StatusOr<OnnxTensor> want = ReadTensor(*proto, "");
      if (!want.ok()) return {false, outcome.bound, Reason(want.status())};
      expected.push_back(*std::move(want));
    }
    if (const NodeDef* dropout = RandomDropout(*def)) {
      const std::string broken = PropertyOfRandomDropout(*dropout, *def, feeds, executor, expected);
      if (!broken.empty()) return {false, outcome.bound, "by property: " + broken};
      outcome.by_property = true;
      continue;
    }
    for (int k = 0; k < def->output_size(); ++k) {
      const OnnxTensor* want = &expected[k];
      absl::StatusOr<Tensor> got = executor.Value(def->output(k));
      if (!got.ok()) return {false, outcome.bound, Reason(got.status())};
      if (got->shape() != want->dims) {
        return {false, outcome.bound,
                absl::StrCat("output shape ", ShapeToString(got->shape()), ", expected ",
                             ShapeToString(want->dims))};
      }
      const std::vector<float> values = got->ToVector();
      if (!want->is_float) {
        // Indices and masks: exact.
        for (size_t i = 0; i < values.size(); ++i) {
          if (static_cast<double>(values[i]) != static_cast<double>(want->ints[i])) {
            return {false, outcome.bound,
                    absl::StrCat("value ", i, " is ", values[i], ", expected ", want->ints[i])};
          }
        }
        continue;
      }
      for (size_t i = 0; i < values.size(); ++i) {
        const float ref = want->floats[i];
        if (!(std::fabs(values[i] - ref) <= 1e-5f + 1e-3f * std::fabs(ref))) {
          return {false, outcome.bound,
                  absl::StrCat("value ", i, " is ", values[i], ", expected ", ref)};
        }
      }
    }
  }
  outcome.passed = true;
  return outcome;
}

// The op type a test exercises: its one op type, or else the claimed op
// whose lowercase name its directory name starts with (the longest).
std::string OpTypeOf(const fs::path& dir, const std::vector<std::string>& claimed) {
  absl::StatusOr<onnx::ModelProto> model = ReadModelFile((dir / "model.onnx").string());
  if (model.ok()) {
    std::set<std::string> ops;
    for (const auto& node : model->graph().node()) ops.insert(node.op_type());
    if (ops.size() == 1 &&
        std::find(claimed.begin(), claimed.end(), *ops.begin()) != claimed.end()) {
      return *ops.begin();
    }
  }
  const std::string name = dir.filename().string();
  std::string best;
  for (std::string op : claimed) {
    std::string lower;
    for (char c : op) lower.push_back(std::tolower(c));
    if (lower == "batchnormalization") lower = "batchnorm";
    const std::string prefix = "test_" + lower;
    if (absl::StartsWith(name, prefix) &&
        (name.size() == prefix.size() || name[prefix.size()] == '_') && op.size() > best.size()) {
      best = op;
    }
  }
  return best;
}

// Why a test attributed to `op` by its name is no test of `op`, or "": a
// function's expanded form (test_softmax_*_expanded) has no `op` node, only
// the ops of its body, and tests those when Tessera does not claim them all.
std::string ExclusionOf(const fs::path& dir, const std::string& op,
                        const std::vector<std::string>& claimed) {
  absl::StatusOr<onnx::ModelProto> model = ReadModelFile((dir / "model.onnx").string());
  if (!model.ok()) return "";
  std::set<std::string> ops, unclaimed;
  for (const auto& node : model->graph().node()) ops.insert(node.op_type());
  if (ops.count(op)) return "";
  for (const std::string& o : ops) {
    if (std::find(claimed.begin(), claimed.end(), o) == claimed.end()) unclaimed.insert(o);
  }
  if (unclaimed.empty()) return "";
  return absl::StrCat("excluded: no ", op, " node; it tests the expanded function's ops, of which ",
                      absl::StrJoin(unclaimed, ", "), " are not claimed");
}

std::string MakeTable() {
  const std::vector<std::string> claimed = SupportedOnnxOps();
  std::vector<fs::path> dirs;
  for (const auto& entry : fs::directory_iterator(kNodeTests)) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  struct Row {
    int passed = 0, total = 0, bound = 0;
    std::vector<std::string> failures;
  };
  std::vector<std::string> by_property;
  std::map<std::string, Row> rows;
  for (const std::string& op : claimed) rows[op];
  for (const fs::path& dir : dirs) {
    const std::string op = OpTypeOf(dir, claimed);
    if (op.empty()) continue;
    Row& row = rows[op];
    const std::string excluded = ExclusionOf(dir, op, claimed);
    const Outcome o = excluded.empty() ? RunTest(dir) : Outcome{false, false, excluded};
    ++row.total;
    if (o.passed) {
      ++row.passed;
      row.bound += o.bound;
      if (o.by_property) by_property.push_back(dir.filename().string());
    } else {
      row.failures.push_back(absl::StrCat(dir.filename().string(), ": ", o.why));
    }
  }
  int passed = 0, total = 0;
  std::string table =
      "# ONNX backend node tests (libonnx-testdata 1.12)\n\n"
      "Generated by `bazel run //onnx:suite_test -- --update`; `bazel test //onnx:suite_test`\n"
      "fails when the results differ from this file. \"bound\": passing tests whose\n"
      "constant-only inputs (shape, scales, a non-transposed Gemm B, Dropout's ratio and\n"
      "training_mode) the runner bound to the test's values as initializers.\n"
      "Tolerance |a - b| <= 1e-5 + 1e-3 |b|; integer and bool outputs (MaxPool Indices,\n"
      "Dropout mask) must match exactly.\n\n"
      "| op type | passed | total | bound | why the others fail or are excluded |\n"
      "|---|---|---|---|---|\n";
  for (const auto& [op, row] : rows) {
    passed += row.passed;
    total += row.total;
    absl::StrAppend(&table, "| ", op, " | ", row.passed, " | ", row.total, " | ", row.bound, " | ",
                    absl::StrJoin(row.failures, "<br>"), " |\n");
  }
  absl::StrAppend(&table, "| **all** | ", passed, " | ", total, " | | |\n");
  if (!by_property.empty()) {
    absl::StrAppend(
        &table, "\nChecked by property, not by value (", by_property.size(),
        " passing tests above): a Dropout that drops at random (training_mode true, ratio > 0). "
        "The expected outputs come from NumPy's generator (np.random.seed(0), kept where "
        "uniform(0, 1) >= ratio), which Tessera's own "
        "(splitmix64; ONNX leaves the generator to the runtime) cannot reproduce, so they are "
        "not compared. Checked instead: the shapes; "
        "every mask value is 0 or 1; where the mask is 1 the output is x / (1 - ratio) (within "
        "the tolerance above), where it is 0 the output is 0 (without a mask output: every "
        "output is one of the two); and the number kept is within 4 binomial standard "
        "deviations of n (1 - ratio): ",
        absl::StrJoin(by_property, ", "), ".\n");
  }
  return table;
}

}  // namespace
}  // namespace tessera::onnx_import

int main(int argc, char** argv) {
  const bool update = argc > 1 && std::string(argv[1]) == "--update";
  const std::string table = tessera::onnx_import::MakeTable();
  printf("%s", table.c_str());
  if (update) {
    const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
    const std::string path = std::string(workspace ? workspace : ".") + "/onnx/SUITE.md";
    std::ofstream(path) << table;
    fprintf(stderr, "wrote %s\n", path.c_str());
    return 0;
  }
  std::ifstream committed("onnx/SUITE.md");
  std::stringstream text;
  text << committed.rdbuf();
  if (text.str() != table) {
    fprintf(stderr,
            "FAIL: the results differ from onnx/SUITE.md (above: this run). If the change is "
            "intended, run: bazel run //onnx:suite_test -- --update\n");
    return 1;
  }
  fprintf(stderr, "PASS: results match onnx/SUITE.md\n");
  return 0;
}
