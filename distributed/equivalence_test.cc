// Data-parallel training equals one process: `mpirun -np 2` with one thread
// per rank against one process on the same global batch, 5 SGD and 5 Adam
// steps on the MLP and on a small CNN. Every parameter and optimizer-state
// tensor must match within 1e-5 relative (||two - one|| <= 1e-5 ||one||;
// element by element Adam divides rounding noise of near-zero gradients by
// their own size, so single elements stray further) and the printed losses
// must be equal.
// Small gradient buckets, so that several all-reduces overlap backward.

#include <cstdio>

#include "distributed/launch_test_util.h"
#include "gtest/gtest.h"

namespace tessera::distributed::testing {
namespace {

struct Case {
  std::string graph, optimizer;
};

class EquivalenceTest : public ::testing::TestWithParam<Case> {};

TEST_P(EquivalenceTest, TwoRanksMatchOneProcess) {
  const Case& c = GetParam();
  const std::string name = c.optimizer + "_" + std::to_string(std::hash<std::string>()(c.graph));
  const std::string one = TempDir(name + "_one"), two = TempDir(name + "_two");
  const std::vector<std::string> args = {
      "models/mlp_train", "--graph=" + c.graph, "--optimizer=" + c.optimizer,
      // Each optimizer's usual rate (PyTorch's Adam default).
      c.optimizer == "adam" ? "--lr=0.001" : "--lr=0.05", "--dataset=mnist", "--augment_shift=0",
      "--epochs=1", "--threads=1", "--max_steps=5", "--print_every=1",
      "--allreduce_bucket_mb=0.01"};
  std::vector<std::string> single = args, parallel = Mpirun(2);
  single.push_back("--checkpoint_dir=" + one);
  parallel.insert(parallel.end(), args.begin(), args.end());
  parallel.push_back("--checkpoint_dir=" + two);

  const Finished a = RunJob(single, one + ".log", 120);
  ASSERT_EQ(a.exit_code, 0) << a.output;
  const Finished b = RunJob(parallel, two + ".log", 180);
  ASSERT_EQ(b.exit_code, 0) << b.output;

  const std::vector<std::string> losses = PrintedLosses(a.output);
  ASSERT_EQ(losses.size(), 5u) << a.output;
  EXPECT_EQ(PrintedLosses(b.output), losses) << b.output;

  const CheckpointProto x = NewestCheckpoint(one), y = NewestCheckpoint(two);
  EXPECT_EQ(x.step(), 5);
  EXPECT_EQ(y.step(), 5);
  for (const Difference& d : {ParameterDifference(y, x), OptimizerStateDifference(y, x)}) {
    EXPECT_LE(d.norm_relative, 1e-5) << d.tensor;
    printf("worst tensor %s: ||two - one|| / ||one|| = %.3g, max |two - one| / max |one| = %.3g\n",
           d.tensor.c_str(), d.norm_relative, d.relative);
  }

  // Only rank 0 prints.
  size_t headers = 0;
  for (size_t at = 0; (at = b.output.find(" parameters, batch 64", at)) != std::string::npos;
       ++at) {
    ++headers;
  }
  EXPECT_EQ(headers, 1u) << b.output;
}

INSTANTIATE_TEST_SUITE_P(MlpAndCnn, EquivalenceTest,
                         ::testing::Values(Case{"models/mlp.pbtxt", "sgd"},
                                           Case{"models/mlp.pbtxt", "adam"},
                                           Case{"distributed/testdata/small_cnn.pbtxt", "sgd"},
                                           Case{"distributed/testdata/small_cnn.pbtxt", "adam"}));

}  // namespace
}  // namespace tessera::distributed::testing
