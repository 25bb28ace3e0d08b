// model_step_benchmark: whole train steps of a graph (forward, backward and
// an SGD-with-momentum update), timed as models/trainer.cc runs them, on
// random images and labels.
//
//   bazel run //bench:model_step_benchmark -- --graph=models/alexnet_fashion.pbtxt --batch=64
//   --image_size=224
//
// Ends with one machine-readable line:
//   RESULT graph=alexnet_fashion input=[64,1,224,224] threads=2 steps=2 warmup=1
//          ms_per_step=... images_per_s=... forward_ms=... backward_ms=... update_ms=...
//          peak_rss_mb=... final_loss=...
// Peak RSS is the process's ru_maxrss, so it covers set-up and the steps.

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/backend.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/optimizer.h"
#include "core/thread_pool.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

ABSL_FLAG(std::string, graph, "",
          "Graph (.pbtxt) with inputs 'image' [-1,C,H,W] and 'label' [-1].");
ABSL_FLAG(int64_t, batch, 64, "Images per step.");
ABSL_FLAG(int, image_size, 0, "Square image size replacing the graph's H and W (0: as declared).");
ABSL_FLAG(int, steps, 3, "Timed train steps.");
ABSL_FLAG(int, warmup, 1, "Untimed train steps first (buffer caches, page faults).");
ABSL_FLAG(int, threads, 2, "CPU threads for the kernels.");
ABSL_FLAG(double, lr, 0.01,
          "SGD learning rate (momentum 0.9, weight decay 5e-4, as alexnet_train).");
ABSL_FLAG(uint64_t, seed, 1, "Seed for parameters, data and dropout.");
ABSL_FLAG(bool, release_values, true,
          "The executor's memory plan (release values nothing needs, in-place relu); "
          "--norelease_values keeps every forward value, for comparison.");
ABSL_FLAG(bool, fused_update, true,
          "Update each parameter as soon as its gradient is final and free the gradient "
          "(Optimizer::fused_update), as the trainer does on one rank; the update's time is "
          "then part of backward_ms.");
ABSL_FLAG(std::string, device, "cpu", "cpu | gpu (a build with --config=cuda on a GPU machine).");

namespace tessera {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// A path given to `bazel run` is relative to where it was called.
std::string UserPath(const std::string& path) {
  const char* dir = std::getenv("BUILD_WORKING_DIRECTORY");
  return path.empty() || path[0] == '/' || dir == nullptr ? path : absl::StrCat(dir, "/", path);
}

// Reads the graph and, like models/trainer.cc, rewrites the image size.
absl::StatusOr<Graph> LoadGraph(const std::string& path, int image_size) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open graph file ", path));
  std::stringstream text;
  text << file.rdbuf();
  TS_ASSIGN_OR_RETURN(GraphDef def, ParseGraphText(text.str(), path));
  if (image_size > 0) {
    bool found = false;
    for (InputDef& input : *def.mutable_input()) {
      if (input.name() != "image" || input.shape_size() != 4) continue;
      input.set_shape(2, image_size);
      input.set_shape(3, image_size);
      found = true;
    }
    if (!found) {
      return absl::InvalidArgumentError("--image_size needs an input 'image' [-1, C, H, W]");
    }
  }
  return Graph::Build(def);
}

// Uniform [0, 1) images and labels in [0, classes), classes being dimension 1
// of the graph's first output (the logits), as the trainer requires.
absl::StatusOr<std::map<std::string, Tensor>> RandomFeeds(const Graph& graph, int64_t batch,
                                                          uint64_t seed, Device device) {
  TS_ASSIGN_OR_RETURN(Shape image_shape, graph.InputShape("image", batch));
  TS_ASSIGN_OR_RETURN(Shape label_shape, graph.InputShape("label", batch));
  if (graph.def().output_size() == 0) {
    return absl::InvalidArgumentError("the graph lists no logits output");
  }
  TS_ASSIGN_OR_RETURN(auto shapes, graph.InferShapes(batch));
  const Shape& logits = shapes.at(graph.def().output(0));
  if (logits.size() != 2) {
    return absl::InvalidArgumentError("the graph's first output is not [batch, classes]");
  }
  std::mt19937_64 rng(seed);
  std::vector<float> image(NumElements(image_shape)), label(NumElements(label_shape));
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (float& v : image) v = uniform(rng);
  std::uniform_int_distribution<int64_t> pick(0, logits[1] - 1);
  for (float& v : label) v = static_cast<float>(pick(rng));
  return std::map<std::string, Tensor>{
      {"image", Tensor::FromVector(image_shape, image).CopyTo(device)},
      {"label", Tensor::FromVector(label_shape, label).CopyTo(device)}};
}

// " peak_gpu_mb=..." in a CUDA build, for the caching allocator's peak.
std::string GpuMemory() {
#if TESSERA_CUDA
  if (GetBackend(Device::kCuda) != nullptr) {
    return absl::StrFormat(" peak_gpu_mb=%.1f", GetCudaMemoryStats().peak_in_use_bytes / 1048576.0);
  }
#endif
  return "";
}

