// op_benchmark: the forward and the gradient kernel of every registered op,
// at representative CNN shapes, on the CPU (and on CUDA when present).
//
//   bazel run //bench:op_benchmark -- [--threads=2] [--benchmark_filter=conv2d]
//
// Registry-driven: each op's cases live in its folder (ops/<op>/bench_cases.cc,
// see ops/common/bench_case.h; an elementwise op's case comes from its
// schema), and the binary exits with an error naming any op that has no
// case, so a new op cannot go unmeasured. Kernels are called directly, the way the executor and
// core/gradient_check.cc call them (KernelContext, GradientArgs), with inputs
// and outputs allocated once outside the timed loop: this measures kernels,
// not the allocator.
//
// Counters: FLOPS (FLOP/s) for convolutions and matmul, counting the op's
// declared FLOPs (2 per multiply-add of the direct algorithm); bytes_per_second for everything
// else, counting the smallest traffic any implementation needs (see OpCase), so a kernel that moves
// more shows as less than the memory bandwidth.

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bench/threads_flag.h"
#include "benchmark/benchmark.h"
#include "core/backend.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/tensor.h"
#include "core/thread_pool.h"
#include "ops/common/bench_case.h"

namespace tessera {
namespace {

using bench::Fill;
using bench::In;
using bench::Work;
using OpCase = bench::Case;
using InputSpec = bench::Input;

// A case checked against its schema, with the work of one call.
struct Resolved {
  OpCase c;
  const OpSchema* schema = nullptr;
  Attrs attrs;
  std::vector<Shape> output_shapes;
  std::vector<bool> wants_grad;  // per input
  double forward_work = 0;       // FLOPs or bytes
  double gradient_work = 0;
};

int64_t Elements(const std::vector<Shape>& shapes) {
  int64_t n = 0;
  for (const Shape& s : shapes) n += NumElements(s);
  return n;
}

absl::StatusOr<Resolved> Resolve(const OpCase& c) {
  Resolved r;
  r.c = c;
  r.schema = OpRegistry::Global().Find(c.op);
  if (r.schema == nullptr) {
    return absl::NotFoundError(absl::StrCat("op '", c.op, "' is not registered"));
  }
  TS_ASSIGN_OR_RETURN(r.attrs, r.schema->ResolveAttrs(c.attrs));
  std::vector<Shape> shapes;
  for (const InputSpec& in : c.inputs) shapes.push_back(in.shape);
  TS_ASSIGN_OR_RETURN(r.output_shapes, r.schema->InferShapes(shapes, r.attrs));
  r.wants_grad.assign(c.inputs.size(), false);
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const bool listed =
        c.grad_inputs.empty() ||
        std::find(c.grad_inputs.begin(), c.grad_inputs.end(), i) != c.grad_inputs.end();
    r.wants_grad[i] = listed && r.schema->inputs()[i].differentiable;
  }
  if (c.work == Work::kBytes) {
    std::vector<Shape> wanted;
    for (size_t i = 0; i < shapes.size(); ++i) {
      if (r.wants_grad[i]) wanted.push_back(shapes[i]);
    }
    // Optional outputs (dropout's keep mask, max pool's indices) are not
    // computed when nothing reads them (Prepare), and not counted.
    std::vector<Shape> computed;
    for (size_t k = 0; k < r.output_shapes.size(); ++k) {
      if (k == 0 || !r.schema->output_optional(static_cast<int>(k)))
        computed.push_back(r.output_shapes[k]);
    }
    r.forward_work = 4.0 * (Elements(shapes) + Elements(computed));
    r.gradient_work = 4.0 * (Elements(computed) + Elements(wanted) +
                             c.grad_reads * NumElements(shapes[0]));
  } else {
    // The op's own count (its schema's .Flops): 2 per multiply-add of the
    // direct algorithm; each wanted gradient of x or of the weight costs as
    // much again (the bias gradient, a sum, is not counted).
    const std::optional<OpCost> cost = r.schema->ForwardCost(shapes, r.output_shapes, r.attrs);
    if (!cost || cost->flops <= 0) {
      return absl::InvalidArgumentError("a FLOPs case needs the op's .Flops to count it");
    }
    r.forward_work = cost->flops;
    r.gradient_work =
        r.forward_work * (r.wants_grad[0] + (r.wants_grad.size() > 1 && r.wants_grad[1]));
  }
  return r;
}

Tensor RandomTensor(const InputSpec& spec, uint64_t seed, Device device) {
  std::mt19937_64 rng(seed);
  std::vector<float> v(NumElements(spec.shape));
  if (spec.fill == Fill::kClasses) {
    std::uniform_int_distribution<int64_t> pick(0, spec.classes - 1);
    for (float& x : v) x = static_cast<float>(pick(rng));
  } else {
    std::uniform_real_distribution<float> dist(spec.fill == Fill::kPositive ? 0.5f : -1.0f,
                                               spec.fill == Fill::kPositive ? 1.5f : 1.0f);
    for (float& x : v) x = dist(rng);
  }
  Tensor t = Tensor::FromVector(spec.shape, v);
  return device == Device::kCpu ? t : t.CopyTo(device);
}

// The tensors of one case on one device. Only the case being measured is
// kept (the benchmarks of a case run one after another), so memory stays at
// one case's worth.
struct Prepared {
  const Resolved* resolved = nullptr;
  Device device = Device::kCpu;
  const KernelDef* kernel = nullptr;
  std::vector<Tensor> inputs, outputs, saved, output_grads, input_grads;
};

std::unique_ptr<Prepared> g_prepared;

absl::StatusOr<Prepared*> Prepare(const Resolved& r, Device device) {
  if (g_prepared && g_prepared->resolved == &r && g_prepared->device == device) {
    return g_prepared.get();
  }
  g_prepared.reset();  // free the previous case first
  auto p = std::make_unique<Prepared>();
  p->resolved = &r;
  p->device = device;
  TS_ASSIGN_OR_RETURN(p->kernel, KernelRegistry::Global().Find(r.c.op, device));
  // As the executor calls the kernels in a graph where the node's input
  // gradients start there (Executor::RunGradient): the first input whose
  // gradient passes through an output's (OpSchema::GradientPassesThrough)
  // takes that gradient's buffer, so the kernel is not asked for it.
  std::vector<bool> handed_on(r.output_shapes.size(), false);
  for (size_t i = 0; i < r.c.inputs.size(); ++i) {
    p->inputs.push_back(RandomTensor(r.c.inputs[i], 1000 + i, device));
    const int o = r.schema->GradientPassThroughOutput(static_cast<int>(i));
    const bool passed_on = r.wants_grad[i] && o >= 0 && !handed_on[o];
    if (passed_on) handed_on[o] = true;
    p->input_grads.push_back(r.wants_grad[i] && !passed_on
                                 ? Tensor::Empty(r.c.inputs[i].shape, device)
                                 : Tensor());
  }
  for (size_t k = 0; k < r.output_shapes.size(); ++k) {
    // As the executor for a graph that reads only the first output: an
    // optional output (OpSchema::OptionalOutput) is not computed, and the
    // loss flows back through the first output only (batch_norm2d's
    // running statistics get zeros, an optional output nothing).
    const bool skipped = k > 0 && r.schema->output_optional(static_cast<int>(k));
    p->outputs.push_back(skipped ? Tensor::ShapeOnly(r.output_shapes[k])
                                 : Tensor::Empty(r.output_shapes[k], device));
    p->output_grads.push_back(k == 0    ? RandomTensor(In(r.output_shapes[k]), 2000, device)
                              : skipped ? Tensor::ShapeOnly(r.output_shapes[k])
                                        : Tensor::Zeros(r.output_shapes[k], device));
  }
  // One forward so that the gradient finds its outputs and saved tensors.
  KernelContext ctx{r.attrs, *GetBackend(device), /*training=*/true, /*seed=*/1, p->saved};
  TS_RETURN_IF_ERROR(p->kernel->forward(ctx, p->inputs, p->outputs));
  g_prepared = std::move(p);
  return g_prepared.get();
}

void SetCounter(benchmark::State& state, const Resolved& r, double work_per_call) {
  const double total = work_per_call * static_cast<double>(state.iterations());
  if (r.c.work == Work::kBytes) {
    state.SetBytesProcessed(static_cast<int64_t>(total));
  } else {
    state.counters["FLOPS"] = benchmark::Counter(total, benchmark::Counter::kIsRate);
  }
}

void BM_Forward(benchmark::State& state, const Resolved* r, Device device) {
  absl::StatusOr<Prepared*> p = Prepare(*r, device);
  if (!p.ok()) {
    state.SkipWithError(std::string(p.status().message()).c_str());
    return;
  }
  Prepared& run = **p;
  Backend& backend = *GetBackend(device);
  uint64_t seed = 1;
  KernelContext ctx{r->attrs, backend, /*training=*/true, seed, run.saved};
  for (auto _ : state) {
    ctx.seed = seed++;
    absl::Status status = run.kernel->forward(ctx, run.inputs, run.outputs);
    backend.Synchronize();
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      break;
    }
  }
  SetCounter(state, *r, r->forward_work);
}

