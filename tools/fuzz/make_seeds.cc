// Writes the binary seed files of tools/fuzz/corpus/ (checkpoints, .npy and
// IDX files). Built and run by `tools/fuzz/build_and_run.sh --make-seeds`;
// the output is committed, so this only needs rerunning when a format
// changes.
//
//   make_seeds <corpus dir>     writes <dir>/{checkpoint,npy,idx}/... and
//                               checks that <dir>/graph/*.pbtxt build
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/checkpoint.h"
#include "core/npy.h"
#include "core/optimizer.h"
#include "tools/fuzz/fuzz_model.h"

namespace {

void Die(const std::string& message) {
  std::fprintf(stderr, "make_seeds: %s\n", message.c_str());
  std::exit(1);
}

void Check(const absl::Status& status) {
  if (!status.ok()) Die(std::string(status.message()));
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) Die("cannot write " + path);
}

void WriteGzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb9");
  if (f == nullptr || gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) !=
                          static_cast<int>(bytes.size())) {
    Die("cannot gzip into " + path);
  }
  gzclose(f);
}

// The checkpoint file layout of core/checkpoint.h, written without fsync
// and rename games (WriteCheckpointFile is used for the first seed; this is
// for the deliberately broken ones).
std::string CheckpointBytes(const tessera::CheckpointProto& proto) {
  std::string payload;
  proto.SerializeToString(&payload);
  std::string out("TSRACKPT", 8);
  auto le = [&out](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  le(1, 4);
  le(payload.size(), 8);
  le(crc32(0L, reinterpret_cast<const Bytef*>(payload.data()), payload.size()), 4);
  return out + payload;
}

void Checkpoints(const std::string& dir) {
  using namespace tessera;
  const Graph& graph = fuzz::Model();
  for (const char* type : {"sgd", "adam"}) {
    ParameterStore params = ParameterStore::Initialize(graph, 7, Device::kCpu);
    OptimizerConfig config;
    config.type = type;
    absl::StatusOr<std::unique_ptr<Optimizer>> optimizer =
        Optimizer::Create(config, params, Device::kCpu);
    Check(optimizer.status());
    (*optimizer)->set_steps(3);
    CheckpointProto proto = CaptureCheckpoint(params, **optimizer);
    proto.set_graph_name(graph.def().name());
    proto.set_epoch(1);
    proto.set_batch_in_epoch(2);
    (*proto.mutable_metadata())["lr"] = "0.1";
    const std::string path = dir + "/linear_" + type + ".tsr";
    Check(WriteCheckpointFile(path, proto));
    // It must read back: the seed is only useful if it passes every check.
    absl::StatusOr<CheckpointProto> back = ReadCheckpointFile(path);
    Check(back.status());
    ParameterStore again = ParameterStore::Initialize(graph, 8, Device::kCpu);
    absl::StatusOr<std::unique_ptr<Optimizer>> opt2 =
        Optimizer::Create(config, again, Device::kCpu);
    Check(opt2.status());
    Check(RestoreCheckpoint(*back, again, opt2->get()));
    // checkpoint_fuzzer also takes a bare payload and adds the header.
    std::string payload;
    proto.SerializeToString(&payload);
    WriteBytes(dir + "/payload_" + type + ".pb", payload);

    if (std::string(type) == "sgd") {
      // Near misses that get past the header: a wrong shape, a missing
      // tensor, an extra one.
      CheckpointProto bad = proto;
      bad.mutable_parameter(0)->add_shape(1);
      WriteBytes(dir + "/bad_shape.tsr", CheckpointBytes(bad));
      bad = proto;
      bad.mutable_parameter()->RemoveLast();
      WriteBytes(dir + "/missing_param.tsr", CheckpointBytes(bad));
      bad = proto;
      *bad.add_parameter() = proto.parameter(0);
      WriteBytes(dir + "/repeated_param.tsr", CheckpointBytes(bad));
    }
  }
  WriteBytes(dir + "/empty_payload.tsr", CheckpointBytes(tessera::CheckpointProto()));
}

void Npys(const std::string& dir) {
  using tessera::Shape;
  int i = 0;
  for (const Shape& shape : {Shape{}, Shape{3}, Shape{2, 3}, Shape{1, 2, 1, 2}, Shape{0, 4}}) {
    std::vector<float> values(tessera::NumElements(shape));
    for (size_t k = 0; k < values.size(); ++k) values[k] = 0.5f * k - 1;
    WriteBytes(dir + "/v1_" + std::to_string(i++) + ".npy",
               tessera::SerializeNpy(tessera::Tensor::FromVector(shape, values)));
  }
  // Versions 2 and 3 (4-byte header length), double quotes, as NumPy writes
  // for long headers / non-latin1 field names.
  for (int version : {2, 3}) {
    std::string header = "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 2), }";
    header.append((64 - (12 + header.size() + 1) % 64) % 64, ' ');
    header.push_back('\n');
    std::string out("\x93NUMPY", 6);
    out.push_back(static_cast<char>(version));
    out.push_back(0);
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((header.size() >> (8 * k)) & 0xff));
    out += header;
    const float values[4] = {1.5f, -2.0f, 0.0f, 3.25f};
    out.append(reinterpret_cast<const char*>(values), sizeof(values));
    WriteBytes(dir + "/v" + std::to_string(version) + "_dq.npy", out);
  }
}

void Idxs(const std::string& dir) {
  // 2 images of 3x2 and their labels, plain and gzipped; a 1-D and a 4-D array.
  std::string images("\x00\x00\x08\x03\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x02", 16);
  for (int k = 0; k < 12; ++k) images.push_back(static_cast<char>(k * 20));
  std::string labels("\x00\x00\x08\x01\x00\x00\x00\x02\x07\x03", 10);
  std::string four_d(
      "\x00\x00\x08\x04\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x02", 20);
  four_d += std::string("\x01\x02\x03\xff", 4);
  std::string empty("\x00\x00\x08\x02\x00\x00\x00\x00\x00\x00\x00\x05", 12);
  WriteBytes(dir + "/images.idx", images);
  WriteBytes(dir + "/labels.idx", labels);
  WriteBytes(dir + "/four_d.idx", four_d);
  WriteBytes(dir + "/empty.idx", empty);
  WriteGzip(dir + "/images.idx.gz", images);
  WriteGzip(dir + "/labels.idx.gz", labels);
}

// The graph seeds are hand-written (corpus/graph/*.pbtxt); check that each
// one not named bad_* still builds, so the fuzzer starts from valid graphs.
void CheckGraphs(const std::string& dir) {
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".pbtxt" || name.rfind("bad_", 0) == 0) continue;
    absl::StatusOr<tessera::Graph> graph = tessera::Graph::FromTextFile(entry.path().string());
    if (!graph.ok()) Die(std::string(graph.status().message()));
    ++checked;
  }
  std::printf("make_seeds: %d graph seeds build\n", checked);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) Die("usage: make_seeds <corpus dir>");
  const std::string root = argv[1];
  for (const char* sub : {"checkpoint", "npy", "idx"})
    std::filesystem::create_directories(root + "/" + sub);
  Checkpoints(root + "/checkpoint");
  Npys(root + "/npy");
  Idxs(root + "/idx");
  if (std::filesystem::is_directory(root + "/graph")) CheckGraphs(root + "/graph");
  std::printf("make_seeds: wrote seeds under %s\n", root.c_str());
  return 0;
}
