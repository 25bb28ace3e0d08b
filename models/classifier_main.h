#ifndef TESSERA_MODELS_CLASSIFIER_MAIN_H_
#define TESSERA_MODELS_CLASSIFIER_MAIN_H_

// The command line shared by the classifier training binaries. Each binary
// is a main() that states its defaults and calls RunClassifierMain.

#include <string>

#include "models/loop_flags.h"

namespace tessera {

struct ClassifierDefaults : LoopFlagDefaults {
  std::string program;
  int image_size = 0;
  std::string curve;  // learning-curve PNG; empty: none
  // The graph for --dataset=folder/cifar10/cifar100 when --graph is not
  // given; empty: `graph`.
  std::string image_graph;
};

int RunClassifierMain(int argc, char** argv, const ClassifierDefaults& defaults);

}  // namespace tessera

#endif  // TESSERA_MODELS_CLASSIFIER_MAIN_H_