void BM_Gradient(benchmark::State& state, const Resolved* r, Device device) {
  absl::StatusOr<Prepared*> p = Prepare(*r, device);
  if (!p.ok()) {
    state.SkipWithError(std::string(p.status().message()).c_str());
    return;
  }
  Prepared& run = **p;
  Backend& backend = *GetBackend(device);
  KernelContext ctx{r->attrs, backend, /*training=*/true, /*seed=*/1, run.saved};
  GradientArgs args{run.inputs, run.outputs, run.output_grads, run.input_grads};
  for (auto _ : state) {
    absl::Status status = run.kernel->gradient(ctx, args);
    backend.Synchronize();
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      break;
    }
  }
  SetCounter(state, *r, r->gradient_work);
}

// An elementwise op's case, from its schema alone: every input of the
// activation shape above, default attributes, and as many activation-sized
// reads in the gradient as the schema says it reads.
OpCase ElementwiseCase(const OpSchema& schema) {
  const Shape act = {16, 64, 56, 56};
  std::vector<InputSpec> inputs(schema.max_inputs(), In(act));
  int reads = 0;
  for (int i = 0; i < schema.max_inputs(); ++i) reads += schema.GradientReadsInput(i);
  for (size_t k = 0; k < schema.outputs().size(); ++k) {
    reads += schema.GradientReadsOutput(static_cast<int>(k));
  }
  return bench::Bytes(schema.name(), "16x64x56x56", std::move(inputs), {}, reads);
}

