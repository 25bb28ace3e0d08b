#ifndef TESSERA_DISTRIBUTED_MPI_COMMUNICATOR_H_
#define TESSERA_DISTRIBUTED_MPI_COMMUNICATOR_H_

// CPU collectives over MPI, on a communicator of their own (a duplicate of
// the world's), so that gradient all-reduces running on the reducer's thread
// never match a collective of the training thread by accident.

#include "distributed/communicator.h"
#include "distributed/world.h"

namespace tessera::distributed {

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(World& world);
  ~MpiCommunicator() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Device device() const override { return Device::kCpu; }
  absl::Status AllReduceAverage(float* data, int64_t count) override;
  absl::Status Broadcast(float* data, int64_t count, int root) override;
  bool blocks_caller() const override { return true; }

 private:
  int rank_, size_;
  void* comm_ = nullptr;  // MPI_Comm
};

}  // namespace tessera::distributed

#endif  // TESSERA_DISTRIBUTED_MPI_COMMUNICATOR_H_
