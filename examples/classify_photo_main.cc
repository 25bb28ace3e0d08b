// classify_photo GRAPH CHECKPOINT PHOTO: prints each class's probability.
//   bazel run //examples:classify_photo -- models/alexnet.pbtxt ckpt.tsr photo.jpg

#include <cstdio>

#include "examples/classify_photo.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s GRAPH.pbtxt CHECKPOINT.tsr PHOTO.jpg\n", argv[0]);
    return 2;
  }
  absl::StatusOr<std::vector<float>> probabilities = tessera::example::ClassifyPhoto(
      argv[1], argv[2], argv[3], {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f});
  if (!probabilities.ok()) {
    fprintf(stderr, "%s\n", std::string(probabilities.status().message()).c_str());
    return 1;
  }
  for (size_t i = 0; i < probabilities->size(); ++i) printf("%zu %.6f\n", i, (*probabilities)[i]);
  return 0;
}
