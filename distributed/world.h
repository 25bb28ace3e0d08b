#ifndef TESSERA_DISTRIBUTED_WORLD_H_
#define TESSERA_DISTRIBUTED_WORLD_H_

// This process's place in an MPI job. A process that mpirun did not start is
// a world of one and never touches MPI, so a single process trains exactly
// as it would without this library.
//
// MPI is initialised on the first World::Get() (thread level SERIALIZED:
// the gradient reducer's thread and the training thread take turns, never
// calling MPI at the same time) and finalised at exit.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace tessera::distributed {

class World {
 public:
  static World& Get();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool is_root() const { return rank_ == 0; }
  bool is_distributed() const { return size_ > 1; }
  const std::string& host() const { return host_; }
  // Opaque MPI_Comm of the whole job (MPI_COMM_WORLD); for communicators.
  void* mpi_comm() const;

  // Host-side collectives over all ranks. Every rank must call them in the
  // same order.
  absl::Status Broadcast(void* data, int64_t bytes, int root);
  absl::StatusOr<std::vector<std::string>> AllGather(const std::string& mine);
  absl::Status AllReduceSum(double* values, int count);

  // Collective: OK on every rank if `local` is OK on every rank; otherwise
  // the same error on every rank, naming the ranks that failed and why. The
  // error carries a mark (IsAgreed) so that callers know every rank stops.
  absl::Status Agree(const absl::Status& local);

  // For an error only this rank has seen (the others would wait for it
  // forever): prints "rank R on HOST: message" and ends the whole job with
  // MPI_Abort.
  [[noreturn]] void Abort(const absl::Status& status);

 private:
  World();

  int rank_ = 0;
  int size_ = 1;
  std::string host_;
};

// Under mpirun, SIGTERM and SIGINT (mpirun sends them to every rank when
// one is lost or the user interrupts the job) end this rank at once with a
// message saying so, instead of leaving it in a collective that cannot
// finish. The message points to the last checkpoint in `checkpoint_dir`
// (empty: none), which the atomic save keeps intact.
void ExitOnStopSignals(const std::string& checkpoint_dir);

// Whether `status` came from World::Agree (every rank has it).
bool IsAgreed(const absl::Status& status);

// Whether mpirun (OpenMPI, or a PMI launcher) started this process.
bool LaunchedByMpi();

}  // namespace tessera::distributed

#endif  // TESSERA_DISTRIBUTED_WORLD_H_
