#ifndef TESSERA_DISTRIBUTED_DATA_PARALLEL_H_
#define TESSERA_DISTRIBUTED_DATA_PARALLEL_H_

// What the training loop (models/training_loop.h) needs to train one model
// data-parallel over the ranks of an MPI job: each rank takes its shard of
// every global batch, gradients are averaged in buckets while backward runs
// (gradient_reducer.h), and every rank takes the same optimizer step.
//
// Started without mpirun (or with -np 1) every call below does nothing, so
// a single process trains exactly as without it.
//
// Start-up, in this order, each step collective:
//   CheckSameRun    binary, graph, run settings and initial parameters are
//                   the same on every rank (checksums); else every rank stops
//                   with a message naming the ranks that differ
//   Agree           rank 0's attempt to read a checkpoint, shared
//   BroadcastState  parameters, optimizer state and position from rank 0
//                   (so a checkpoint need only exist where rank 0 runs)

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/executor.h"
#include "core/optimizer.h"
#include "distributed/communicator.h"
#include "distributed/gradient_reducer.h"
#include "distributed/world.h"

namespace tessera::distributed {

struct DataParallelOptions {
  Device device = Device::kCpu;
  // PyTorch DDP's default bucket size.
  int64_t bucket_bytes = 25 << 20;
  // Start each bucket's all-reduce during backward (false: all after it).
  bool overlap = true;
};

class DataParallel {
 public:
  // Hooks the reducer into `executor`. All references must outlive this.
  static absl::StatusOr<std::unique_ptr<DataParallel>> Create(const Graph& graph,
                                                              ParameterStore& params,
                                                              Executor& executor,
                                                              const DataParallelOptions& options);

  ~DataParallel();

  int rank() const { return world_.rank(); }
  int size() const { return world_.size(); }
  bool is_root() const { return world_.is_root(); }

  // This rank's share of a global batch; an error (the same on every rank)
  // when the ranks cannot split it evenly.
  absl::StatusOr<int64_t> ShardSize(int64_t global_batch);
  // Copies this rank's consecutive slice of a global batch.
  void TakeShard(const std::vector<float>& images, const std::vector<float>& labels,
                 std::vector<float>& shard_images, std::vector<float>& shard_labels) const;

  absl::Status CheckSameRun(const std::string& run_settings);
  absl::Status Agree(const absl::Status& local) { return world_.Agree(local); }
  absl::Status BroadcastState(Optimizer& optimizer, int64_t& epoch, int64_t& batch_in_epoch);

  // The mean of every rank's loss (each over its shard): the global batch's.
  absl::StatusOr<float> AverageLoss(float loss);
  // After Executor::Backward: every trainable gradient is the ranks' mean.
  absl::Status FinishGradients();
  // After the optimizer step: non-trainable parameters (batch-norm running
  // statistics, updated from each rank's own shard) are copied from rank 0,
  // as DDP does with module buffers, so that every rank holds what rank 0
  // checkpoints.
  absl::Status BroadcastBuffers();

  // A seed for random ops that differs between ranks (and is `seed` on
  // rank 0), so that dropout masks are drawn independently per shard.
  uint64_t RankSeed(uint64_t seed) const;

  // "2 ranks, 3 buckets of up to 25 MB, all-reduce 12% of step time, 3% not
  // hidden by backward"; empty for one process.
  std::string Summary(double train_seconds) const;
  const ReducerStats* reducer_stats() const { return reducer_ ? &reducer_->stats() : nullptr; }

  [[noreturn]] void Abort(const absl::Status& status) { world_.Abort(status); }

 private:
  DataParallel(World& world, const Graph& graph, ParameterStore& params, Executor& executor)
      : world_(world), graph_(graph), params_(params), executor_(executor) {}

  World& world_;
  const Graph& graph_;
  ParameterStore& params_;
  Executor& executor_;
  DataParallelOptions options_;
  std::unique_ptr<Communicator> comm_;
  std::unique_ptr<GradientReducer> reducer_;
};

// Checksums for CheckSameRun: of this executable's file, and of a graph
// (its definition serialised deterministically).
uint32_t ExecutableChecksum();
uint32_t GraphChecksum(const Graph& graph);
// Of every parameter's values (and, given one, the optimizer's state and
// step count), in name order, as host bytes.
uint32_t StateChecksum(const ParameterStore& params, Optimizer* optimizer);

}  // namespace tessera::distributed

#endif  // TESSERA_DISTRIBUTED_DATA_PARALLEL_H_
