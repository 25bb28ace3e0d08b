// op_benchmark: the forward and the gradient kernel of every registered op,
// at representative CNN shapes, on the CPU (and on CUDA when present).
//
//   bazel run //bench:op_benchmark -- [--threads=2] [--benchmark_filter=conv2d]
//
// Registry-driven: Cases() below must list every op in OpRegistry, and the
// binary exits with an error naming any op that has no case, so a new op
// cannot go unmeasured. Kernels are called directly, the way the executor and
// core/gradient_check.cc call them (KernelContext, GradientArgs), with inputs
// and outputs allocated once outside the timed loop: this measures kernels,
// not the allocator.
//
// Counters: FLOPS (FLOP/s) for convolutions and matmul, counting 2 FLOPs per
// multiply-add of the direct algorithm; bytes_per_second for everything else,
// counting the smallest traffic any implementation needs (see OpCase), so a
// kernel that moves more shows as less than the memory bandwidth.

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
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

namespace tessera {
namespace {

enum class Fill { kUniform, kPositive, kClasses };

struct InputSpec {
  Shape shape;
  Fill fill = Fill::kUniform;
  int64_t classes = 0;  // kClasses: integer labels in [0, classes)
};

InputSpec In(Shape shape) { return {std::move(shape)}; }
// Variances and the like, which must be positive.
InputSpec Positive(Shape shape) { return {std::move(shape), Fill::kPositive}; }
InputSpec Labels(int64_t batch, int64_t classes) { return {{batch}, Fill::kClasses, classes}; }

enum class Work { kBytes, kConv, kConvTranspose, kMatmul };

struct OpCase {
  std::string op;
  std::string label;  // part of the benchmark name: no spaces
  std::vector<InputSpec> inputs;
  std::map<std::string, AttrValue> attrs;
  Work work = Work::kBytes;
  // Inputs whose gradient a train step wants; empty: every differentiable one.
  std::vector<int> grad_inputs;
  // kBytes: forward traffic is every input and output once; gradient traffic
  // is every output gradient, every wanted input gradient, and this many
  // tensors the size of input 0 that the gradient must read (x or y: 1;
  // add: 0; mul: x and y, 2).
  int grad_reads = 1;
};

OpCase Bytes(std::string op, std::string label, std::vector<InputSpec> inputs,
             std::map<std::string, AttrValue> attrs = {}, int grad_reads = 1) {
  OpCase c{std::move(op), std::move(label), std::move(inputs), std::move(attrs)};
  c.grad_reads = grad_reads;
  return c;
}

OpCase Flops(std::string op, std::string label, Work work, std::vector<InputSpec> inputs,
             std::map<std::string, AttrValue> attrs, std::vector<int> grad_inputs = {}) {
  OpCase c{std::move(op), std::move(label), std::move(inputs), std::move(attrs), work};
  c.grad_inputs = std::move(grad_inputs);
  return c;
}

// One or more shapes per op, in the sizes of AlexNet/VGG/ResNet layers.
// Elementwise ops are not listed: ElementwiseCase derives theirs from the
// schema, so a new one needs no line here.
// 16x64x56x56 (12.8M floats, 51 MB) is far bigger than the caches, so the
// elementwise ops measure memory bandwidth.
std::vector<OpCase> Cases() {
  const Shape act = {16, 64, 56, 56};
  return {
      Bytes("adaptive_avgpool2d", "16x256x13x13_to_6x6", {In({16, 256, 13, 13})},
            {{"output_size", IntsAttr({6, 6})}}, 0),
      Bytes("avgpool2d", "3s2_16x64x56x56", {In(act)},
            {{"kernel", IntsAttr({3, 3})}, {"stride", IntsAttr({2, 2})}}, 0),
      Bytes("avgpool2d", "global_16x512x7x7", {In({16, 512, 7, 7})}, {{"global", BoolAttr(true)}},
            0),
      Bytes("batch_norm2d", "16x64x56x56", {In(act), In({64}), In({64}), In({64}), Positive({64})}),
      Bytes("bias_add", "16x64x56x56", {In(act), In({64})}, {}, 0),
      Bytes("concat", "2x16x64x56x56_axis1", {In(act), In(act)}, {}, 0),
      Flops("conv2d", "3x3_16x64x56x56_to64_pad1", Work::kConv,
            {In(act), In({64, 64, 3, 3}), In({64})}, {{"padding", IntsAttr({1, 1})}}),
      // A network's first layer needs no gradient for its image.
      Flops("conv2d", "alexnet_conv1_11x11s4_16x3x224x224_to64_pad2", Work::kConv,
            {In({16, 3, 224, 224}), In({64, 3, 11, 11}), In({64})},
            {{"stride", IntsAttr({4, 4})}, {"padding", IntsAttr({2, 2})}}, {1, 2}),
      Flops("conv2d", "alexnet_conv2_5x5g2_16x96x27x27_to256_pad2", Work::kConv,
            {In({16, 96, 27, 27}), In({256, 48, 5, 5}), In({256})},
            {{"padding", IntsAttr({2, 2})}, {"groups", IntAttr(2)}}),
      Flops("conv_transpose2d", "4x4s2p1_16x64x14x14_to32", Work::kConvTranspose,
            {In({16, 64, 14, 14}), In({64, 32, 4, 4}), In({32})},
            {{"stride", IntsAttr({2, 2})}, {"padding", IntsAttr({1, 1})}}),
      // The gradient reads the saved mask.
      Bytes("dropout", "16x64x56x56", {In(act)}, {{"rate", FloatAttr(0.5f)}}),
      Bytes("flatten", "16x64x56x56", {In(act)}, {}, 0),
      Bytes("l2_loss", "16x64x56x56", {In(act), In(act)}, {}, 2),
      Bytes("lrn", "alexnet_norm1_16x96x55x55", {In({16, 96, 55, 55})},
            {{"size", IntAttr(5)},
             {"alpha", FloatAttr(1e-4f)},
             {"beta", FloatAttr(0.75f)},
             {"k", FloatAttr(2.0f)}}),
      Flops("matmul", "fc6_64x9216_to4096", Work::kMatmul,
            {In({64, 9216}), In({4096, 9216}), In({4096})}, {}),
      Flops("matmul", "fc7_64x4096_to4096", Work::kMatmul,
            {In({64, 4096}), In({4096, 4096}), In({4096})}, {}),
      Bytes("maxpool2d", "3s2_16x64x56x56", {In(act)},
            {{"kernel", IntsAttr({3, 3})}, {"stride", IntsAttr({2, 2})}}, 0),
      Bytes("pad2d", "1_1_2_2_16x64x56x56", {In(act)}, {{"pads", IntsAttr({1, 1, 2, 2})}}, 0),
      Bytes("reshape", "16x64x56x56_to_16x-1", {In(act)}, {{"shape", IntsAttr({16, -1})}}, 0),
      Bytes("resize2d", "linear_16x64x28x28_to_45x45", {In({16, 64, 28, 28})},
            {{"size", IntsAttr({45, 45})}, {"mode", StringAttr("linear")}}, 0),
      Bytes("softmax", "64x1000", {In({64, 1000})}),
      Bytes("softmax_cross_entropy", "64x1000", {In({64, 1000}), Labels(64, 1000)}),
      Bytes("transpose", "nchw_to_nhwc_16x64x56x56", {In(act)},
            {{"perm", IntsAttr({0, 2, 3, 1})}}, 0),
      Bytes("upsample2d", "nearest_x2_16x64x28x28", {In({16, 64, 28, 28})},
            {{"scale", IntsAttr({2, 2})}}, 0),
      Bytes("upsample2d", "bilinear_x2_16x64x28x28", {In({16, 64, 28, 28})},
            {{"scale", IntsAttr({2, 2})}, {"mode", StringAttr("bilinear")}}, 0),
  };
}

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

// 2 x multiply-adds of the direct algorithm; each wanted gradient of x or of
// the weight costs as much again (the bias gradient is a sum, ignored).
double ForwardFlops(const Resolved& r) {
  const std::vector<InputSpec>& in = r.c.inputs;
  const Shape& x = in[0].shape;
  const Shape& w = in[1].shape;
  switch (r.c.work) {
    case Work::kConv:  // y[N,O,P,Q] += w[O,C/g,R,S] x
      return 2.0 * NumElements(r.output_shapes[0]) * w[1] * w[2] * w[3];
    case Work::kConvTranspose:  // every x[N,C,H,W] scatters into (O/g)*R*S outputs
      return 2.0 * NumElements(x) * w[1] * w[2] * w[3];
    case Work::kMatmul:  // x[M,K] w[N,K]^T
      return 2.0 * x[0] * x[1] * w[0];
    case Work::kBytes:
      break;
  }
  return 0;
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
    r.forward_work = 4.0 * (Elements(shapes) + Elements(r.output_shapes));
    r.gradient_work = 4.0 * (Elements(r.output_shapes) + Elements(wanted) +
                             c.grad_reads * NumElements(shapes[0]));
  } else {
    r.forward_work = ForwardFlops(r);
    r.gradient_work = r.forward_work * (r.wants_grad[0] + r.wants_grad[1]);
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
  for (size_t i = 0; i < r.c.inputs.size(); ++i) {
    p->inputs.push_back(RandomTensor(r.c.inputs[i], 1000 + i, device));
    p->input_grads.push_back(r.wants_grad[i] ? Tensor::Empty(r.c.inputs[i].shape, device)
                                             : Tensor());
  }
  for (size_t k = 0; k < r.output_shapes.size(); ++k) {
    p->outputs.push_back(Tensor::Empty(r.output_shapes[k], device));
    // As the executor: the loss flows back through the first output only
    // (batch_norm2d's running statistics get zeros).
    p->output_grads.push_back(k == 0 ? RandomTensor(In(r.output_shapes[k]), 2000, device)
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
  return Bytes(schema.name(), "16x64x56x56", std::move(inputs), {}, reads);
}

// Resolves the table and registers two benchmarks per case and device; fails
// on an op without a case, a case without an op, a bad case or a missing kernel.
absl::Status RegisterAll(std::vector<Resolved>& resolved) {
  std::set<std::string> covered;
  std::vector<OpCase> cases = Cases();
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
                     ": add a representative shape to Cases() in bench/op_benchmark.cc"));
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
