#ifndef TESSERA_DISTRIBUTED_LAUNCH_TEST_UTIL_H_
#define TESSERA_DISTRIBUTED_LAUNCH_TEST_UTIL_H_

// For tests that start real jobs with mpirun: launching with a deadline (a
// test never hangs), the trainer's printed losses, checkpoints compared.

#include <sys/types.h>

#include <string>
#include <vector>

#include "core/checkpoint.h"

namespace tessera::distributed::testing {

struct Finished {
  int exit_code = -1;  // 128 + signal for a signal; -1: killed at the deadline
  bool timed_out = false;
  double seconds = 0;
  std::string output;  // stdout and stderr
};

// mpirun's arguments for `ranks` local ranks (running as root, and more
// ranks than cores, are allowed: this is a test machine).
std::vector<std::string> Mpirun(int ranks);

// Starts `argv` in a process group of its own, output to `log`.
pid_t StartJob(const std::vector<std::string>& argv, const std::string& log);
// Waits up to `deadline_seconds`; past it kills the whole group.
Finished WaitJob(pid_t pid, const std::string& log, double deadline_seconds);
Finished RunJob(const std::vector<std::string>& argv, const std::string& log,
                double deadline_seconds);

// The values of "loss X" in the trainer's progress lines, in order.
std::vector<std::string> PrintedLosses(const std::string& output);

// The newest checkpoint in `dir` (fails the test if there is none).
CheckpointProto NewestCheckpoint(const std::string& dir);
// How far checkpoint `a`'s tensors are from `b`'s, for the tensor where
// it is worst: ||a - b|| / ||b||, and the largest |a - b| over the largest
// |b| (0 only when bitwise equal). The tensors must match in names and
// sizes.
struct Difference {
  double norm_relative = 0;
  double relative = 0;
  std::string tensor;
};
Difference ParameterDifference(const CheckpointProto& a, const CheckpointProto& b);
Difference OptimizerStateDifference(const CheckpointProto& a, const CheckpointProto& b);

// A fresh directory under TEST_TMPDIR.
std::string TempDir(const std::string& name);

}  // namespace tessera::distributed::testing

#endif  // TESSERA_DISTRIBUTED_LAUNCH_TEST_UTIL_H_
