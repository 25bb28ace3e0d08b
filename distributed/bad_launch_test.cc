// Launches that cannot train data-parallel stop every rank with a clear
// error (never a hang): a rank running another binary or another graph,
// a global batch the ranks cannot split, and --resume from a checkpoint of
// another graph.

#include <filesystem>
#include <fstream>

#include "distributed/launch_test_util.h"
#include "gtest/gtest.h"

namespace tessera::distributed::testing {
namespace {

const std::vector<std::string> kArgs = {"--dataset=mnist", "--epochs=1", "--threads=1",
                                        "--max_steps=2", "--checkpoint_dir=none"};

std::vector<std::string> Rank(const std::string& binary, const std::string& graph) {
  std::vector<std::string> argv = {"-np", "1", binary, "--graph=" + graph};
  argv.insert(argv.end(), kArgs.begin(), kArgs.end());
  return argv;
}

Finished Mpmd(const std::vector<std::string>& rank0, const std::vector<std::string>& rank1,
              const std::string& log) {
  std::vector<std::string> argv = {"mpirun", "--allow-run-as-root"};
  argv.insert(argv.end(), rank0.begin(), rank0.end());
  argv.push_back(":");
  argv.insert(argv.end(), rank1.begin(), rank1.end());
  return RunJob(argv, log, 120);
}

TEST(BadLaunchTest, AnotherBinaryOnOneRankNamesIt) {
  const std::string dir = TempDir("binary");
  const std::string copy = dir + "/mlp_train";
  std::filesystem::copy_file("models/mlp_train", copy);
  std::ofstream(copy, std::ios::app) << '\n';  // still runs; another checksum
  std::filesystem::permissions(copy, std::filesystem::perms::owner_all);
  const Finished f = Mpmd(Rank("models/mlp_train", "models/mlp.pbtxt"),
                          Rank(copy, "models/mlp.pbtxt"), dir + ".log");
  EXPECT_FALSE(f.timed_out);
  EXPECT_NE(f.exit_code, 0);
  EXPECT_NE(f.output.find("rank 1: its executable (checksum"), std::string::npos) << f.output;
  EXPECT_EQ(f.output.find("rank 0:"), std::string::npos) << f.output;
}

TEST(BadLaunchTest, AnotherGraphOnOneRankNamesIt) {
  const std::string dir = TempDir("graph");
  const Finished f = Mpmd(Rank("models/mlp_train", "models/mlp.pbtxt"),
                          Rank("models/mlp_train", "models/linear.pbtxt"), dir + ".log");
  EXPECT_FALSE(f.timed_out);
  EXPECT_NE(f.exit_code, 0);
  EXPECT_NE(f.output.find("rank 1: its graph (checksum"), std::string::npos) << f.output;
}

TEST(BadLaunchTest, GlobalBatchTheRanksCannotSplit) {
  const std::string dir = TempDir("batch");
  std::vector<std::string> argv = Mpirun(2);
  for (std::string a : {"models/mlp_train", "--graph=models/mlp.pbtxt", "--batch_size=63"}) {
    argv.push_back(a);
  }
  argv.insert(argv.end(), kArgs.begin(), kArgs.end());
  const Finished f = RunJob(argv, dir + ".log", 120);
  EXPECT_FALSE(f.timed_out);
  EXPECT_NE(f.exit_code, 0);
  EXPECT_NE(f.output.find("--batch_size=63 is the global batch, which 2 ranks cannot split"),
            std::string::npos)
      << f.output;
}

TEST(BadLaunchTest, ResumeFromAnotherGraphsCheckpoint) {
  const std::string dir = TempDir("resume");
  const Finished cnn =
      RunJob({"models/mlp_train", "--graph=distributed/testdata/small_cnn.pbtxt", "--dataset=mnist",
              "--epochs=1", "--threads=1", "--max_steps=1", "--checkpoint_dir=" + dir},
             dir + "_cnn.log", 120);
  ASSERT_EQ(cnn.exit_code, 0) << cnn.output;
  std::vector<std::string> argv = Mpirun(2);
  for (std::string a : {"models/mlp_train", "--graph=models/mlp.pbtxt", "--dataset=mnist",
                        "--epochs=1", "--threads=1", "--resume"}) {
    argv.push_back(a);
  }
  argv.push_back("--checkpoint_dir=" + dir);
  const Finished f = RunJob(argv, dir + "_mlp.log", 120);
  EXPECT_FALSE(f.timed_out);
  EXPECT_NE(f.exit_code, 0);
  EXPECT_NE(f.output.find("rank 0: cannot resume from"), std::string::npos) << f.output;
  EXPECT_NE(f.output.find("written for graph 'small_cnn'; this run trains graph 'mlp'"),
            std::string::npos)
      << f.output;
}

}  // namespace
}  // namespace tessera::distributed::testing
