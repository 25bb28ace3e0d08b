#ifndef TESSERA_MODELS_CLASSIFIER_MAIN_H_
#define TESSERA_MODELS_CLASSIFIER_MAIN_H_

// The command line shared by the classifier training binaries. Each binary
// is a main() that states its defaults and calls RunClassifierMain.

#include <string>

namespace tessera {

struct ClassifierDefaults {
  std::string program;
  std::string graph;
  std::string dataset = "mnist";
  int image_size = 0;
  int epochs = 20;
  int batch_size = 64;
  double lr = 0.05;
  std::string lr_schedule = "cosine";
  std::string optimizer = "sgd";
  double weight_decay = 1e-4;
  std::string checkpoint_dir;
  std::string curve;  // learning-curve PNG; empty: none
};

int RunClassifierMain(int argc, char** argv, const ClassifierDefaults& defaults);

}  // namespace tessera

#endif  // TESSERA_MODELS_CLASSIFIER_MAIN_H_
