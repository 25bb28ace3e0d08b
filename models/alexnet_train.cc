// Trains AlexNet (by default models/alexnet_fashion.pbtxt, the 2012
// architecture for 1-channel, 10-class images upscaled to 67x67) on
// Fashion-MNIST:
//   bazel run //models:alexnet_train
//   bazel run //models:alexnet_train -- --image_size=224 --epochs=10
// or the ImageNet AlexNet (models/alexnet.pbtxt) on a folder of photographs
// (DIR/train/<class>/*.jpg, DIR/val/<class>/*.jpg):
//   bazel run //models:alexnet_train -- --dataset=folder --data_dir=DIR
// `--help` lists the flags (models/classifier_main.cc).

#include "models/classifier_main.h"

int main(int argc, char** argv) {
  tessera::ClassifierDefaults defaults;
  defaults.program = "alexnet_train";
  defaults.graph = "models/alexnet_fashion.pbtxt";
  defaults.image_graph = "models/alexnet.pbtxt";  // 3x227x227, 1000 classes
  defaults.dataset = "fashion";
  defaults.image_size = 67;
  defaults.epochs = 1;
  defaults.batch_size = 64;
  defaults.lr = 0.01;
  defaults.lr_schedule = "cosine";
  defaults.optimizer = "sgd";
  defaults.weight_decay = 5e-4;
  defaults.checkpoint_dir = "checkpoints/alexnet";
  defaults.curve = "alexnet_curve.png";
  return tessera::RunClassifierMain(argc, argv, defaults);
}
