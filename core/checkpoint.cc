#include "core/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/backend.h"

namespace tessera {
namespace {

constexpr char kMagic[8] = {'T', 'S', 'R', 'A', 'C', 'K', 'P', 'T'};
constexpr uint32_t kVersion = 1;
constexpr size_t kHeaderBytes = 8 + 4 + 8 + 4;

template <typename T>
void AppendLe(std::string& out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

template <typename T>
T ReadLe(const char* p) {
  T value = 0;
  for (size_t i = 0; i < sizeof(T); ++i)
    value |= static_cast<T>(static_cast<uint8_t>(p[i])) << (8 * i);
  return value;
}

uint32_t Crc32(const std::string& bytes) {
  uLong crc = crc32(0L, Z_NULL, 0);
  // crc32 takes a uInt length; feed large payloads in pieces.
  size_t offset = 0;
  while (offset < bytes.size()) {
    const size_t n = std::min<size_t>(bytes.size() - offset, 1u << 30);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data() + offset), static_cast<uInt>(n));
    offset += n;
  }
  return static_cast<uint32_t>(crc);
}

absl::Status ErrnoError(const std::string& what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

// A failed write of `bytes` to `path`: the partial file is removed (it would
// only fill the disk further), and the error says what was needed. A full
// disk is ResourceExhausted, so that callers can tell it from a bug.
absl::Status WriteFailed(int fd, const std::string& what, const std::string& path, size_t written,
                         size_t bytes) {
  const int error = errno;
  ::close(fd);
  ::unlink(path.c_str());
  const bool full = error == ENOSPC || error == EDQUOT || error == EFBIG;
  const std::string message =
      absl::StrCat(what, " ", path, ": ", std::strerror(error), " after ", written, " of ", bytes,
                   " bytes (the checkpoint needs ", HumanBytes(bytes), full ? " of free space" : "",
                   "); the partial file was removed");
  return full ? absl::ResourceExhaustedError(message) : absl::InternalError(message);
}

absl::Status WriteAllAndSync(const std::string& path, const std::string& bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return ErrnoError("cannot create", path);
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return WriteFailed(fd, "cannot write", path, written, bytes.size());
    }
    written += static_cast<size_t>(n);
  }
  // Delayed allocation (NFS, ext4) may report ENOSPC or EIO only here.
  if (::fsync(fd) != 0) return WriteFailed(fd, "cannot fsync", path, written, bytes.size());
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    errno = error;
    return ErrnoError("cannot close", path);
  }
  return absl::OkStatus();
}

void ToProto(const std::string& name, const Tensor& t, TensorProto* proto) {
  proto->set_name(name);
  for (int64_t d : t.shape()) proto->add_shape(d);
  const std::vector<float> values = t.ToVector();
  proto->mutable_values()->Add(values.begin(), values.end());
}

// Finds `name` in `tensors` and checks its shape against `target`.
absl::StatusOr<const TensorProto*> Match(
    const google::protobuf::RepeatedPtrField<TensorProto>& tensors, const std::string& name,
    const Tensor& target, const char* kind) {
  for (const TensorProto& t : tensors) {
    if (t.name() != name) continue;
    const Shape shape(t.shape().begin(), t.shape().end());
    if (shape != target.shape() || t.values_size() != target.num_elements()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "checkpoint ", kind, " '", name, "' has shape ", ShapeToString(shape), " (",
          t.values_size(), " values), the model expects ", ShapeToString(target.shape())));
    }
    return &t;
  }
  return absl::NotFoundError(absl::StrCat("checkpoint lacks ", kind, " '", name, "'"));
}

void Assign(const TensorProto& proto, Tensor& target) {
  Tensor host = Tensor::FromVector(target.shape(), {proto.values().begin(), proto.values().end()});
  host.CopyInto(target);
}

}  // namespace

absl::Status WriteCheckpointFile(const std::string& path, const CheckpointProto& checkpoint) {
  std::string payload;
  if (!checkpoint.SerializeToString(&payload)) {
    return absl::InternalError("cannot serialize checkpoint (over 2 GiB?)");
  }
  std::string bytes(kMagic, sizeof(kMagic));
  AppendLe<uint32_t>(bytes, kVersion);
  AppendLe<uint64_t>(bytes, payload.size());
  AppendLe<uint32_t>(bytes, Crc32(payload));
  bytes += payload;
  const std::string tmp = path + ".tmp";
  TS_RETURN_IF_ERROR(WriteAllAndSync(tmp, bytes));
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status status = ErrnoError("cannot rename into", path);
    ::unlink(tmp.c_str());
    return status;
  }
  // Make the rename itself durable.
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return absl::OkStatus();
}

