// Every op against an independent implementation: PyTorch.
//
// tools/golden/make_golden.py ran each case of ops/<op>/golden.py in
// PyTorch (float64, rounded to float32) and left in ops/<op>/golden/<case>/
// the inputs (in<i>.npy), the outputs (out<k>.npy), a fixed output gradient
// for every output (dout<k>.npy) and the gradient it back-propagates to every
// differentiable input (din<i>.npy); ops/<op>/golden/manifest.txt lists the
// op's cases with their attributes. This test needs no torch: for every case it
//   1. resolves the attributes through the op's schema and runs the CPU
//      forward kernel (RunOpForward) on the golden inputs;
//   2. compares every output with PyTorch's;
//   3. runs the CPU gradient kernel on the golden output gradients, with a
//      context that says training as the executor's backward context does
//      (ops decide their gradient mode from what the forward saved), and
//      compares every input gradient with PyTorch's.
// Agreement: |tessera - pytorch| <= 1e-4 + 1e-4 * |pytorch| per element.
// Tessera computes in float32 against a float64 reference rounded to
// float32; for the small shapes here (sums of at most a few hundred terms of
// magnitude ~1) float32 accumulation error stays near 1e-6, so 1e-4 catches
// every formula or indexing mistake while leaving room for summation order.
//
// Each case's maximum absolute error is recorded as the test property
// max_abs_error, and a summary of every case compared with its error, and
// the largest error overall, is printed after the tests run.

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/backend.h"
#include "core/gradient_check.h"
#include "core/kernel_registry.h"
#include "core/npy.h"
#include "core/op_registry.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

constexpr double kAbsTol = 1e-4;
constexpr double kRelTol = 1e-4;

// Registered ops with no golden case, each with the reason. Must name
// exactly the registered ops that the manifest leaves out.
const std::map<std::string, std::string>& ExemptOps() {
  static const auto* exempt = new std::map<std::string, std::string>{};
  return *exempt;
}

// Modes of covered ops that are not compared, for the summary.
constexpr char kNotCompared[] =
    "dropout in training with rate > 0 (its mask comes from Tessera's own splitmix64 "
    "stream, which PyTorch cannot reproduce; eval mode and rate 0 are compared)";

struct GoldenCase {
  std::string op;
  std::string name;  // files in <op>/<name>/
  bool training = true;
  int num_inputs = -1;
  int num_outputs = -1;
  std::vector<int> grad_inputs;
  std::map<std::string, AttrValue> attrs;
  std::string note;
  int line = 0;

  std::string Id() const { return absl::StrCat(op, "/", name); }
  std::string Dir() const { return absl::StrCat("ops/", op, "/golden/", name); }
};

// gtest prints the parameter of a failed case with this.
void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.Id(); }

struct Manifest {
  std::string torch_version = "unknown";
  std::vector<GoldenCase> cases;
};

