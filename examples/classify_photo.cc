#include "examples/classify_photo.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/checkpoint.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/status_macros.h"
#include "datasets/image_codec.h"
#include "datasets/transforms.h"

namespace tessera::example {

absl::StatusOr<std::vector<float>> ClassifyPhoto(const std::string& graph_path,
                                                 const std::string& checkpoint_path,
                                                 const std::string& photo_path,
                                                 const std::vector<float>& mean,
                                                 const std::vector<float>& std) {
  // 1. The graph and its trained parameters.
  TS_ASSIGN_OR_RETURN(Graph graph, Graph::FromTextFile(graph_path));
  ParameterStore params = ParameterStore::Initialize(graph, /*seed=*/0, Device::kCpu);
  TS_ASSIGN_OR_RETURN(CheckpointProto checkpoint, ReadCheckpointFile(checkpoint_path));
  TS_RETURN_IF_ERROR(RestoreCheckpoint(checkpoint, params, /*optimizer=*/nullptr));

  // 2. The photo, decoded and transformed to the graph's input [1, C, H, W].
  TS_ASSIGN_OR_RETURN(Shape input, graph.InputShape("image", 1));
  datasets::TransformConfig transform;
  transform.channels = static_cast<int>(input[1]);
  transform.height = static_cast<int>(input[2]);
  transform.width = static_cast<int>(input[3]);
  transform.mean = mean;
  transform.std = std;
  TS_RETURN_IF_ERROR(transform.Validate());
  TS_ASSIGN_OR_RETURN(datasets::DecodedImage photo,
                      datasets::ReadImageFile(photo_path, transform.channels));
  Tensor image = Tensor::Empty(input);
  datasets::ResampleNormalize(photo, datasets::EvalCropBox(transform, photo.width, photo.height),
                              transform, image.data());

  // 3. A forward pass in inference mode (the label input, used only by the
  // loss, gets a dummy), then softmax over the logits.
  TS_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor, Executor::Create(graph, params));
  TS_RETURN_IF_ERROR(
      executor->Forward({{"image", image}, {"label", Tensor::Zeros({1})}}, /*training=*/false));
  TS_ASSIGN_OR_RETURN(Tensor logits, executor->Value(graph.def().output(0)));
  std::vector<float> probabilities = logits.ToVector();
  const float largest = *std::max_element(probabilities.begin(), probabilities.end());
  double total = 0;
  for (float& p : probabilities) total += (p = std::exp(p - largest));
  for (float& p : probabilities) p = static_cast<float>(p / total);
  return probabilities;
}

}  // namespace tessera::example
