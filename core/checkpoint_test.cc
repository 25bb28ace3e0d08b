#include "core/checkpoint.h"

#include <filesystem>
#include <fstream>

#include "core/file_size_limit.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

std::string TempDir() { return ::testing::TempDir(); }

Graph TwoParameterGraph(const char* w_shape = "[ 2, 3 ]") {
  absl::StatusOr<Graph> graph =
      Graph::FromText(std::string(R"pb(parameter { name: "w" shape:)pb") + w_shape +
                          R"pb(                                                                                              init { type: "normal" stddev: 1 } }
                                                                                                                             parameter { name: "b" shape: [ 3 ] init { type: "uniform" low: -1 high: 1 } }
           node { name: "s" op: "test_sum" input: "w" }
           loss: "s")pb",
                      "ckpt");
  EXPECT_TRUE(graph.ok()) << graph.status();
  return *graph;
}

struct Trained {
  Graph graph = TwoParameterGraph();
  ParameterStore params = ParameterStore::Initialize(graph, 42, Device::kCpu);
  std::unique_ptr<Optimizer> sgd = *Optimizer::Create({}, params, Device::kCpu);
  Trained() {
    for (auto& [name, p] : params.all()) p.grad = Tensor::Filled(p.value.shape(), 0.25f);
    sgd->Step(0.1f);
    sgd->Step(0.1f);
  }
};

TEST(Checkpoint, RoundTripRestoresParametersOptimizerStateAndStep) {
  Trained a;
  CheckpointProto ckpt = CaptureCheckpoint(a.params, *a.sgd);
  auto path = SaveCheckpointInDir(TempDir() + "/roundtrip", ckpt, 3);
  ASSERT_TRUE(path.ok()) << path.status();
  auto loaded = ReadCheckpointFile(*path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();

  Graph graph = TwoParameterGraph();
  ParameterStore params = ParameterStore::Initialize(graph, 7, Device::kCpu);  // other values
  auto sgd = *Optimizer::Create({}, params, Device::kCpu);
  ASSERT_TRUE(RestoreCheckpoint(*loaded, params, sgd.get()).ok());
  EXPECT_EQ(sgd->steps(), 2);
  for (const auto& [name, p] : a.params.all()) {
    EXPECT_EQ(params.Find(name)->value.ToVector(), p.value.ToVector()) << name;
  }
  for (const auto& [name, t] : a.sgd->State()) {
    EXPECT_EQ(sgd->State().at(name)->ToVector(), t->ToVector()) << name;
  }
}

TEST(Checkpoint, KeepsOnlyTheNewest) {
  Trained a;
  const std::string dir = TempDir() + "/keep";
  for (int step = 1; step <= 5; ++step) {
    CheckpointProto ckpt = CaptureCheckpoint(a.params, *a.sgd);
    ckpt.set_step(step);
    ASSERT_TRUE(SaveCheckpointInDir(dir, ckpt, 2).ok());
  }
  std::vector<std::string> left = ListCheckpoints(dir);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[1], CheckpointPath(dir, 5));
}

std::string ReadBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(Checkpoint, AFullDiskLeavesThePreviousCheckpointIntact) {
  Trained a;
  const std::string dir = TempDir() + "/full";
  CheckpointProto first = CaptureCheckpoint(a.params, *a.sgd);
  auto saved = SaveCheckpointInDir(dir, first, 3);
  ASSERT_TRUE(saved.ok()) << saved.status();
  const std::string before = ReadBytes(*saved);

  CheckpointProto second = first;
  second.set_step(first.step() + 1);
  absl::StatusOr<std::string> failed;
  {
    FileSizeLimit limit(40);  // the header and a few bytes of the payload
    failed = SaveCheckpointInDir(dir, second, 3);
  }
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), absl::StatusCode::kResourceExhausted) << failed.status();
  const std::string tmp = CheckpointPath(dir, second.step()) + ".tmp";
  const std::string message(failed.status().message());
  EXPECT_NE(message.find(tmp), std::string::npos) << message;
  EXPECT_NE(message.find("of free space"), std::string::npos) << message;
  EXPECT_FALSE(std::filesystem::exists(tmp));
  EXPECT_FALSE(std::filesystem::exists(CheckpointPath(dir, second.step())));
  ASSERT_EQ(ListCheckpoints(dir), std::vector<std::string>{*saved});
  EXPECT_EQ(ReadBytes(*saved), before);
  auto loaded = ReadCheckpointFile(*saved);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->step(), first.step());
}