// Resolves the table and registers two benchmarks per case and device; fails
// on an op without a case, a case without an op, a bad case or a missing kernel.
absl::Status RegisterAll(std::vector<Resolved>& resolved) {
  std::set<std::string> covered;
  std::vector<OpCase> cases = bench::RegisteredCases();
  for (const std::string& op : OpRegistry::Global().Names()) {
    const OpSchema& schema = *OpRegistry::Global().Find(op);
    if (schema.in_place()) cases.push_back(ElementwiseCase(schema));  // elementwise ops
  }
  for (const OpCase& c : cases) {
    absl::StatusOr<Resolved> r = Resolve(c);
    if (!r.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(c.op, "/", c.label, ": ", r.status().message()));
    }
    resolved.push_back(*std::move(r));
    covered.insert(c.op);
  }
  std::vector<std::string> missing;
  for (const std::string& op : OpRegistry::Global().Names()) {
    if (!covered.count(op)) missing.push_back(op);
  }
  if (!missing.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no benchmark case for registered op(s) ", absl::StrJoin(missing, ", "),
                     ": add ops/<op>/bench_cases.cc (see ops/common/bench_case.h)"));
  }
  std::vector<Device> devices = {Device::kCpu};
  if (GetBackend(Device::kCuda) != nullptr) devices.push_back(Device::kCuda);
  for (Device device : devices) {
    for (const Resolved& r : resolved) {
      TS_RETURN_IF_ERROR(KernelRegistry::Global().Find(r.c.op, device).status());
      const std::string name = absl::StrCat(r.c.op, "/", r.c.label, "/", DeviceName(device));
      // resolved is not resized after this point, so the pointers stay valid.
      for (const char* pass : {"fwd", "grad"}) {
        const bool forward = std::strcmp(pass, "fwd") == 0;
        benchmark::RegisterBenchmark(absl::StrCat(name, "/", pass).c_str(),
                                     forward ? BM_Forward : BM_Gradient, &r, device)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) {
  const int threads = tessera_bench::TakeThreadsFlag(&argc, argv);
  if (threads == 0) {
    fprintf(stderr, "op_benchmark: --threads must be at least 1\n");
    return 1;
  }
  tessera::SetNumCpuThreads(threads);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("tessera_threads", std::to_string(threads));
  std::vector<tessera::Resolved> resolved;
  absl::Status status = tessera::RegisterAll(resolved);
  if (!status.ok()) {
    fprintf(stderr, "op_benchmark: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
