#ifndef TESSERA_DISTRIBUTED_NCCL_COMMUNICATOR_H_
#define TESSERA_DISTRIBUTED_NCCL_COMMUNICATOR_H_

// GPU collectives over NCCL (CUDA builds only). One communicator for the
// job, bootstrapped by broadcasting rank 0's ncclUniqueId over MPI; every
// collective is queued on the CUDA backend's stream, behind the kernels
// that produce its input, so no host synchronisation is needed.
//
// One rank per GPU: each rank uses the CUDA backend's device (device 0 of
// what CUDA_VISIBLE_DEVICES shows it).

#include <memory>

#include "absl/status/statusor.h"
#include "distributed/communicator.h"
#include "distributed/world.h"

namespace tessera::distributed {

absl::StatusOr<std::unique_ptr<Communicator>> CreateNcclCommunicator(World& world);

}  // namespace tessera::distributed

#endif  // TESSERA_DISTRIBUTED_NCCL_COMMUNICATOR_H_