TEST(Checkpoint, AnUnwritableDirectoryIsReportedUpFront) {
  EXPECT_TRUE(CheckCheckpointDirWritable(TempDir() + "/fresh/sub").ok());
  EXPECT_TRUE(std::filesystem::is_directory(TempDir() + "/fresh/sub"));
  EXPECT_TRUE(std::filesystem::is_empty(TempDir() + "/fresh/sub"));  // the probe is gone
  // /proc refuses new entries even to root.
  absl::Status proc = CheckCheckpointDirWritable("/proc/tessera-nope");
  EXPECT_EQ(proc.code(), absl::StatusCode::kFailedPrecondition) << proc;
  EXPECT_NE(proc.message().find("/proc/tessera-nope"), std::string::npos) << proc;
  // A directory whose files cannot be created (a read-only filesystem).
  absl::Status sys = CheckCheckpointDirWritable("/proc/self");
  EXPECT_EQ(sys.code(), absl::StatusCode::kFailedPrecondition) << sys;
  EXPECT_NE(sys.message().find("not writable"), std::string::npos) << sys;
  // A path through a regular file.
  const std::string file = TempDir() + "/plain-file";
  std::ofstream(file) << "x";
  EXPECT_FALSE(CheckCheckpointDirWritable(file + "/ckpt").ok());
}

TEST(Checkpoint, CorruptionIsDetected) {
  Trained a;
  const std::string path = TempDir() + "/corrupt.tsr";
  ASSERT_TRUE(WriteCheckpointFile(path, CaptureCheckpoint(a.params, *a.sgd)).ok());
  const std::string good = ReadBytes(path);
  struct Case {
    std::string bytes;
    const char* expect;
  };
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x40;
  std::string magic = good;
  magic[0] = 'X';
  std::string version = good;
  version[8] = 9;
  const Case cases[] = {{good.substr(0, 10), "truncated"},
                        {good.substr(0, good.size() - 7), "truncated"},
                        {good + "xx", "padded"},
                        {flipped, "checksum"},
                        {magic, "bad magic"},
                        {version, "version 9"}};
  for (const Case& c : cases) {
    auto parsed = ParseCheckpoint(c.bytes, "bad.tsr");
    ASSERT_FALSE(parsed.ok()) << c.expect;
    EXPECT_NE(parsed.status().message().find(c.expect), std::string::npos) << parsed.status();
    EXPECT_NE(parsed.status().message().find("bad.tsr"), std::string::npos) << parsed.status();
  }
  EXPECT_FALSE(ReadCheckpointFile(TempDir() + "/missing.tsr").ok());
}

TEST(Checkpoint, MismatchWithTheModelLeavesItUntouched) {
  Trained a;
  CheckpointProto ckpt = CaptureCheckpoint(a.params, *a.sgd);
  Graph other = TwoParameterGraph("[ 3, 3 ]");
  ParameterStore params = ParameterStore::Initialize(other, 7, Device::kCpu);
  const std::vector<float> before = params.Find("b")->value.ToVector();
  auto sgd = *Optimizer::Create({}, params, Device::kCpu);
  absl::Status status = RestoreCheckpoint(ckpt, params, sgd.get());
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("'w'"), std::string::npos) << status;
  EXPECT_EQ(params.Find("b")->value.ToVector(), before);

  CheckpointProto missing = ckpt;
  missing.mutable_parameter()->RemoveLast();
  Graph same = TwoParameterGraph();
  ParameterStore p2 = ParameterStore::Initialize(same, 7, Device::kCpu);
  auto sgd2 = *Optimizer::Create({}, p2, Device::kCpu);
  EXPECT_FALSE(RestoreCheckpoint(missing, p2, sgd2.get()).ok());
  CheckpointProto extra = ckpt;
  *extra.add_parameter() = ckpt.parameter(0);
  extra.mutable_parameter()->rbegin()->set_name("ghost");
  absl::Status ghost = RestoreCheckpoint(extra, p2, sgd2.get());
  EXPECT_NE(ghost.message().find("'ghost'"), std::string::npos) << ghost;
  OptimizerConfig adam;
  adam.type = "adam";
  auto adam_opt = *Optimizer::Create(adam, p2, Device::kCpu);
  EXPECT_FALSE(RestoreCheckpoint(ckpt, p2, adam_opt.get()).ok());
}

}  // namespace
}  // namespace tessera
