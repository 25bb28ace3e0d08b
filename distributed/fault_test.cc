// A rank killed with SIGKILL in the middle of training: within 60 s the job
// ends non-zero with a message naming the lost rank (OpenMPI's mpirun
// notices the death and stops the survivors, which would otherwise wait in
// the all-reduce forever), and the last checkpoint is intact and resumable.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "distributed/launch_test_util.h"
#include "gtest/gtest.h"

namespace tessera::distributed::testing {
namespace {

// The child of `parent` that mpirun started as `rank`, or -1.
pid_t RankPid(pid_t parent, int rank) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid != parent) continue;
    std::ifstream environ(entry.path() / "environ");
    std::stringstream env;
    env << environ.rdbuf();
    if (env.str().find("OMPI_COMM_WORLD_RANK=" + std::to_string(rank) + '\0') !=
        std::string::npos) {
      return std::stoi(name);
    }
  }
  return -1;
}

TEST(FaultTest, SigkillOfOneRankStopsTheOthersAndKeepsTheCheckpoint) {
  const std::string dir = TempDir("fault");
  std::vector<std::string> argv = Mpirun(2);
  for (std::string a :
       {"models/mlp_train", "--graph=distributed/testdata/small_cnn.pbtxt", "--dataset=mnist",
        "--epochs=1", "--threads=1", "--checkpoint_every=1", "--keep_checkpoints=2"}) {
    argv.push_back(a);
  }
  argv.push_back("--checkpoint_dir=" + dir);
  const std::string log = dir + ".log";
  const pid_t mpirun = StartJob(argv, log);

  // Wait for training to be under way (a few checkpoints), then kill rank 1
  // mid-step (steps take far longer than anything between them).
  const auto start = std::chrono::steady_clock::now();
  while (ListCheckpoints(dir).size() < 2 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(120)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(ListCheckpoints(dir).size(), 2u) << "training did not start";
  const pid_t victim = RankPid(mpirun, 1);
  ASSERT_GT(victim, 0) << "no rank 1 under mpirun " << mpirun;
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  ASSERT_EQ(kill(victim, SIGKILL), 0);

  const Finished f = WaitJob(mpirun, log, 60);
  ASSERT_FALSE(f.timed_out) << "the job still ran 60 s after rank 1 was killed\n" << f.output;
  EXPECT_NE(f.exit_code, 0) << f.output;
  EXPECT_NE(f.output.find("process rank 1 with PID"), std::string::npos) << f.output;
  EXPECT_NE(f.output.find("signal 9"), std::string::npos) << f.output;
  // Each survivor also writes why it stops ("rank 0 on HOST: stopped by
  // mpirun, ..."), but mpirun may have stopped forwarding output by then.

  // The newest checkpoint is whole, and training resumes from it.
  const CheckpointProto last = NewestCheckpoint(dir);
  ASSERT_GT(last.step(), 0);
  const Finished resumed =
      RunJob({"models/mlp_train", "--graph=distributed/testdata/small_cnn.pbtxt", "--dataset=mnist",
              "--epochs=1", "--threads=1", "--resume", "--checkpoint_dir=" + dir,
              "--max_steps=" + std::to_string(last.step() + 1)},
             dir + "_resumed.log", 120);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed from"), std::string::npos) << resumed.output;
  EXPECT_EQ(NewestCheckpoint(dir).step(), last.step() + 1);
}

}  // namespace
}  // namespace tessera::distributed::testing
