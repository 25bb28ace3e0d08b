#include "distributed/nccl_communicator.h"

#include <nccl.h>

#include "absl/strings/str_cat.h"
#include "core/backend.h"
#include "core/cuda/cuda_context.h"

namespace tessera::distributed {
namespace {

absl::Status NcclStatus(ncclResult_t result, const char* what) {
  if (result == ncclSuccess) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(what, " failed: ", ncclGetErrorString(result)));
}

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(int rank, int size, ncclComm_t comm, cudaStream_t stream)
      : rank_(rank), size_(size), comm_(comm), stream_(stream) {}
  ~NcclCommunicator() override { ncclCommDestroy(comm_); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Device device() const override { return Device::kCuda; }
  bool blocks_caller() const override { return false; }

  absl::Status AllReduceAverage(float* data, int64_t count) override {
    return NcclStatus(
        ncclAllReduce(data, data, static_cast<size_t>(count), ncclFloat, ncclAvg, comm_, stream_),
        "ncclAllReduce");
  }

  absl::Status Broadcast(float* data, int64_t count, int root) override {
    return NcclStatus(
        ncclBroadcast(data, data, static_cast<size_t>(count), ncclFloat, root, comm_, stream_),
        "ncclBroadcast");
  }

 private:
  int rank_, size_;
  ncclComm_t comm_;
  cudaStream_t stream_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Communicator>> CreateNcclCommunicator(World& world) {
  Backend* backend = GetBackend(Device::kCuda);
  if (backend == nullptr) {
    return absl::FailedPreconditionError(
        "NCCL needs the CUDA backend, and this process has no GPU");
  }
  ncclUniqueId id;
  absl::Status status = absl::OkStatus();
  if (world.is_root()) status = NcclStatus(ncclGetUniqueId(&id), "ncclGetUniqueId");
  // Every rank learns whether rank 0 got an id before waiting for it.
  TS_RETURN_IF_ERROR(world.Agree(status));
  TS_RETURN_IF_ERROR(world.Broadcast(&id, sizeof(id), /*root=*/0));
  ncclComm_t comm = nullptr;
  TS_RETURN_IF_ERROR(world.Agree(
      NcclStatus(ncclCommInitRank(&comm, world.size(), id, world.rank()), "ncclCommInitRank")));
  return std::unique_ptr<Communicator>(std::make_unique<NcclCommunicator>(
      world.rank(), world.size(), comm, CudaContextOf(*backend).stream));
}

}  // namespace tessera::distributed