bool ValidName(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

absl::StatusOr<AttrValue> ParseAttr(const std::string& type, const std::vector<std::string>& v) {
  auto one = [&]() -> absl::Status {
    if (v.size() != 1) return absl::InvalidArgumentError(absl::StrCat(type, " takes one value"));
    return absl::OkStatus();
  };
  if (type == "int") {
    TS_RETURN_IF_ERROR(one());
    int64_t i;
    if (!absl::SimpleAtoi(v[0], &i)) return absl::InvalidArgumentError("bad int " + v[0]);
    return IntAttr(i);
  }
  if (type == "float") {
    TS_RETURN_IF_ERROR(one());
    double d;
    if (!absl::SimpleAtod(v[0], &d)) return absl::InvalidArgumentError("bad float " + v[0]);
    return FloatAttr(static_cast<float>(d));
  }
  if (type == "bool") {
    TS_RETURN_IF_ERROR(one());
    if (v[0] != "true" && v[0] != "false") return absl::InvalidArgumentError("bad bool " + v[0]);
    return BoolAttr(v[0] == "true");
  }
  if (type == "string") {
    TS_RETURN_IF_ERROR(one());
    return StringAttr(v[0]);
  }
  if (type == "ints") {
    std::vector<int64_t> out;
    for (const std::string& s : v) {
      int64_t i;
      if (!absl::SimpleAtoi(s, &i)) return absl::InvalidArgumentError("bad int " + s);
      out.push_back(i);
    }
    return IntsAttr(out);
  }
  if (type == "floats") {
    std::vector<float> out;
    for (const std::string& s : v) {
      double d;
      if (!absl::SimpleAtod(s, &d)) return absl::InvalidArgumentError("bad float " + s);
      out.push_back(static_cast<float>(d));
    }
    return FloatsAttr(out);
  }
  return absl::InvalidArgumentError("unknown attribute type '" + type + "'");
}

absl::StatusOr<Manifest> ParseManifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  Manifest m;
  std::set<std::string> ids;
  GoldenCase* current = nullptr;
  auto finish = [&]() -> absl::Status {
    if (current == nullptr) return absl::OkStatus();
    if (current->num_inputs < 1 || current->num_outputs < 1) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", current->line, ": case ",
                                                     current->Id(), " lacks inputs/outputs"));
    }
    for (int i : current->grad_inputs) {
      if (i < 0 || i >= current->num_inputs) {
        return absl::InvalidArgumentError(absl::StrCat(path, ":", current->line, ": case ",
                                                       current->Id(), " grad input ", i,
                                                       " out of range"));
      }
    }
    current = nullptr;
    return absl::OkStatus();
  };
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string text(absl::StripAsciiWhitespace(line));
    auto error = [&](const std::string& what) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", n, ": ", what, ": '", text, "'"));
    };
    if (text.empty()) {
      TS_RETURN_IF_ERROR(finish());
      continue;
    }
    if (text[0] == '#') {
      const std::string prefix = "# with torch ";
      if (text.rfind(prefix, 0) == 0) {
        m.torch_version = std::string(absl::StripSuffix(
            std::vector<std::string>(absl::StrSplit(text.substr(prefix.size()), ' '))[0], ","));
      }
      continue;
    }
    std::vector<std::string> words = absl::StrSplit(text, ' ', absl::SkipEmpty());
    const std::string key = words[0];
    if (key == "case") {
      TS_RETURN_IF_ERROR(finish());
      if (words.size() != 3 || !ValidName(words[1]) || !ValidName(words[2])) {
        return error("expected 'case <op> <name>'");
      }
      m.cases.emplace_back();
      current = &m.cases.back();
      current->op = words[1];
      current->name = words[2];
      current->line = n;
      if (!ids.insert(current->Id()).second) return error("duplicate case");
      continue;
    }
    if (current == nullptr) return error("line outside a case block");
    if (key == "note") {
      current->note = text.substr(4);
    } else if (key == "training") {
      if (words.size() != 2 || (words[1] != "true" && words[1] != "false")) {
        return error("expected 'training true|false'");
      }
      current->training = words[1] == "true";
    } else if (key == "inputs" || key == "outputs") {
      int v;
      if (words.size() != 2 || !absl::SimpleAtoi(words[1], &v) || v < 1) {
        return error("expected a positive count");
      }
      (key == "inputs" ? current->num_inputs : current->num_outputs) = v;
    } else if (key == "grad_inputs") {
      for (size_t i = 1; i < words.size(); ++i) {
        int v;
        if (!absl::SimpleAtoi(words[i], &v)) return error("bad input index");
        current->grad_inputs.push_back(v);
      }
    } else if (key == "attr") {
      if (words.size() < 3) return error("expected 'attr <name> <type> <values>'");
      absl::StatusOr<AttrValue> value =
          ParseAttr(words[2], std::vector<std::string>(words.begin() + 3, words.end()));
      if (!value.ok()) return error(std::string(value.status().message()));
      if (!current->attrs.emplace(words[1], *value).second) return error("duplicate attribute");
    } else {
      return error("unknown key");
    }
  }
  TS_RETURN_IF_ERROR(finish());
  return m;
}

// Every registered op's ops/<op>/golden/manifest.txt, where it has one.
absl::StatusOr<Manifest> LoadManifests() {
  Manifest all;
  for (const std::string& op : OpRegistry::Global().Names()) {
    const std::string path = absl::StrCat("ops/", op, "/golden/manifest.txt");
    if (!std::ifstream(path).good()) continue;
    TS_ASSIGN_OR_RETURN(Manifest m, ParseManifest(path));
    all.torch_version = m.torch_version;
    all.cases.insert(all.cases.end(), m.cases.begin(), m.cases.end());
  }
  return all;
}

const absl::StatusOr<Manifest>& LoadedManifest() {
  static const auto* manifest = new absl::StatusOr<Manifest>(LoadManifests());
  return *manifest;
}

std::vector<GoldenCase> AllCases() {
  const auto& m = LoadedManifest();
  return m.ok() ? m->cases : std::vector<GoldenCase>{};
}

// Per-case results, for the summary.
struct CaseResult {
  double forward_max_abs = 0;   // over every output element
  double gradient_max_abs = 0;  // over every input-gradient element
  std::string worst_where;      // the tensor holding the larger of the two
  bool passed = false;
};
std::map<std::string, CaseResult>& Results() {
  static auto* results = new std::map<std::string, CaseResult>();
  return *results;
}

