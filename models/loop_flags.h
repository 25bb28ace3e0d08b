#ifndef TESSERA_MODELS_LOOP_FLAGS_H_
#define TESSERA_MODELS_LOOP_FLAGS_H_

// The command-line flags every training binary shares (the fields of
// LoopConfig: --graph, --dataset, --epochs, --batch_size, --lr and its
// schedule, --optimizer, --device, --checkpoint_dir, --resume, ...). Each
// binary states its defaults; a flag the user did not set takes them.

#include <string>

#include "absl/status/status.h"
#include "models/training_loop.h"

namespace tessera {

struct LoopFlagDefaults {
  std::string graph;
  std::string dataset = "mnist";
  int epochs = 20;
  int batch_size = 64;
  double lr = 0.05;
  std::string lr_schedule = "cosine";
  std::string optimizer = "sgd";
  double weight_decay = 1e-4;
  std::string checkpoint_dir;  // "none" or empty: no checkpoints
};

// Call after absl::ParseCommandLine. Errors name the bad flag.
absl::Status LoopConfigFromFlags(const LoopFlagDefaults& defaults, LoopConfig& config);

}  // namespace tessera

#endif  // TESSERA_MODELS_LOOP_FLAGS_H_