absl::StatusOr<CheckpointProto> ParseCheckpoint(const std::string& bytes,
                                                const std::string& source) {
  auto fail = [&](const std::string& problem) {
    return absl::DataLossError(absl::StrCat("checkpoint ", source, ": ", problem));
  };
  if (bytes.size() < kHeaderBytes) {
    return fail(absl::StrCat("truncated: ", bytes.size(), " bytes is shorter than the header"));
  }
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    return fail("not a Tessera checkpoint (bad magic)");
  }
  const uint32_t version = ReadLe<uint32_t>(bytes.data() + 8);
  if (version != kVersion) {
    return fail(
        absl::StrCat("format version ", version, " is not supported (expected ", kVersion, ")"));
  }
  const uint64_t length = ReadLe<uint64_t>(bytes.data() + 12);
  const uint32_t crc = ReadLe<uint32_t>(bytes.data() + 20);
  if (length != bytes.size() - kHeaderBytes) {
    return fail(absl::StrCat("truncated or padded: header says ", length,
                             " payload bytes, file has ", bytes.size() - kHeaderBytes));
  }
  const std::string payload = bytes.substr(kHeaderBytes);
  if (Crc32(payload) != crc) return fail("checksum mismatch: the file is corrupt");
  CheckpointProto checkpoint;
  if (!checkpoint.ParseFromString(payload)) return fail("payload does not parse");
  return checkpoint;
}

absl::StatusOr<CheckpointProto> ReadCheckpointFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return absl::NotFoundError(absl::StrCat("cannot open checkpoint ", path));
  std::stringstream bytes;
  bytes << file.rdbuf();
  return ParseCheckpoint(bytes.str(), path);
}

CheckpointProto CaptureCheckpoint(const ParameterStore& params, Optimizer& optimizer) {
  CheckpointProto checkpoint;
  for (const auto& [name, p] : params.all()) ToProto(name, p.value, checkpoint.add_parameter());
  for (const auto& [name, t] : optimizer.State())
    ToProto(name, *t, checkpoint.add_optimizer_state());
  checkpoint.set_optimizer(optimizer.type());
  checkpoint.set_step(optimizer.steps());
  return checkpoint;
}

absl::Status RestoreCheckpoint(const CheckpointProto& checkpoint, ParameterStore& params,
                               Optimizer* optimizer) {
  // Validate everything first, so a bad checkpoint leaves the model as it was.
  std::vector<std::pair<const TensorProto*, Tensor*>> plan;
  for (auto& [name, p] : params.all()) {
    TS_ASSIGN_OR_RETURN(const TensorProto* t,
                        Match(checkpoint.parameter(), name, p.value, "parameter"));
    plan.push_back({t, &p.value});
  }
  if (checkpoint.parameter_size() != static_cast<int>(params.all().size())) {
    for (const TensorProto& t : checkpoint.parameter()) {
      if (params.Find(t.name()) == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("checkpoint has parameter '", t.name(), "' that the model does not"));
      }
    }
    return absl::InvalidArgumentError("checkpoint repeats a parameter");
  }
  if (optimizer != nullptr) {
    if (checkpoint.optimizer() != optimizer->type()) {
      return absl::InvalidArgumentError(absl::StrCat("checkpoint was written with optimizer '",
                                                     checkpoint.optimizer(), "', this run uses '",
                                                     optimizer->type(), "'"));
    }
    auto state = optimizer->State();
    for (auto& [name, t] : state) {
      TS_ASSIGN_OR_RETURN(const TensorProto* proto,
                          Match(checkpoint.optimizer_state(), name, *t, "optimizer state"));
      plan.push_back({proto, t});
    }
    if (checkpoint.optimizer_state_size() != static_cast<int>(state.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint has ", checkpoint.optimizer_state_size(),
                       " optimizer state tensors, the run has ", state.size()));
    }
  }
  for (auto& [proto, tensor] : plan) Assign(*proto, *tensor);
  if (optimizer != nullptr) optimizer->set_steps(checkpoint.step());
  return absl::OkStatus();
}

std::string CheckpointPath(const std::string& dir, int64_t step) {
  return absl::StrFormat("%s/ckpt-%010d.tsr", dir, step);
}

std::vector<std::string> ListCheckpoints(const std::string& dir) {
  std::vector<std::string> paths;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 19 && name.rfind("ckpt-", 0) == 0 && name.substr(15) == ".tsr") {
      paths.push_back(entry.path().string());
    }
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

absl::Status CheckCheckpointDirWritable(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint directory ", dir, ": cannot create it: ", ec.message()));
  }
  // Permissions alone do not tell (root, read-only mounts, full disks):
  // create and remove a file, as a save will.
  const std::string probe = absl::StrCat(dir, "/.tessera-write-test-", ::getpid());
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint directory ", dir, " is not writable: ", std::strerror(errno)));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return absl::OkStatus();
}

absl::StatusOr<std::string> SaveCheckpointInDir(const std::string& dir,
                                                const CheckpointProto& checkpoint, int keep) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return absl::InternalError(absl::StrCat("cannot create directory ", dir, ": ", ec.message()));
  const std::string path = CheckpointPath(dir, checkpoint.step());
  TS_RETURN_IF_ERROR(WriteCheckpointFile(path, checkpoint));
  std::vector<std::string> all = ListCheckpoints(dir);
  for (size_t i = 0; keep > 0 && i + keep < all.size(); ++i) std::filesystem::remove(all[i], ec);
  return path;
}

}  // namespace tessera
