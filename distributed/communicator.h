#ifndef TESSERA_DISTRIBUTED_COMMUNICATOR_H_
#define TESSERA_DISTRIBUTED_COMMUNICATOR_H_

// Collectives on tensors' memory, for data-parallel training: MPI for CPU
// tensors (mpi_communicator.h), NCCL for GPU tensors (nccl_communicator.h).

#include <cstdint>

#include "absl/status/status.h"
#include "core/tensor.h"

namespace tessera::distributed {

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Where the buffers passed below live.
  virtual Device device() const = 0;

  // Replaces `count` floats at `data` with their mean over all ranks.
  virtual absl::Status AllReduceAverage(float* data, int64_t count) = 0;
  // Copies `count` floats at `data` from rank `root` to every rank.
  virtual absl::Status Broadcast(float* data, int64_t count, int root) = 0;

  // True when the calls above return only once the data has arrived (MPI),
  // so that overlapping them with computation needs a thread; false when
  // they are queued behind the device's work and return at once (NCCL on
  // the backend's stream).
  virtual bool blocks_caller() const = 0;
};

}  // namespace tessera::distributed

#endif  // TESSERA_DISTRIBUTED_COMMUNICATOR_H_