absl::Status Run() {
  const std::string path = UserPath(absl::GetFlag(FLAGS_graph));
  const int64_t batch = absl::GetFlag(FLAGS_batch);
  const int steps = absl::GetFlag(FLAGS_steps), warmup = absl::GetFlag(FLAGS_warmup);
  const int threads = absl::GetFlag(FLAGS_threads);
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (path.empty()) return absl::InvalidArgumentError("--graph is required");
  if (batch < 1 || steps < 1 || warmup < 0 || threads < 1) {
    return absl::InvalidArgumentError(
        "--batch, --steps and --threads must be positive, --warmup not negative");
  }
  SetNumCpuThreads(threads);
  const std::string device_flag = absl::GetFlag(FLAGS_device);
  if (device_flag != "cpu" && device_flag != "gpu") {
    return absl::InvalidArgumentError("--device must be cpu or gpu");
  }
  const Device device = device_flag == "gpu" ? Device::kCuda : Device::kCpu;
  Backend* backend = GetBackend(device);
  if (backend == nullptr) {
    return absl::FailedPreconditionError("--device=gpu: no GPU in this process (no GPU, or a build "
                                         "without --config=cuda)");
  }
  TS_ASSIGN_OR_RETURN(Graph graph, LoadGraph(path, absl::GetFlag(FLAGS_image_size)));
  TS_ASSIGN_OR_RETURN(auto feeds, RandomFeeds(graph, batch, seed, device));
  TS_ASSIGN_OR_RETURN(Shape image_shape, graph.InputShape("image", batch));

  ParameterStore params = ParameterStore::Initialize(graph, seed, device);
  TS_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor_ptr,
                      Executor::Create(graph, params,
                                       {device, /*check_numerics=*/false,
                                        absl::GetFlag(FLAGS_release_values)}));
  Executor& executor = *executor_ptr;
  OptimizerConfig sgd;  // type sgd, momentum 0.9
  sgd.weight_decay = 5e-4f;
  TS_ASSIGN_OR_RETURN(std::unique_ptr<Optimizer> optimizer, Optimizer::Create(sgd, params, device));
  const float lr = static_cast<float>(absl::GetFlag(FLAGS_lr));
  const bool fused = absl::GetFlag(FLAGS_fused_update);
  if (fused) executor.AddHook(optimizer->fused_update());

  double forward_ms = 0, backward_ms = 0, update_ms = 0;
  float loss = 0;
  for (int step = 0; step < warmup + steps; ++step) {
    const Clock::time_point t0 = Clock::now();
    if (fused) optimizer->BeginFusedStep(lr);
    TS_RETURN_IF_ERROR(executor.Forward(feeds, /*training=*/true, seed * 1000003 + step));
    TS_ASSIGN_OR_RETURN(loss, executor.Loss());  // the trainer reads it every step too
    const Clock::time_point t1 = Clock::now();
    TS_RETURN_IF_ERROR(executor.Backward());
    backend->Synchronize();  // GPU work is asynchronous; a no-op on the CPU
    const Clock::time_point t2 = Clock::now();
    optimizer->Step(lr);
    backend->Synchronize();
    const Clock::time_point t3 = Clock::now();
    // Non-finite values can run at a fraction of the speed: refuse to time them.
    if (!std::isfinite(loss)) {
      return absl::InternalError(absl::StrCat("loss is ", loss, " at step ", step));
    }
    if (step < warmup) continue;
    forward_ms += Ms(t1 - t0);
    backward_ms += Ms(t2 - t1);
    update_ms += Ms(t3 - t2);
  }
  const double step_ms = (forward_ms + backward_ms + update_ms) / steps;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);  // ru_maxrss is in KiB on Linux
  printf(
      "RESULT graph=%s input=%s device=%s threads=%d steps=%d warmup=%d ms_per_step=%.3f "
      "images_per_s=%.2f forward_ms=%.3f backward_ms=%.3f update_ms=%.3f peak_rss_mb=%.1f%s "
      "final_loss=%.4f\n",
      graph.def().name().c_str(), ShapeToString(image_shape).c_str(), DeviceName(device), threads,
      steps, warmup,
      step_ms, batch / (step_ms / 1000.0), forward_ms / steps, backward_ms / steps,
      update_ms / steps, usage.ru_maxrss / 1024.0, GpuMemory().c_str(), loss);
  return absl::OkStatus();
}

}  // namespace
}  // namespace tessera

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Times whole train steps (forward, backward, SGD momentum update) of a graph on random "
      "data.\n"
      "  model_step_benchmark --graph=models/mlp.pbtxt [--batch=64] [--image_size=0] [--steps=3] "
      "[--warmup=1] [--threads=2]");
  absl::ParseCommandLine(argc, argv);
  absl::Status status = tessera::Run();
  if (!status.ok()) {
    fprintf(stderr, "model_step_benchmark: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
