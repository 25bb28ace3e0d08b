// The memory estimate of a training step (core/memory_estimate.h) against
// what the CPU allocator really held at its peak over two steps of the
// model graphs, and the batch sizes it says fit.

#include "core/memory_estimate.h"

#include <cmath>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "core/backend.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/optimizer.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

std::map<std::string, Tensor> RandomBatch(const Graph& graph, int64_t batch, int step) {
  std::mt19937 rng(step);
  std::map<std::string, Tensor> feeds;
  for (const InputDef& input : graph.def().input()) {
    const Shape shape = *graph.InputShape(input.name(), batch);
    std::vector<float> values(NumElements(shape));
    for (float& v : values) {
      v = input.name() == "label" ? static_cast<float>(rng() % 10)
                                  : std::uniform_real_distribution<float>(-1, 1)(rng);
    }
    feeds[input.name()] = Tensor::FromVector(shape, values);
  }
  return feeds;
}

// The most the CPU backend held during two SGD steps, beyond what it held
// before (its cache emptied first). `fused`: the update in the backward
// pass (Optimizer::fused_update), as the trainer runs it on one rank.
double MeasuredPeak(const Graph& graph, int64_t batch, bool fused) {
  Backend& cpu = *GetBackend(Device::kCpu);
  cpu.ReleaseCache();
  const double before = cpu.HeldBytes();
  cpu.ResetPeakHeldBytes();
  {
    ParameterStore params = ParameterStore::Initialize(graph, 1, Device::kCpu);
    std::unique_ptr<Executor> executor =
        *Executor::Create(graph, params, {Device::kCpu, false, /*release_values=*/true});
    std::unique_ptr<Optimizer> sgd = *Optimizer::Create(OptimizerConfig{}, params, Device::kCpu);
    if (fused) executor->AddHook(sgd->fused_update());
    for (int step = 0; step < 2; ++step) {
      if (fused) sgd->BeginFusedStep(0.01f);
      EXPECT_TRUE(executor->Forward(RandomBatch(graph, batch, step), /*training=*/true).ok());
      EXPECT_TRUE(executor->Backward().ok());
      sgd->Step(0.01f);
    }
  }
  return cpu.PeakHeldBytes() - before;
}

TEST(MemoryEstimate, MatchesWhatTheAllocatorHeldAtItsPeak) {
  const BlockCachePolicy cache = GetBackend(Device::kCpu)->block_cache();
  for (const auto& [path, batch] :
       std::vector<std::pair<std::string, int64_t>>{{"models/mlp.pbtxt", 32},
                                                    {"models/alexnet_fashion.pbtxt", 4},
                                                    {"models/cnn_bn.pbtxt", 8}}) {
    for (bool fused : {false, true}) {
      absl::StatusOr<Graph> graph = Graph::FromTextFile(path);
      ASSERT_TRUE(graph.ok()) << graph.status();
      absl::StatusOr<MemoryEstimate> estimate =
          EstimateTrainingMemory(*graph, batch, /*optimizer_slots=*/1, cache, fused);
      ASSERT_TRUE(estimate.ok()) << estimate.status();
      const double measured = MeasuredPeak(*graph, batch, fused);
      // Kernels' scratch (std::vector) is in the estimate, not in the
      // allocator's count.
      double scratch = 0;
      for (const MemoryItem& item : estimate->at_peak) {
        if (item.what.find("workspace") != std::string::npos) scratch += item.bytes;
      }
      EXPECT_NEAR(estimate->peak_bytes - scratch, measured, 0.05 * measured)
          << path << " at batch " << batch << (fused ? ", fused update" : "") << ": "
          << FormatMemoryEstimate(*estimate);
    }
  }
}

