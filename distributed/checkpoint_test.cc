// Checkpoints of data-parallel runs: only rank 0 writes them; one written by
// 2 ranks loads into one process and into 2 ranks, one written by one
// process loads into 2 ranks, and a resumed 2-rank run continues bitwise as
// if never stopped.

#include <filesystem>

#include "distributed/launch_test_util.h"
#include "gtest/gtest.h"

namespace tessera::distributed::testing {
namespace {

std::vector<std::string> Trainer(int ranks, const std::string& dir, int max_steps) {
  std::vector<std::string> argv = ranks > 1 ? Mpirun(ranks) : std::vector<std::string>{};
  for (std::string a : {"models/mlp_train", "--graph=distributed/testdata/small_cnn.pbtxt",
                        "--optimizer=adam", "--lr=0.01", "--dataset=mnist", "--augment_shift=0",
                        "--epochs=1", "--threads=1", "--allreduce_bucket_mb=0.01"}) {
    argv.push_back(a);
  }
  argv.push_back("--checkpoint_dir=" + dir);
  argv.push_back("--max_steps=" + std::to_string(max_steps));
  return argv;
}

std::vector<std::string> Resume(std::vector<std::string> argv) {
  argv.push_back("--resume");
  return argv;
}

TEST(CheckpointTest, ResumeAtTheSameWorldSizeIsBitwise) {
  const std::string straight = TempDir("straight"), stopped = TempDir("stopped");
  const Finished a = RunJob(Trainer(2, straight, 6), straight + ".log", 180);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  const Finished b = RunJob(Trainer(2, stopped, 3), stopped + ".log", 180);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const Finished c = RunJob(Resume(Trainer(2, stopped, 6)), stopped + "_resumed.log", 180);
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_NE(c.output.find("resumed from"), std::string::npos) << c.output;

  const CheckpointProto x = NewestCheckpoint(straight), y = NewestCheckpoint(stopped);
  EXPECT_EQ(x.step(), 6);
  EXPECT_EQ(y.step(), 6);
  EXPECT_EQ(ParameterDifference(y, x).relative, 0.0) << ParameterDifference(y, x).tensor;
  EXPECT_EQ(OptimizerStateDifference(y, x).relative, 0.0);
}

TEST(CheckpointTest, TwoRankCheckpointLoadsIntoOneProcessAndBack) {
  const std::string dir = TempDir("round_trip");
  const Finished a = RunJob(Trainer(2, dir, 2), dir + "_a.log", 180);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  // Two ranks, one writer: a single checkpoint per save.
  EXPECT_EQ(ListCheckpoints(dir).size(), 1u);
  const Finished b = RunJob(Resume(Trainer(1, dir, 4)), dir + "_b.log", 120);
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_NE(b.output.find("resumed from"), std::string::npos) << b.output;
  EXPECT_EQ(NewestCheckpoint(dir).step(), 4);
  const Finished c = RunJob(Resume(Trainer(2, dir, 6)), dir + "_c.log", 180);
  ASSERT_EQ(c.exit_code, 0) << c.output;
  EXPECT_EQ(NewestCheckpoint(dir).step(), 6);
}

}  // namespace
}  // namespace tessera::distributed::testing