// Compares `actual` with the golden tensor; returns the max abs error and
// reports up to 5 mismatching elements.
double Compare(const Tensor& actual, const Tensor& golden, const std::string& what) {
  EXPECT_EQ(ShapeToString(actual.shape()), ShapeToString(golden.shape())) << what << ": shape";
  if (actual.shape() != golden.shape()) return INFINITY;
  const std::vector<float> a = actual.ToVector(), g = golden.ToVector();
  double max_abs = 0;
  int reported = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double err = std::fabs(static_cast<double>(a[i]) - g[i]);
    const double tol = kAbsTol + kRelTol * std::fabs(static_cast<double>(g[i]));
    max_abs = std::isnan(err) ? INFINITY : std::max(max_abs, err);
    if (!(err <= tol) && reported++ < 5) {
      ADD_FAILURE() << what << "[" << i << "]: tessera " << absl::StrFormat("%.9g", a[i])
                    << ", pytorch " << absl::StrFormat("%.9g", g[i]) << ", |diff| "
                    << absl::StrFormat("%.3g", err) << " > tolerance "
                    << absl::StrFormat("%.3g", tol);
    }
  }
  return max_abs;
}

class GoldenTest : public testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTest, MatchesPyTorch) {
  const GoldenCase& c = GetParam();
  SCOPED_TRACE(absl::StrCat(c.Id(), " (manifest line ", c.line, ")"));
  CaseResult& result = Results()[c.Id()];
  const OpSchema* schema = OpRegistry::Global().Find(c.op);
  ASSERT_NE(schema, nullptr) << "op '" << c.op << "' is not registered";
  absl::StatusOr<Attrs> attrs = schema->ResolveAttrs(c.attrs);
  ASSERT_TRUE(attrs.ok()) << attrs.status();
  ASSERT_GE(c.num_inputs, schema->min_inputs());
  ASSERT_LE(c.num_inputs, schema->max_inputs());

  auto read = [&](const std::string& file) -> Tensor {
    absl::StatusOr<Tensor> t = ReadNpy(absl::StrCat(c.Dir(), "/", file));
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : Tensor();
  };
  std::vector<Tensor> inputs;
  for (int i = 0; i < c.num_inputs; ++i) {
    inputs.push_back(read(absl::StrCat("in", i, ".npy")));
    ASSERT_TRUE(inputs.back().defined());
  }

  // The manifest's gradient inputs are exactly the schema's differentiable ones.
  std::vector<int> differentiable;
  for (int i = 0; i < c.num_inputs; ++i) {
    if (schema->inputs()[i].differentiable) differentiable.push_back(i);
  }
  ASSERT_EQ(absl::StrJoin(c.grad_inputs, ","), absl::StrJoin(differentiable, ","))
      << "grad_inputs in the manifest differ from the schema's differentiable inputs";

  // 1-2. Forward.
  const uint64_t seed = 7;
  absl::StatusOr<OpRun> run = RunOpForward(c.op, *attrs, inputs, Device::kCpu, c.training, seed);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_EQ(static_cast<int>(run->outputs.size()), c.num_outputs);
  std::vector<Tensor> output_grads;
  for (int k = 0; k < c.num_outputs; ++k) {
    const Tensor golden = read(absl::StrCat("out", k, ".npy"));
    ASSERT_TRUE(golden.defined());
    const double err = Compare(run->outputs[k], golden, absl::StrCat("output ", k));
    if (err >= result.forward_max_abs) {
      result.forward_max_abs = err;
      if (err >= result.gradient_max_abs) result.worst_where = absl::StrCat("out", k);
    }
    output_grads.push_back(read(absl::StrCat("dout", k, ".npy")));
    ASSERT_TRUE(output_grads.back().defined());
    ASSERT_EQ(output_grads.back().shape(), run->outputs[k].shape()) << "dout" << k << " shape";
  }

  // 3. Gradient, with a context like the executor's backward one.
  absl::StatusOr<const KernelDef*> kernel = KernelRegistry::Global().Find(c.op, Device::kCpu);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  std::vector<Tensor> input_grads(inputs.size());
  for (int i : c.grad_inputs) input_grads[i] = Tensor::Empty(inputs[i].shape());
  KernelContext ctx{*attrs, *GetBackend(Device::kCpu), /*training=*/true, seed, run->saved};
  GradientArgs args{inputs, run->outputs, output_grads, input_grads};
  const absl::Status status = (*kernel)->gradient(ctx, args);
  ASSERT_TRUE(status.ok()) << status;
  for (int i : c.grad_inputs) {
    const Tensor golden = read(absl::StrCat("din", i, ".npy"));
    ASSERT_TRUE(golden.defined());
    const double err =
        Compare(input_grads[i], golden,
                absl::StrCat("gradient of input ", i, " ('", schema->inputs()[i].name, "')"));
    if (err >= result.gradient_max_abs) {
      result.gradient_max_abs = err;
      if (err >= result.forward_max_abs) result.worst_where = absl::StrCat("din", i);
    }
  }
  const double worst = std::max(result.forward_max_abs, result.gradient_max_abs);
  RecordProperty("max_abs_error", absl::StrFormat("%.3g", worst));
  result.passed = !HasFailure();
  std::cout << "[golden] " << c.Id() << ": max abs error " << absl::StrFormat("%.3g", worst) << " ("
            << result.worst_where << ")\n";
}

