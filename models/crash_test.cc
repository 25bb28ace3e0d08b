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

bool HaveDigits() { return std::filesystem::exists(datasets::DefaultMnistDigitsDir() + "/9.json"); }

TEST(CrashSafety, SigkillNeverLeavesABadCheckpointAndResumeContinues) {
  if (!HaveDigits()) GTEST_SKIP() << "MNIST digits not installed: run tools/setup.sh";
  std::mt19937 rng(5);
  for (int round = 0; round < 4; ++round) {
    const std::string dir = ::testing::TempDir() + "/kill" + std::to_string(round);
    std::filesystem::remove_all(dir);
    const pid_t pid = Start(Args(dir), dir + ".log");
    // Wait for the first checkpoint, then kill at a random moment.
    for (int i = 0; i < 600 && ListCheckpoints(dir).empty(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 300)(rng)));
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
  if (!HaveDigits()) GTEST_SKIP() << "MNIST digits not installed: run tools/setup.sh";
  const std::string dir = ::testing::TempDir() + "/sigint";
  std::filesystem::remove_all(dir);
  std::vector<std::string> args = {"--dataset=mnist", "--epochs=50", "--threads=1",
                                   "--checkpoint_dir=" + dir};
  const pid_t pid = Start(args, dir + ".log");
  // Training has started once the progress line appears.
  for (int i = 0; i < 600 && Read(dir + ".log").find("step") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_EQ(kill(pid, SIGINT), 0);
  const int status = Wait(pid);
  const std::string log = Read(dir + ".log");
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << log;
  EXPECT_NE(log.find("checkpoint saved"), std::string::npos) << log;
  const std::vector<std::string> saved = ListCheckpoints(dir);
  ASSERT_FALSE(saved.empty()) << log;
  absl::StatusOr<CheckpointProto> ckpt = ReadCheckpointFile(saved.back());
  ASSERT_TRUE(ckpt.ok()) << ckpt.status();
  EXPECT_GT(ckpt->step(), 0);
}

}  // namespace
}  // namespace tessera
