#ifndef TESSERA_EXAMPLES_CLASSIFY_PHOTO_H_
#define TESSERA_EXAMPLES_CLASSIFY_PHOTO_H_

// An example of Tessera as a library in a program of one's own: load a
// trained classifier (graph and checkpoint), run one photograph through it,
// read the class probabilities. examples/BUILD shows the Bazel targets to
// depend on; classify_photo_test.cc builds and checks it.

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace tessera::example {

// The probabilities the classifier at `graph_path` (.pbtxt, with an
// "image" input [-1, C, H, W] and its logits as the first output) with the
// parameters of `checkpoint_path` (.tsr) gives the JPEG or PNG photo at
// `photo_path`, prepared as for evaluation: shorter side resized to 256/224
// of the input, centre crop, (x / 255 - mean) / std per channel.
absl::StatusOr<std::vector<float>> ClassifyPhoto(const std::string& graph_path,
                                                 const std::string& checkpoint_path,
                                                 const std::string& photo_path,
                                                 const std::vector<float>& mean,
                                                 const std::vector<float>& std);

}  // namespace tessera::example

#endif  // TESSERA_EXAMPLES_CLASSIFY_PHOTO_H_
