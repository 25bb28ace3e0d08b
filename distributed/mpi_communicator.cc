#include "distributed/mpi_communicator.h"

#include <openmpi/mpi.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "distributed/mpi_status.h"

namespace tessera::distributed {
namespace {

MPI_Comm& Comm(void*& handle) { return *reinterpret_cast<MPI_Comm*>(&handle); }

// MPI counts are ints: larger buffers go in pieces.
constexpr int64_t kMaxChunk = int64_t{1} << 30;

}  // namespace

static_assert(sizeof(MPI_Comm) <= sizeof(void*), "MPI_Comm must fit in a pointer");

MpiCommunicator::MpiCommunicator(World& world) : rank_(world.rank()), size_(world.size()) {
  MPI_Comm_dup(MPI_COMM_WORLD, &Comm(comm_));
  MPI_Comm_set_errhandler(Comm(comm_), MPI_ERRORS_RETURN);
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Comm_free(&Comm(comm_));
}

absl::Status MpiCommunicator::AllReduceAverage(float* data, int64_t count) {
  for (int64_t done = 0; done < count; done += kMaxChunk) {
    const int n = static_cast<int>(std::min(count - done, kMaxChunk));
    absl::Status s =
        MpiStatus(MPI_Allreduce(MPI_IN_PLACE, data + done, n, MPI_FLOAT, MPI_SUM, Comm(comm_)),
                  "MPI_Allreduce");
    if (!s.ok()) return s;
  }
  const float scale = 1.0f / static_cast<float>(size_);
  for (int64_t i = 0; i < count; ++i) data[i] *= scale;
  return absl::OkStatus();
}

absl::Status MpiCommunicator::Broadcast(float* data, int64_t count, int root) {
  for (int64_t done = 0; done < count; done += kMaxChunk) {
    const int n = static_cast<int>(std::min(count - done, kMaxChunk));
    absl::Status s =
        MpiStatus(MPI_Bcast(data + done, n, MPI_FLOAT, root, Comm(comm_)), "MPI_Bcast");
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace tessera::distributed
