#ifndef TESSERA_TOOLS_FEATURE_VIZ_H_
#define TESSERA_TOOLS_FEATURE_VIZ_H_

// Pictures of what a trained network learned, for //tools:visualize:
//   - filters: the rows of a [out, in] weight as images (in = C*H*W of the
//     graph's image input, else a square), or the kernels of a 4-D conv
//     weight [O, C, kH, kW] (grey for C = 1, colour for C = 3, else one
//     grey tile per input channel, a row per filter);
//   - activations: a node's output for one image, each channel of an
//     [1, C, H, W] output a tile, a [1, D] output a near-square grid of D
//     cells, beside the input image;
//   - top images: the dataset images that excite one channel of a node
//     most (mean over H x W for 4-D outputs, the value for 2-D ones).
// Every tile is normalized on its own (except dataset images, drawn as
// they are) and enlarged; captions say what is shown.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/executor.h"
#include "core/graph.h"
#include "datasets/dataset.h"
#include "tools/image/png.h"

namespace tessera {

struct LoadedModel {
  std::unique_ptr<Graph> graph;  // on the heap: params point into its GraphDef
  ParameterStore params;
  std::string checkpoint_path;  // the file actually read
};

// Builds the graph and restores its parameters from `checkpoint`: a .tsr
// file, or a directory whose newest ckpt-*.tsr is taken.
absl::StatusOr<LoadedModel> LoadModel(const std::string& graph_path, const std::string& checkpoint);

struct TileOptions {
  int columns = 0;  // 0: automatic
  int scale = 0;    // 0: automatic (tiles of about 64-96 pixels)
};

absl::StatusOr<Image> RenderFilters(const Graph& graph, const ParameterStore& params,
                                    const std::string& param, const TileOptions& options = {});

// Runs the graph forward in evaluation mode on image `index` of `data`.
// `node` names a node (its first output) or a value "node:k".
absl::StatusOr<Image> RenderActivations(const Graph& graph, ParameterStore& params,
                                        const datasets::ImageDataset& data, int64_t index,
                                        const std::string& node, const TileOptions& options = {});

struct TopImages {
  Image image;
  std::vector<int64_t> indices;  // into the dataset, best first
  std::vector<float> scores;     // the channel's activation for each
};

// Runs all of `data` through the graph (evaluation mode, batches of
// `batch_size`) and tiles the `count` images with the largest activation
// of `channel` at `node`.
absl::StatusOr<TopImages> RenderTopImages(const Graph& graph, ParameterStore& params,
                                          const datasets::ImageDataset& data,
                                          const std::string& node, int64_t channel, int count,
                                          const TileOptions& options = {},
                                          int64_t batch_size = 256);

}  // namespace tessera

#endif  // TESSERA_TOOLS_FEATURE_VIZ_H_
