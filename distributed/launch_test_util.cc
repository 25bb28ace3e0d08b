#include "distributed/launch_test_util.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"

namespace tessera::distributed::testing {

std::vector<std::string> Mpirun(int ranks) {
  std::vector<std::string> argv = {"mpirun", "--allow-run-as-root", "-np", std::to_string(ranks)};
  if (ranks > 2) argv.push_back("--oversubscribe");
  return argv;
}

pid_t StartJob(const std::vector<std::string>& argv, const std::string& log) {
  // Under --config=asan the trainers (and mpirun's children inherit this)
  // report OpenMPI's deliberate exit-time allocations as leaks otherwise.
  const std::filesystem::path suppressions = "distributed/testdata/lsan_mpi.supp";
  const std::string lsan_options =
      std::filesystem::exists(suppressions)
          ? "suppressions=" + std::filesystem::absolute(suppressions).string()
          : "";
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    if (!lsan_options.empty()) setenv("LSAN_OPTIONS", lsan_options.c_str(), 1);
    // Jobs of tests running side by side: PMIx's shared-memory store can
    // fail its lock ("PMIX ERROR ... gds_ds12_lock_pthread.c"); its hash
    // store has no shared state.
    setenv("PMIX_MCA_gds", "hash", 1);
    // Under --config=asan, no leak check for jobs under mpirun: OpenMPI's
    // deliberate exit-time allocations come from plugins it has unloaded by
    // then, reported as "<unknown module>" (or libc), which no suppression
    // can name (tried: lsan_mpi.supp, and keeping the plugins loaded). The
    // trainer's own code is leak-checked by the single-process ASan tests
    // (models:trainer_test, models:crash_test run the same binaries);
    // address errors are still reported here.
    if (const char* asan = std::getenv("ASAN_OPTIONS"); asan != nullptr) {
      setenv("ASAN_OPTIONS", (std::string(asan) + ":detect_leaks=0").c_str(), 1);
    }
    if (freopen(log.c_str(), "w", stdout) == nullptr) _exit(126);
    dup2(fileno(stdout), fileno(stderr));
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (std::string& a : copy) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  return pid;
}

Finished WaitJob(pid_t pid, const std::string& log, double deadline_seconds) {
  Finished f;
  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    f.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (done == pid) break;
    if (f.seconds > deadline_seconds) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      f.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!f.timed_out) {
    f.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  f.output = text.str();
  return f;
}

Finished RunJob(const std::vector<std::string>& argv, const std::string& log,
                double deadline_seconds) {
  return WaitJob(StartJob(argv, log), log, deadline_seconds);
}

std::vector<std::string> PrintedLosses(const std::string& output) {
  static const std::regex kLoss(R"(step (\d+)/\d+  loss ([0-9.]+))");
  std::vector<std::string> losses;
  for (std::sregex_iterator it(output.begin(), output.end(), kLoss), end; it != end; ++it) {
    losses.push_back((*it)[1].str() + ":" + (*it)[2].str());
  }
  return losses;
}

CheckpointProto NewestCheckpoint(const std::string& dir) {
  std::vector<std::string> found = ListCheckpoints(dir);
  EXPECT_FALSE(found.empty()) << "no checkpoint in " << dir;
  if (found.empty()) return {};
  absl::StatusOr<CheckpointProto> checkpoint = ReadCheckpointFile(found.back());
  EXPECT_TRUE(checkpoint.ok()) << checkpoint.status();
  return checkpoint.ok() ? *checkpoint : CheckpointProto();
}

namespace {

Difference MaxRelative(const google::protobuf::RepeatedPtrField<TensorProto>& a,
                       const google::protobuf::RepeatedPtrField<TensorProto>& b) {
  std::map<std::string, const TensorProto*> by_name;
  for (const TensorProto& t : b) by_name[t.name()] = &t;
  EXPECT_EQ(a.size(), b.size());
  Difference worst;
  for (const TensorProto& t : a) {
    auto it = by_name.find(t.name());
    if (it == by_name.end()) {
      ADD_FAILURE() << "tensor " << t.name() << " missing";
      return {INFINITY, INFINITY, t.name()};
    }
    const TensorProto& u = *it->second;
    if (t.values_size() != u.values_size()) {
      ADD_FAILURE() << "tensor " << t.name() << " differs in size";
      return {INFINITY, INFINITY, t.name()};
    }
    double scale = 0, diff = 0, norm = 0, diff_norm = 0;
    for (int i = 0; i < t.values_size(); ++i) {
      const double d = static_cast<double>(t.values(i)) - u.values(i);
      scale = std::max(scale, std::fabs(static_cast<double>(u.values(i))));
      diff = std::max(diff, std::fabs(d));
      norm += static_cast<double>(u.values(i)) * u.values(i);
      diff_norm += d * d;
    }
    const double relative = diff == 0 ? 0 : scale > 0 ? diff / scale : INFINITY;
    const double norm_relative = diff_norm == 0 ? 0
                                 : norm > 0     ? std::sqrt(diff_norm / norm)
                                                : INFINITY;
    if (norm_relative > worst.norm_relative || worst.tensor.empty()) {
      worst = {norm_relative, relative, t.name()};
    }
    worst.relative = std::max(worst.relative, relative);
  }
  return worst;
}

}  // namespace

Difference ParameterDifference(const CheckpointProto& a, const CheckpointProto& b) {
  return MaxRelative(a.parameter(), b.parameter());
}

Difference OptimizerStateDifference(const CheckpointProto& a, const CheckpointProto& b) {
  return MaxRelative(a.optimizer_state(), b.optimizer_state());
}

std::string TempDir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  const std::string dir = std::string(base ? base : "/tmp") + "/" + name;
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace tessera::distributed::testing
