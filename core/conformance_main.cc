// The registry-driven conformance suite: links with any set of op libraries
// and their *_cases libraries, and turns every registered test case into
// gtest tests on every backend present. See core/op_test_case.h.

#include <cmath>
#include <cstdlib>
#include <functional>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/backend.h"
#include "core/gradient_check.h"
#include "core/kernel_registry.h"
#include "core/op_test_case.h"
#include "core/thread_pool.h"
#include "gtest/gtest.h"
#include "hwy/targets.h"

namespace tessera {
namespace {

// GPU against CPU, forward outputs and input gradients alike: float
// reductions run in another order on the GPU (and cuDNN picks its own
// algorithms, with FMA contraction), so agreement is to
// |gpu - cpu| <= 1e-4 + 1e-4 * |cpu|, for the O(1) values of the test cases.
constexpr float kCrossDeviceAbsTol = 1e-4f;
constexpr float kCrossDeviceRelTol = 1e-4f;

void ExpectClose(const std::vector<float>& actual, const std::vector<float>& expected,
                 float abs_tol, float rel_tol, const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what << ": wrong number of values";
  int reported = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    const float tol = abs_tol + rel_tol * std::fabs(expected[i]);
    if (!(std::fabs(actual[i] - expected[i]) <= tol) && reported++ < 5) {
      ADD_FAILURE() << what << "[" << i << "]: got " << actual[i]
                    << (IsUnwrittenMarker(actual[i]) ? " (never written by the kernel)" : "")
                    << ", expected " << expected[i] << " (tolerance " << tol << ")";
    }
  }
}

// A case's projection seed for the gradient check: a hash of its op and
// name (FNV-1a, the same on every platform), so that every case weights its
// outputs differently.
uint64_t ProjectionSeed(const std::string& op, const std::string& name) {
  uint64_t h = 14695981039346656037ull;
  for (char c : absl::StrCat(op, "/", name)) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

void ExpectReferenceOutputs(const OpTestCase& c, const Attrs& attrs, const OpRun& run) {
  ASSERT_TRUE(!c.expected.empty() || c.reference) << "case has no reference values";
  for (const auto& source : {0, 1}) {
    std::vector<std::vector<float>> ref;
    if (source == 0 && !c.expected.empty()) ref = c.expected;
    if (source == 1 && c.reference) ref = c.reference(c.inputs, attrs);
    if (ref.empty()) continue;
    ASSERT_EQ(ref.size(), run.outputs.size()) << "reference gives the wrong number of outputs";
    for (size_t k = 0; k < ref.size(); ++k) {
      ExpectClose(run.outputs[k].ToVector(), ref[k], c.output_abs_tol, c.output_rel_tol,
                  absl::StrCat(source == 0 ? "expected" : "reference", " output ", k));
    }
  }
}

// Random output gradients, the same for every device and mode.
std::vector<Tensor> FixedOutputGrads(const OpRun& run) {
  std::vector<Tensor> output_grads;
  for (size_t k = 0; k < run.outputs.size(); ++k) {
    output_grads.push_back(RandomTensor(run.outputs[k].shape(), 99 + k));
  }
  return output_grads;
}

// A way of running the CPU kernels other than the plain one, whose results
// must match: `enter` switches to it before the run, `leave` back.
struct CpuVariant {
  std::string name;
  std::function<void()> enter, leave;
};

// The CPU kernels once more with SetSmallChunksForTesting(true) and four
// threads, so that every ParallelFor splits and conv2d runs several image
// chunks.
CpuVariant SmallChunks() {
  return {"small chunks",
          [] {
            SetNumCpuThreads(4);
            SetSmallChunksForTesting(true);
          },
          [] {
            SetSmallChunksForTesting(false);
            const unsigned cores = std::thread::hardware_concurrency();
            SetNumCpuThreads(cores == 0 ? 1 : static_cast<int>(cores));
          }};
}

// The CPU kernels once more on another SIMD target this CPU runs (Highway
// dispatches at run time, so a Zen 3 machine takes AVX2 paths that an
// AVX-512 machine never does).
CpuVariant SimdTarget(int64_t target) {
  return {hwy::TargetName(target), [target] { hwy::SetSupportedTargetsForTest(target); },
          [] { hwy::SetSupportedTargetsForTest(0); }};
}

// A case under a CpuVariant: forward outputs against the references, input
// gradients against the plain run's (which the gradient check verifies).
// Parallel reductions and other vector widths add in another order, hence
// 1e-5 rather than bitwise.
class CpuVariantTest : public testing::Test {
 public:
  CpuVariantTest(std::string op, OpTestCase test_case, CpuVariant variant)
      : op_(std::move(op)), case_(std::move(test_case)), variant_(std::move(variant)) {}

  void TestBody() override {
    const OpSchema* schema = OpRegistry::Global().Find(op_);
    ASSERT_NE(schema, nullptr) << "op '" << op_ << "' has test cases but is not registered";
    absl::StatusOr<Attrs> attrs = schema->ResolveAttrs(case_.attrs);
    ASSERT_TRUE(attrs.ok()) << attrs.status();
    absl::StatusOr<OpRun> plain =
        RunOpForward(op_, *attrs, case_.inputs, Device::kCpu, case_.training, case_.seed);
    ASSERT_TRUE(plain.ok()) << plain.status();
    const std::vector<Tensor> output_grads = FixedOutputGrads(*plain);
    absl::StatusOr<std::vector<Tensor>> plain_grads;
    if (case_.check_gradient) {
      plain_grads = RunOpGradient(op_, *attrs, case_.inputs, Device::kCpu, case_.training,
                                  case_.seed, output_grads, case_.grad.skip_inputs);
      ASSERT_TRUE(plain_grads.ok()) << plain_grads.status();
    }

    // Fresh copies of the inputs: nothing the plain run cached (matmul's
    // packed weights, keyed by buffer and version, laid out for one vector
    // width) is read by the variant.
    std::vector<Tensor> inputs;
    for (const Tensor& t : case_.inputs) {
      inputs.push_back(t.defined() ? Tensor::FromVector(t.shape(), t.ToVector()) : t);
    }
    variant_.enter();
    absl::StatusOr<OpRun> run =
        RunOpForward(op_, *attrs, inputs, Device::kCpu, case_.training, case_.seed);
    absl::StatusOr<std::vector<Tensor>> grads;
    if (case_.check_gradient) {
      grads = RunOpGradient(op_, *attrs, inputs, Device::kCpu, case_.training, case_.seed,
                            output_grads, case_.grad.skip_inputs);
    }
    variant_.leave();

    ASSERT_TRUE(run.ok()) << run.status();
    ExpectReferenceOutputs(case_, *attrs, *run);
    if (!case_.check_gradient) return;
    ASSERT_TRUE(grads.ok()) << grads.status();
    for (size_t i = 0; i < grads->size(); ++i) {
      if (!(*plain_grads)[i].defined()) continue;
      ExpectClose((*grads)[i].ToVector(), (*plain_grads)[i].ToVector(), 1e-5f, 1e-5f,
                  absl::StrCat(variant_.name, " vs plain gradient of input ", i));
    }
  }

 private:
  std::string op_;
  OpTestCase case_;
  CpuVariant variant_;
};

class OpCaseTest : public testing::Test {
 public:
  OpCaseTest(std::string op, OpTestCase test_case, Device device)
      : op_(std::move(op)), case_(std::move(test_case)), device_(device) {}

  void TestBody() override {
    const OpSchema* schema = OpRegistry::Global().Find(op_);
    ASSERT_NE(schema, nullptr) << "op '" << op_ << "' has test cases but is not registered";
    absl::StatusOr<Attrs> attrs = schema->ResolveAttrs(case_.attrs);
    ASSERT_TRUE(attrs.ok()) << attrs.status();
    absl::StatusOr<OpRun> run =
        RunOpForward(op_, *attrs, case_.inputs, device_, case_.training, case_.seed);
    ASSERT_TRUE(run.ok()) << run.status();

    // 1. Reference values.
    ExpectReferenceOutputs(case_, *attrs, *run);
    if (HasFatalFailure()) return;

    // 2. Another device against the CPU.
    if (device_ != Device::kCpu) {
      absl::StatusOr<OpRun> cpu =
          RunOpForward(op_, *attrs, case_.inputs, Device::kCpu, case_.training, case_.seed);
      ASSERT_TRUE(cpu.ok()) << cpu.status();
      for (size_t k = 0; k < cpu->outputs.size(); ++k) {
        ExpectClose(run->outputs[k].ToVector(), cpu->outputs[k].ToVector(), kCrossDeviceAbsTol,
                    kCrossDeviceRelTol, absl::StrCat(DeviceName(device_), " vs cpu output ", k));
      }
    }

    // 2b. The gradient kernels on both devices, for the same output gradients.
    if (device_ != Device::kCpu && case_.check_gradient) {
      const std::vector<Tensor> output_grads = FixedOutputGrads(*run);
      absl::StatusOr<std::vector<Tensor>> gpu =
          RunOpGradient(op_, *attrs, case_.inputs, device_, case_.training, case_.seed,
                        output_grads, case_.grad.skip_inputs);
      ASSERT_TRUE(gpu.ok()) << gpu.status();
      absl::StatusOr<std::vector<Tensor>> cpu =
          RunOpGradient(op_, *attrs, case_.inputs, Device::kCpu, case_.training, case_.seed,
                        output_grads, case_.grad.skip_inputs);
      ASSERT_TRUE(cpu.ok()) << cpu.status();
      for (size_t i = 0; i < cpu->size(); ++i) {
        ASSERT_EQ((*gpu)[i].defined(), (*cpu)[i].defined());
        if (!(*cpu)[i].defined()) continue;
        ExpectClose((*gpu)[i].ToVector(), (*cpu)[i].ToVector(), kCrossDeviceAbsTol,
                    kCrossDeviceRelTol,
                    absl::StrCat(DeviceName(device_), " vs cpu gradient of input ", i));
      }
    }

    // 3. Gradients by central differences.
    if (!case_.check_gradient) return;
    GradCheckOptions options = case_.grad;
    options.projection_seed = ProjectionSeed(op_, case_.name);
    absl::StatusOr<GradCheckReport> report =
        CheckGradients(op_, *attrs, case_.inputs, device_, case_.training, case_.seed, options);
    ASSERT_TRUE(report.ok()) << report.status();
    RecordProperty("grad_error_over_tolerance",
                   absl::StrFormat("%.3g", report->max_error_over_tolerance));
    EXPECT_GT(report->checked, 0) << "the gradient check checked no element";
    EXPECT_EQ(report->failed, 0) << "gradient check failed (" << report->failed << " of "
                                 << report->checked << " elements):\n  "
                                 << absl::StrJoin(report->failures, "\n  ");
  }

 private:
  std::string op_;
  OpTestCase case_;
  Device device_;
};

// Every registered op has test cases and a kernel on every backend present.
TEST(Conformance, EveryRegisteredOpHasCasesAndKernels) {
  const auto& cases = RegisteredOpTestCases();
  const std::vector<std::string> ops = OpRegistry::Global().Names();
  ASSERT_FALSE(ops.empty()) << "no op is registered: are the op libraries alwayslink?";
  for (const std::string& op : ops) {
    auto it = cases.find(op);
    size_t count = 0;
    if (it != cases.end()) {
      for (OpTestCaseFactory factory : it->second) count += factory().size();
    }
    EXPECT_GT(count, 0u) << "op '" << op << "' is registered but has no conformance test case";
    for (Device device : AvailableDevices()) {
      EXPECT_TRUE(KernelRegistry::Global().Has(op, device))
          << "op '" << op << "' has no " << DeviceName(device) << " kernel";
    }
  }
}

// In a build with GPU kernels (--config=cuda), every op has them, whether
// or not this machine has a GPU to run them.
TEST(Conformance, EveryOpHasGpuKernelsInACudaBuild) {
  const std::vector<std::string> ops = OpRegistry::Global().Names();
  std::vector<std::string> with_gpu, without_gpu;
  for (const std::string& op : ops) {
    (KernelRegistry::Global().Has(op, Device::kCuda) ? with_gpu : without_gpu).push_back(op);
  }
  if (with_gpu.empty()) GTEST_SKIP() << "a build without GPU kernels";
  EXPECT_TRUE(without_gpu.empty())
      << "ops without a CUDA kernel: " << absl::StrJoin(without_gpu, ", ");
}

// Ops the build promised (from the OPS list in ops/BUILD); an op library
// that is listed but dropped by the linker shows up here.
std::vector<std::string>& ExpectedOps() {
  static auto* ops = new std::vector<std::string>();
  return *ops;
}

TEST(Conformance, EveryExpectedOpIsRegistered) {
  for (const std::string& op : ExpectedOps()) {
    EXPECT_NE(OpRegistry::Global().Find(op), nullptr)
        << "op '" << op << "' is listed in ops/BUILD but not registered (not linked?)";
  }
}

// tools/gpu_check.sh sets TESSERA_REQUIRE_GPU=1: there, a missing GPU (or
// a CUDA library that did not load) is a failure, not a skip.
TEST(Conformance, GpuBackendPresent) {
  if (GetBackend(Device::kCuda) == nullptr) {
    const char* require = std::getenv("TESSERA_REQUIRE_GPU");
    if (require != nullptr && std::string(require) == "1") {
      FAIL() << "TESSERA_REQUIRE_GPU=1 but no CUDA device is usable in this "
                "process (a build "
                "without --config=cuda, no GPU, or cuBLAS/cuDNN not found)";
    }
    GTEST_SKIP() << "no CUDA device in this process: GPU cases were not run";
  }
}

// AVX2 and SSE4 where this CPU has them and a better target too.
std::vector<int64_t> OtherSimdTargets() {
  std::vector<int64_t> targets;
  const std::vector<int64_t> supported = hwy::SupportedAndGeneratedTargets();
  for (int64_t target : supported) {
    if (target != supported.front() && (target == HWY_AVX2 || target == HWY_SSE4)) {
      targets.push_back(target);
    }
  }
  return targets;
}

void RegisterCaseTests() {
  for (const auto& [op, factories] : RegisteredOpTestCases()) {
    for (OpTestCaseFactory factory : factories) {
      for (OpTestCase& test_case : factory()) {
        for (Device device : AvailableDevices()) {
          const std::string name = absl::StrCat(test_case.name, "_", DeviceName(device));
          testing::RegisterTest(absl::StrCat("Op_", op).c_str(), name.c_str(), nullptr, nullptr,
                                __FILE__, __LINE__,
                                [op = op, test_case, device]() -> testing::Test* {
                                  return new OpCaseTest(op, test_case, device);
                                });
        }
        std::vector<std::pair<std::string, CpuVariant>> variants = {
            {"cpu_small_chunks", SmallChunks()}};
        for (int64_t target : OtherSimdTargets()) {
          variants.push_back({absl::StrCat("cpu_", absl::AsciiStrToLower(hwy::TargetName(target))),
                              SimdTarget(target)});
        }
        for (const auto& [suffix, variant] : variants) {
          const std::string name = absl::StrCat(test_case.name, "_", suffix);
          testing::RegisterTest(absl::StrCat("Op_", op).c_str(), name.c_str(), nullptr, nullptr,
                                __FILE__, __LINE__,
                                [op = op, test_case, variant = variant]() -> testing::Test* {
                                  return new CpuVariantTest(op, test_case, variant);
                                });
        }
      }
    }
  }
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  const std::string flag = "--expected_ops=";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind(flag, 0) == 0) {
      tessera::ExpectedOps() = absl::StrSplit(arg.substr(flag.size()), ',', absl::SkipEmpty());
    }
  }
  tessera::RegisterCaseTests();
  return RUN_ALL_TESTS();
}