std::string CaseTestName(const testing::TestParamInfo<GoldenCase>& info) {
  return absl::StrCat(info.param.op, "__", info.param.name);
}

INSTANTIATE_TEST_SUITE_P(PyTorch, GoldenTest, testing::ValuesIn(AllCases()), CaseTestName);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(GoldenTest);

TEST(GoldenManifest, Loads) {
  const auto& m = LoadedManifest();
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_FALSE(m->cases.empty());
}

TEST(GoldenManifest, EveryCaseOpIsRegistered) {
  const auto& m = LoadedManifest();
  ASSERT_TRUE(m.ok()) << m.status();
  for (const GoldenCase& c : m->cases) {
    EXPECT_NE(OpRegistry::Global().Find(c.op), nullptr)
        << "manifest case " << c.Id() << " names op '" << c.op << "', which is not registered";
    EXPECT_TRUE(KernelRegistry::Global().Has(c.op, Device::kCpu))
        << "op '" << c.op << "' has no CPU kernel";
  }
}

TEST(GoldenManifest, EveryRegisteredOpHasACaseOrAnExemption) {
  const auto& m = LoadedManifest();
  ASSERT_TRUE(m.ok()) << m.status();
  std::set<std::string> covered;
  for (const GoldenCase& c : m->cases) covered.insert(c.op);
  const std::vector<std::string> registered = OpRegistry::Global().Names();
  ASSERT_FALSE(registered.empty()) << "no op registered: is //ops:all_ops linked?";
  std::vector<std::string> uncovered;
  for (const std::string& op : registered) {
    if (covered.count(op) == 0) uncovered.push_back(op);
  }
  std::cout << "[golden] registered ops without a golden case: "
            << (uncovered.empty() ? "none" : absl::StrJoin(uncovered, ", ")) << "\n";
  for (const std::string& op : uncovered) {
    auto it = ExemptOps().find(op);
    EXPECT_NE(it, ExemptOps().end())
        << "op '" << op << "' is registered but has no golden case: add ops/" << op
        << "/golden.py and run tools/golden/make_golden.py " << op
        << ", or exempt it in ExemptOps() with a reason";
    if (it != ExemptOps().end()) std::cout << "[golden]   " << op << ": " << it->second << "\n";
  }
  for (const auto& [op, reason] : ExemptOps()) {
    EXPECT_EQ(covered.count(op), 0u) << "op '" << op << "' is exempt but has golden cases";
    EXPECT_NE(OpRegistry::Global().Find(op), nullptr) << "exempt op '" << op << "' is unknown";
  }
}

// Prints every case compared and the largest error once the tests have run.
class SummaryPrinter : public testing::Environment {
 public:
  void TearDown() override {
    if (Results().empty()) return;
    const auto& m = LoadedManifest();
    std::ostringstream out;
    out << "[golden] SUMMARY: " << Results().size() << " cases compared with PyTorch "
        << (m.ok() ? m->torch_version : "?") << " (tolerance |a-b| <= " << kAbsTol << " + "
        << kRelTol << "*|b|); max abs error per case, forward / gradient:\n";
    double largest = -1;
    std::string largest_at;
    int failed = 0;
    for (const auto& [id, r] : Results()) {
      out << absl::StrFormat("[golden]   %-52s %9.3g / %9.3g  %s\n", id, r.forward_max_abs,
                             r.gradient_max_abs, r.passed ? "ok" : "FAILED");
      failed += r.passed ? 0 : 1;
      const double worst = std::max(r.forward_max_abs, r.gradient_max_abs);
      if (worst > largest) {
        largest = worst;
        largest_at = absl::StrCat(id, " ", r.worst_where);
      }
    }
    out << absl::StrFormat("[golden] largest error overall: %.3g (%s); %d case(s) failed\n",
                           largest, largest_at, failed);
    out << "[golden] not compared: " << kNotCompared << "\n";
    std::cout << out.str() << std::flush;
  }
};

const testing::Environment* const kSummary = testing::AddGlobalTestEnvironment(new SummaryPrinter);

}  // namespace
}  // namespace tessera