TEST(MemoryEstimate, TheFusedUpdateHoldsLess) {
  absl::StatusOr<Graph> graph = Graph::FromTextFile("models/alexnet_fashion.pbtxt");
  ASSERT_TRUE(graph.ok()) << graph.status();
  const BlockCachePolicy cache = GetBackend(Device::kCpu)->block_cache();
  // At batch 256 the step's peak is above the parameters, gradients and
  // momentum that ParameterStore::Initialize and the optimizer allocate.
  absl::StatusOr<MemoryEstimate> plain = EstimateTrainingMemory(*graph, 256, 1, cache, false);
  absl::StatusOr<MemoryEstimate> fused = EstimateTrainingMemory(*graph, 256, 1, cache, true);
  ASSERT_TRUE(plain.ok() && fused.ok());
  // fc6's and fc7's weight gradients (218 MB) are applied and gone before
  // the convolutions' gradients run.
  EXPECT_LT(fused->peak_bytes, plain->peak_bytes - 200e6) << FormatMemoryEstimate(*plain) << "\n"
                                                          << FormatMemoryEstimate(*fused);
}

TEST(MemoryEstimate, ParametersGradientsAndOptimizerStateAreCounted) {
  absl::StatusOr<Graph> graph = Graph::FromTextFile("models/mlp.pbtxt");
  ASSERT_TRUE(graph.ok()) << graph.status();
  const double params = 4.0 * (784 * 256 + 256 + 256 * 10 + 10);
  absl::StatusOr<MemoryEstimate> sgd = EstimateTrainingMemory(*graph, 1, 1);
  absl::StatusOr<MemoryEstimate> adam = EstimateTrainingMemory(*graph, 1, 2);
  ASSERT_TRUE(sgd.ok() && adam.ok());
  EXPECT_EQ(sgd->parameter_bytes, params);
  EXPECT_EQ(sgd->gradient_bytes, params);
  EXPECT_EQ(sgd->optimizer_bytes, params);
  EXPECT_EQ(adam->optimizer_bytes, 2 * params);
  EXPECT_GE(sgd->peak_bytes, 3 * params);
  EXPECT_NEAR(adam->peak_bytes - sgd->peak_bytes, params, 1e-6 * params);
}

TEST(MemoryEstimate, TheConvolutionWorkspaceIsALargestContributor) {
  absl::StatusOr<Graph> graph = Graph::FromTextFile("models/cnn_bn.pbtxt");
  ASSERT_TRUE(graph.ok()) << graph.status();
  // At batch 8 the peak is conv2's gradient, its dx columns held.
  absl::StatusOr<MemoryEstimate> estimate =
      EstimateTrainingMemory(*graph, 8, 1, GetBackend(Device::kCpu)->block_cache());
  ASSERT_TRUE(estimate.ok()) << estimate.status();
  bool listed = false;
  for (const MemoryItem& item : estimate->at_peak) {
    listed |= item.what.find("im2col workspace") != std::string::npos && item.bytes > 1e6;
  }
  EXPECT_TRUE(listed) << FormatMemoryEstimate(*estimate, 20);
  EXPECT_NE(FormatMemoryEstimate(*estimate).find("at batch 8"), std::string::npos);
}

TEST(MemoryEstimate, LargestBatchThatFitsIsTheLargest) {
  absl::StatusOr<Graph> graph = Graph::FromTextFile("models/alexnet_fashion.pbtxt");
  ASSERT_TRUE(graph.ok()) << graph.status();
  const BlockCachePolicy cache = GetBackend(Device::kCpu)->block_cache();
  const double available = EstimateTrainingMemory(*graph, 100, 1, cache)->peak_bytes;
  absl::StatusOr<int64_t> fits = LargestBatchThatFits(*graph, 1, cache, available, 1000);
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_GE(*fits, 100);
  EXPECT_GT(EstimateTrainingMemory(*graph, *fits + 1, 1, cache)->peak_bytes, available);
  EXPECT_EQ(*LargestBatchThatFits(*graph, 1, cache, 1e6, 1000), 0);  // not even the parameters
}

}  // namespace
}  // namespace tessera
