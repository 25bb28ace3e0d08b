#ifndef TESSERA_CORE_CHECKPOINT_H_
#define TESSERA_CORE_CHECKPOINT_H_

// Checkpoints: parameters, optimizer state and position in training.
//
// File layout: 8-byte magic "TSRACKPT", u32 format version, u64 payload
// length, u32 CRC-32 of the payload, then the serialized CheckpointProto
// (all integers little-endian). A save writes "<path>.tmp", fsyncs it,
// renames it over <path> and fsyncs the directory, so a crash at any moment
// leaves either the old or the new file, never a torn one. A failed write
// (a full disk: ResourceExhausted) removes the temporary file, names it and
// the bytes needed, and leaves the previous checkpoint as it was.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/checkpoint.pb.h"
#include "core/executor.h"
#include "core/optimizer.h"

namespace tessera {

absl::Status WriteCheckpointFile(const std::string& path, const CheckpointProto& checkpoint);
// Verifies magic, version, length and checksum; errors name the file.
absl::StatusOr<CheckpointProto> ReadCheckpointFile(const std::string& path);
// The same check on bytes in memory (what the fuzzer drives).
absl::StatusOr<CheckpointProto> ParseCheckpoint(const std::string& bytes,
                                                const std::string& source);

// Copies parameters and optimizer state (from any device) into a proto.
CheckpointProto CaptureCheckpoint(const ParameterStore& params, Optimizer& optimizer);
// Restores into existing parameters and optimizer state, on their devices.
// Missing or extra tensors, shape mismatches and an optimizer of another
// type are errors naming the tensor; nothing is modified unless all match.
absl::Status RestoreCheckpoint(const CheckpointProto& checkpoint, ParameterStore& params,
                               Optimizer* optimizer);

// Checkpoints in a directory, named ckpt-<step, 10 digits>.tsr.
std::string CheckpointPath(const std::string& dir, int64_t step);
// Sorted oldest first.
std::vector<std::string> ListCheckpoints(const std::string& dir);
// Creates `dir` if missing and checks that a file can be created in it:
// FailedPrecondition naming the directory otherwise. Trainers call it before
// the first step, not after an hour of training.
absl::Status CheckCheckpointDirWritable(const std::string& dir);
// Saves into dir (created if missing) and keeps only the newest `keep`.
absl::StatusOr<std::string> SaveCheckpointInDir(const std::string& dir,
                                                const CheckpointProto& checkpoint, int keep);

}  // namespace tessera

#endif  // TESSERA_CORE_CHECKPOINT_H_
