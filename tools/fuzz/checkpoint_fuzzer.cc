// libFuzzer target: the checkpoint parser, and restoring what parses into a
// small fixed model (a linear layer, fuzz_model.h) with no optimizer, SGD
// and Adam. Restore must reject anything that does not match the model,
// leave the model untouched when it does (core/checkpoint.h promises
// nothing is modified unless all match), and otherwise load exactly the
// checkpoint's values.
//
// An input that starts with the magic "TSRACKPT" is a whole file. Any other
// input is taken as a payload and given a correct header (length and
// CRC-32) first: a mutated payload would otherwise almost never get past the
// checksum, and the protobuf parsing and restore logic behind it would go
// unfuzzed.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/checkpoint.h"
#include "core/optimizer.h"
#include "google/protobuf/stubs/logging.h"
#include "tools/fuzz/fuzz_model.h"

namespace {

using Snapshot = std::map<std::string, std::vector<float>>;

bool SameBits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

const tessera::TensorProto* Find(
    const google::protobuf::RepeatedPtrField<tessera::TensorProto>& tensors,
    const std::string& name) {
  for (const auto& t : tensors) {
    if (t.name() == name) return &t;
  }
  return nullptr;
}

void TryRestore(const tessera::CheckpointProto& checkpoint, const char* optimizer_type) {
  const tessera::Graph& graph = tessera::fuzz::Model();
  tessera::ParameterStore params =
      tessera::ParameterStore::Initialize(graph, 1, tessera::Device::kCpu);
  std::unique_ptr<tessera::Optimizer> optimizer;
  if (optimizer_type != nullptr) {
    tessera::OptimizerConfig config;
    config.type = optimizer_type;
    absl::StatusOr<std::unique_ptr<tessera::Optimizer>> created =
        tessera::Optimizer::Create(config, params, tessera::Device::kCpu);
    if (!created.ok()) std::abort();  // the harness is wrong, not the input
    optimizer = *std::move(created);
  }
  Snapshot before;
  for (const auto& [name, p] : params.all()) before[name] = p.value.ToVector();
  if (optimizer != nullptr) {
    for (const auto& [name, t] : optimizer->State()) before["state:" + name] = t->ToVector();
  }
  const int64_t steps_before = optimizer != nullptr ? optimizer->steps() : 0;

  const absl::Status status = tessera::RestoreCheckpoint(checkpoint, params, optimizer.get());

  for (const auto& [name, p] : params.all()) {
    const std::vector<float> now = p.value.ToVector();
    if (!status.ok()) {
      if (!SameBits(now, before[name])) __builtin_trap();  // a failed restore changed the model
      continue;
    }
    const tessera::TensorProto* t = Find(checkpoint.parameter(), name);
    if (t == nullptr || !SameBits(now, {t->values().begin(), t->values().end()})) __builtin_trap();
  }
  if (optimizer != nullptr) {
    for (const auto& [name, tensor] : optimizer->State()) {
      const std::vector<float> now = tensor->ToVector();
      if (!status.ok()) {
        if (!SameBits(now, before["state:" + name])) __builtin_trap();
        continue;
      }
      const tessera::TensorProto* t = Find(checkpoint.optimizer_state(), name);
      if (t == nullptr || !SameBits(now, {t->values().begin(), t->values().end()}))
        __builtin_trap();
    }
    if (!status.ok() && optimizer->steps() != steps_before) __builtin_trap();
    if (status.ok() && optimizer->steps() != checkpoint.step()) __builtin_trap();
  }
}

std::string WithHeader(const uint8_t* payload, size_t size) {
  std::string out("TSRACKPT", 8);
  auto le = [&out](uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  le(1, 4);  // format version
  le(size, 8);
  le(crc32(0L, payload, static_cast<uInt>(size)), 4);
  out.append(reinterpret_cast<const char*>(payload), size);
  return out;
}

}  // namespace

// Protobuf logs every string field with invalid UTF-8 to stderr; at
// thousands of inputs a second that drowns the fuzzer's own output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const bool whole_file = size >= 8 && std::memcmp(data, "TSRACKPT", 8) == 0;
  const std::string bytes =
      whole_file ? std::string(reinterpret_cast<const char*>(data), size) : WithHeader(data, size);
  absl::StatusOr<tessera::CheckpointProto> checkpoint = tessera::ParseCheckpoint(bytes, "fuzz.tsr");
  if (!checkpoint.ok()) return 0;
  TryRestore(*checkpoint, nullptr);
  TryRestore(*checkpoint, "sgd");
  TryRestore(*checkpoint, "adam");
  return 0;
}
