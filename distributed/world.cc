#include "distributed/world.h"

#include <openmpi/mpi.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "distributed/mpi_status.h"

namespace tessera::distributed {
namespace {

constexpr char kAgreedPayload[] = "tessera.distributed/agreed";

}  // namespace

bool LaunchedByMpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMI_SIZE") != nullptr ||
         std::getenv("PMIX_RANK") != nullptr;
}

World& World::Get() {
  static World* world = new World();  // never destroyed; MPI is finalised at exit
  return *world;
}

World::World() {
  char name[256] = {};
  gethostname(name, sizeof(name) - 1);
  host_ = name;
  if (!LaunchedByMpi()) return;
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
  if (provided < MPI_THREAD_SERIALIZED) {
    fprintf(stderr, "MPI provides thread level %d, Tessera needs MPI_THREAD_SERIALIZED\n",
            provided);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  // Errors come back as codes (turned into absl::Status) instead of
  // OpenMPI's default of aborting without saying where.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  std::atexit([] {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  });
}

void* World::mpi_comm() const { return reinterpret_cast<void*>(MPI_COMM_WORLD); }

absl::Status World::Broadcast(void* data, int64_t bytes, int root) {
  if (size_ == 1) return absl::OkStatus();
  char* p = static_cast<char*>(data);
  for (int64_t done = 0; done < bytes;) {
    const int chunk = static_cast<int>(std::min<int64_t>(bytes - done, 1 << 30));
    if (auto s = MpiStatus(MPI_Bcast(p + done, chunk, MPI_BYTE, root, MPI_COMM_WORLD), "MPI_Bcast");
        !s.ok())
      return s;
    done += chunk;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> World::AllGather(const std::string& mine) {
  if (size_ == 1) return std::vector<std::string>{mine};
  int length = static_cast<int>(mine.size());
  std::vector<int> lengths(size_), offsets(size_);
  if (auto s =
          MpiStatus(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, MPI_COMM_WORLD),
                    "MPI_Allgather");
      !s.ok())
    return s;
  int64_t total = 0;
  for (int r = 0; r < size_; ++r) {
    offsets[r] = static_cast<int>(total);
    total += lengths[r];
  }
  std::string all(total, '\0');
  if (auto s = MpiStatus(MPI_Allgatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(),
                                        offsets.data(), MPI_CHAR, MPI_COMM_WORLD),
                         "MPI_Allgatherv");
      !s.ok())
    return s;
  std::vector<std::string> out;
  for (int r = 0; r < size_; ++r) out.push_back(all.substr(offsets[r], lengths[r]));
  return out;
}

absl::Status World::AllReduceSum(double* values, int count) {
  if (size_ == 1) return absl::OkStatus();
  return MpiStatus(MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD),
                   "MPI_Allreduce");
}

absl::Status World::Agree(const absl::Status& local) {
  if (size_ == 1) return local;
  const std::string mine =
      local.ok() ? "" : absl::StrCat(static_cast<int>(local.code()), ":", local.message());
  absl::StatusOr<std::vector<std::string>> all = AllGather(mine);
  if (!all.ok()) return all.status();
  std::vector<std::string> failures;
  absl::StatusCode code = absl::StatusCode::kOk;
  bool same_everywhere = true;
  for (int r = 0; r < size_; ++r) {
    const std::string& s = (*all)[r];
    same_everywhere &= s == (*all)[0];
    if (s.empty()) continue;
    const size_t colon = s.find(':');
    if (code == absl::StatusCode::kOk) code = static_cast<absl::StatusCode>(std::stoi(s));
    failures.push_back(absl::StrCat("rank ", r, ": ", s.substr(colon + 1)));
  }
  if (failures.empty()) return absl::OkStatus();
  absl::Status agreed(
      code, same_everywhere
                ? absl::StrCat((*all)[0].substr((*all)[0].find(':') + 1), " (on every rank)")
                : absl::StrJoin(failures, "; "));
  agreed.SetPayload(kAgreedPayload, absl::Cord("1"));
  return agreed;
}

void World::Abort(const absl::Status& status) {
  fprintf(stderr, "\nrank %d on %s: %s\n", rank_, host_.c_str(),
          std::string(status.message()).c_str());
  fflush(stderr);
  if (size_ > 1) MPI_Abort(MPI_COMM_WORLD, 1);
  std::_Exit(1);
}

namespace {

char g_stop_message[1024];

void OnStopSignal(int signal) {
  // Only async-signal-safe calls here.
  const char* name = signal == SIGINT ? "SIGINT" : "SIGTERM";
  (void)!write(STDERR_FILENO, "\n", 1);
  (void)!write(STDERR_FILENO, g_stop_message, strnlen(g_stop_message, sizeof(g_stop_message)));
  (void)!write(STDERR_FILENO, name, strlen(name));
  (void)!write(STDERR_FILENO, "\n", 1);
  _exit(128 + signal);
}

}  // namespace

void ExitOnStopSignals(const std::string& checkpoint_dir) {
  const World& world = World::Get();
  const std::string message = absl::StrCat(
      "rank ", world.rank(), " on ", world.host(),
      ": stopped by mpirun, which ends every rank when one is lost or the job is interrupted "
      "(mpirun's message names the rank). ",
      checkpoint_dir.empty() ? "No checkpoints were being written."
                             : absl::StrCat("The last checkpoint in ", checkpoint_dir,
                                            " is intact: continue with --resume."),
      " Signal: ");
  snprintf(g_stop_message, sizeof(g_stop_message), "%s", message.c_str());
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool IsAgreed(const absl::Status& status) { return status.GetPayload(kAgreedPayload).has_value(); }

}  // namespace tessera::distributed
