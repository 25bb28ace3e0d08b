#ifndef TESSERA_DISTRIBUTED_GRADIENT_REDUCER_H_
#define TESSERA_DISTRIBUTED_GRADIENT_REDUCER_H_

// Averages parameter gradients over all ranks in buckets, as PyTorch DDP
// does: the parameters are grouped, in the order backward finishes their
// gradients (the last layer first), into buckets of about `bucket_bytes`;
// as each gradient is final (ExecutorHook::GradientReady) it is copied into its bucket,
// and a bucket whose gradients are all in is all-reduced at once, while
// backward still computes the earlier layers. Finish() waits for the
// buckets and writes the averages into the parameters' grads.
//
// Buckets are launched strictly in order, so every rank issues the same
// sequence of collectives. With an MPI communicator (blocking calls) the
// all-reduces run on a thread of their own; NCCL queues them on the stream.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "core/executor.h"
#include "distributed/communicator.h"

namespace tessera::distributed {

struct ReducerStats {
  int64_t steps = 0;
  int buckets = 0;
  int64_t bytes_per_step = 0;
  double reduce_seconds = 0;   // the all-reduces themselves (blocking communicators)
  double exposed_seconds = 0;  // of those, what Finish() waited for after backward
};

class GradientReducer final : public ExecutorHook {
 public:
  // `order`: the trainable parameters, in the order backward finishes them.
  // With `overlap` false every bucket waits for Finish() (for measuring
  // what the overlap hides).
  GradientReducer(Communicator& comm, ParameterStore& params, const std::vector<std::string>& order,
                  int64_t bucket_bytes, bool overlap);
  ~GradientReducer() override;
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Copies the gradient into its bucket; launches the buckets now complete.
  absl::Status GradientReady(const std::string& name, Parameter& param) override;
  // After Backward(): all-reduces what is left, waits, writes the averages.
  absl::Status Finish();

  const ReducerStats& stats() const { return stats_; }
  int num_buckets() const { return static_cast<int>(buckets_.size()); }

 private:
  struct Slot {
    int bucket;
    int64_t offset;  // floats into the bucket
  };
  struct Bucket {
    Tensor data;  // flat, on the communicator's device
    int pending = 0;
    int size = 0;  // parameters in the bucket
  };

  void LaunchReadyBuckets(bool all);
  void Launch(int bucket);
  void CommLoop();

  Communicator& comm_;
  ParameterStore& params_;
  Backend& backend_;
  bool overlap_;
  std::map<std::string, Slot> slots_;
  std::vector<Bucket> buckets_;
  int next_launch_ = 0;

  // The communication thread (blocking communicators only).
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> queue_;
  int completed_ = 0;
  bool stop_ = false;
  absl::Status comm_status_;
  double comm_seconds_ = 0;
  std::thread thread_;

  ReducerStats stats_;
};

// The trainable parameters of `graph` in the order Executor::Backward
// finishes their gradients: by the index of the first node that reads them,
// last first; parameters no node reads come last.
std::vector<std::string> GradientOrder(const Graph& graph, const ParameterStore& params);

}  // namespace tessera::distributed

#endif  // TESSERA_DISTRIBUTED_GRADIENT_REDUCER_H_
