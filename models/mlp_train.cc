// Trains an image classifier graph (by default models/mlp.pbtxt) on the
// MNIST digits or Fashion-MNIST:
//   bazel run //models:mlp_train -- --dataset=fashion --epochs=20
// `--help` lists the flags (models/classifier_main.cc).

#include "models/classifier_main.h"

int main(int argc, char** argv) {
  tessera::ClassifierDefaults defaults;
  defaults.program = "mlp_train";
  defaults.graph = "models/mlp.pbtxt";
  defaults.dataset = "mnist";
  defaults.epochs = 20;
  defaults.batch_size = 64;
  defaults.lr = 0.05;
  defaults.lr_schedule = "cosine";
  defaults.optimizer = "sgd";
  defaults.weight_decay = 1e-4;
  defaults.checkpoint_dir = "checkpoints/mlp";
  return tessera::RunClassifierMain(argc, argv, defaults);
}
