// Crash safety of training, with the real binary in a child process:
// SIGKILL at arbitrary moments (including during checkpoint saves) never
// leaves a checkpoint that fails to load, and --resume continues from it;
// SIGINT writes a checkpoint and exits cleanly.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "core/checkpoint.h"
#include "datasets/mnist_digits.h"
#include "datasets/test_data.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

// Starts models/mlp_train with `args`, stdout and stderr to `log`.
pid_t Start(const std::vector<std::string>& args, const std::string& log) {
  const pid_t pid = fork();
  if (pid == 0) {
    FILE* out = freopen(log.c_str(), "w", stdout);
    (void)out;
    dup2(fileno(stdout), fileno(stderr));
    std::vector<char*> argv;
    std::string binary = "models/mlp_train";
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

// Waits for `event` (a file appearing), polling every millisecond: no fixed
// delay, so a slow machine (ASan on two cores) only makes it take longer.
// False if the child exits first, or after ten minutes, far beyond any run.
template <typename Event>
bool WaitFor(pid_t pid, Event event) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
  while (!event()) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) return false;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// True while a checkpoint is being written (its temp file exists).
bool SaveInProgress(const std::string& dir) {
  try {
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() == ".tmp") return true;
    }
  } catch (const std::filesystem::filesystem_error&) {
    // The directory does not exist yet, or changed while being read.
  }
  return false;
}

// The step of the newest checkpoint, from its name (ckpt-<step>.tsr), or -1.
int64_t NewestStep(const std::string& dir) {
  const std::vector<std::string> all = ListCheckpoints(dir);
  if (all.empty()) return -1;
  const std::string name = std::filesystem::path(all.back()).stem().string();
  return std::stoll(name.substr(name.find('-') + 1));
}

std::string Read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

std::vector<std::string> Args(const std::string& dir) {
  // A checkpoint every step, so that kills land inside saves often.
  return {"--dataset=mnist",      "--epochs=2",           "--threads=1",
          "--checkpoint_every=1", "--keep_checkpoints=2", "--checkpoint_dir=" + dir};
}

TEST(CrashSafety, SigkillNeverLeavesABadCheckpointAndResumeContinues) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  std::mt19937 rng(5);
  for (int round = 0; round < 4; ++round) {
    const std::string dir = ::testing::TempDir() + "/kill" + std::to_string(round);
    std::filesystem::remove_all(dir);
    const pid_t pid = Start(Args(dir), dir + ".log");
    // After a random number of saved steps, kill: in even rounds the moment
    // a save has begun (its temp file appeared), in odd rounds the moment one
    // has finished.
    const int64_t after_step = std::uniform_int_distribution<int>(1, 4)(rng);
    ASSERT_TRUE(WaitFor(pid, [&] { return NewestStep(dir) >= after_step; }))
        << "round " << round << ": no checkpoint of step " << after_step << "\n"
        << Read(dir + ".log");
    if (round % 2 == 0) {
      ASSERT_TRUE(WaitFor(pid, [&] { return SaveInProgress(dir); }))
          << "round " << round << ": no save began\n"
          << Read(dir + ".log");
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    Wait(pid);

    const std::vector<std::string> left = ListCheckpoints(dir);
    ASSERT_FALSE(left.empty()) << Read(dir + ".log");
    for (const std::string& path : left) {
      absl::StatusOr<CheckpointProto> ckpt = ReadCheckpointFile(path);
      ASSERT_TRUE(ckpt.ok()) << "round " << round << ": " << ckpt.status();
    }
    const int64_t saved_step = ReadCheckpointFile(left.back())->step();

    std::vector<std::string> resume = Args(dir);
    resume.push_back("--resume");
    resume.push_back("--max_steps=" + std::to_string(saved_step + 3));
    const int status = Wait(Start(resume, dir + ".resume.log"));
    const std::string log = Read(dir + ".resume.log");
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log;
    EXPECT_NE(log.find("step " + std::to_string(saved_step) + "\n"), std::string::npos) << log;
    EXPECT_EQ(ReadCheckpointFile(ListCheckpoints(dir).back())->step(), saved_step + 3) << log;
  }
}

TEST(CrashSafety, SigintSavesACheckpointAndExitsCleanly) {
  TESSERA_REQUIRE_DATA(datasets::HaveMnistDigits(), "the MNIST digits");
  const std::string dir = ::testing::TempDir() + "/sigint";
  std::filesystem::remove_all(dir);
  std::vector<std::string> args = {"--dataset=mnist", "--epochs=50", "--threads=1",
                                   "--checkpoint_every=3", "--checkpoint_dir=" + dir};
  const pid_t pid = Start(args, dir + ".log");
  // Training is under way (the signal handler is installed) once the first
  // periodic checkpoint exists.
  ASSERT_TRUE(WaitFor(pid, [&] { return NewestStep(dir) >= 3; })) << Read(dir + ".log");
  ASSERT_EQ(kill(pid, SIGINT), 0);
  const int status = Wait(pid);
  const std::string log = Read(dir + ".log");
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log;
  EXPECT_NE(log.find("checkpoint saved"), std::string::npos) << log;
  const std::vector<std::string> saved = ListCheckpoints(dir);
  ASSERT_FALSE(saved.empty()) << log;
  absl::StatusOr<CheckpointProto> ckpt = ReadCheckpointFile(saved.back());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_GE(ckpt->step(), 3);
}

}  // namespace
}  // namespace tessera
