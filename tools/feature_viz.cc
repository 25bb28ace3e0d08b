#include "tools/feature_viz.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/checkpoint.h"
#include "tools/image/canvas.h"

namespace tessera {
namespace {

constexpr int kMaxFilters = 1024;  // more are not drawn (the caption says so)

// The graph input that takes images: "image", else the first 4-D input.
const InputDef* ImageInput(const Graph& graph) {
  const InputDef* first_4d = nullptr;
  for (const InputDef& input : graph.def().input()) {
    if (input.name() == "image") return &input;
    if (input.shape_size() == 4 && first_4d == nullptr) first_4d = &input;
  }
  return first_4d;
}

std::string NodeList(const Graph& graph) {
  std::vector<std::string> names;
  for (const Node& node : graph.nodes()) names.push_back(node.name);
  return absl::StrJoin(names, ", ");
}

// The value that `name` refers to: a node's first output, or "node:k".
absl::StatusOr<std::string> NodeValue(const Graph& graph, const std::string& name) {
  if (name.empty())
    return absl::InvalidArgumentError(
        absl::StrCat("--node is required; the nodes are: ", NodeList(graph)));
  for (const Node& node : graph.nodes()) {
    if (node.name == name) return node.outputs[0];
    for (const std::string& out : node.outputs) {
      if (out == name) return out;
    }
  }
  if (graph.IsInput(name) || graph.IsParameter(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", name, "' is a graph ", graph.IsInput(name) ? "input" : "parameter",
                     ", not a node; the nodes are: ", NodeList(graph)));
  }
  return absl::NotFoundError(
      absl::StrCat("the graph has no node '", name, "'; its nodes are: ", NodeList(graph)));
}

// Checks that the graph can be fed images of `data` (and their labels).
absl::Status CheckFeedable(const Graph& graph, const datasets::ImageDataset& data) {
  const InputDef* image = ImageInput(graph);
  if (image == nullptr) {
    return absl::InvalidArgumentError(
        "the graph has no image input (named 'image', or any [-1, C, H, W] input)");
  }
  TS_ASSIGN_OR_RETURN(Shape shape, graph.InputShape(image->name(), 1));
  const Shape expected = {1, data.channels, data.height, data.width};
  if (shape != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("graph input '", image->name(), "' has shape ", ShapeToString(shape),
                     " for one image, but the dataset's images are ", data.channels, "x",
                     data.height, "x", data.width));
  }
  for (const InputDef& input : graph.def().input()) {
    if (&input != image && input.name() != "label") {
      return absl::InvalidArgumentError(
          absl::StrCat("graph input '", input.name(),
                       "' is neither the image nor 'label'; do not know what to feed it"));
    }
  }
  if (data.num_images == 0) return absl::InvalidArgumentError("the dataset has no images");
  return absl::OkStatus();
}

// Feeds for images [begin, end) of `data`.
absl::StatusOr<std::map<std::string, Tensor>> Feeds(const Graph& graph,
                                                    const datasets::ImageDataset& data,
                                                    int64_t begin, int64_t end) {
  const int64_t n = end - begin;
  std::map<std::string, Tensor> feeds;
  const InputDef* image = ImageInput(graph);
  const int64_t size = data.image_size();
  std::vector<float> pixels(data.images.begin() + begin * size, data.images.begin() + end * size);
  feeds[image->name()] = Tensor::FromVector({n, data.channels, data.height, data.width}, pixels);
  for (const InputDef& input : graph.def().input()) {
    if (input.name() != "label") continue;
    TS_ASSIGN_OR_RETURN(Shape shape, graph.InputShape("label", n));
    if (shape != Shape{n}) {
      return absl::InvalidArgumentError(absl::StrCat("graph input 'label' has shape ",
                                                     ShapeToString(shape),
                                                     "; expected [batch] class indices"));
    }
    std::vector<float> labels;
    for (int64_t i = begin; i < end; ++i) labels.push_back(static_cast<float>(data.labels[i]));
    feeds["label"] = Tensor::FromVector(shape, labels);
  }
  return feeds;
}

// A scale that makes tiles of side `side` about 84 pixels, keeping the grid
// within about 1400 pixels across.
int AutoScale(int64_t side, int columns, int requested) {
  if (requested > 0) return requested;
  int scale = std::max<int>(1, static_cast<int>(84 / std::max<int64_t>(side, 1)));
  while (scale > 1 && columns * (side * scale + kTileSeparator) > 1400) --scale;
  return scale;
}

int64_t IntSqrt(int64_t n) {
  int64_t r = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(n))));
  while (r * r > n) --r;
  while ((r + 1) * (r + 1) <= n) ++r;
  return r;
}

// Tiles with index labels under them when they are wide enough for them.
Image Grid(const std::vector<std::vector<float>>& tiles, int channels, int64_t h, int64_t w,
           int columns, int scale, bool normalize, const std::vector<std::string>& labels) {
  Image grid = channels == 3 ? TileRgb(tiles, h, w, columns, scale, normalize)
                             : TileGrey(tiles, h, w, columns, scale, normalize);
  size_t longest = 0;
  for (const std::string& l : labels) longest = std::max(longest, l.size());
  if (labels.empty() || TextWidth(std::string(longest, '0')) > w * scale + kTileSeparator)
    return grid;
  return LabelTiles(grid, h, w, columns, scale, labels);
}

// The D values of a [1, D] output as a near-square grid of cells (unit 0
// top left, row by row), normalized together, each cell framed in grey
// (the places past the last unit stay blank), with its unit number when
// the cells are big enough for it.
Image UnitGrid(const std::vector<float>& v, const TileOptions& options) {
  const int d = static_cast<int>(v.size());
  const int cols = options.columns > 0 ? options.columns : DefaultColumns(d);
  const int rows = (d + cols - 1) / cols;
  const int cell = options.scale > 0 ? options.scale : std::clamp(400 / cols, 6, 64);
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (float x : v) {
    if (std::isfinite(x)) {
      lo = std::min(lo, x);
      hi = std::max(hi, x);
    }
  }
  Image image(cols * (cell + 1) + 1, rows * (cell + 1) + 1, 3, 255);
  const bool numbered = TextWidth(std::to_string(d - 1)) + 2 <= cell && TextHeight() + 2 <= cell;
  for (int u = 0; u < d; ++u) {
    const int x = 1 + (u % cols) * (cell + 1), y = 1 + (u / cols) * (cell + 1);
    DrawRect(image, x - 1, y - 1, cell + 2, cell + 2, colors::kGrey);
    float t = hi > lo && std::isfinite(v[u]) ? (v[u] - lo) / (hi - lo) : 0.0f;
    const uint8_t g = static_cast<uint8_t>(std::lround(std::clamp(t, 0.0f, 1.0f) * 255.0f));
    FillRect(image, x, y, cell, cell, Rgb{g, g, g});
    if (numbered)
      DrawText(image, x + 2, y + 2, std::to_string(u), g < 128 ? Rgb{255, 200, 0} : Rgb{0, 0, 160});
  }
  return image;
}

std::string Fmt(float v) { return absl::StrFormat("%.3g", v); }

}  // namespace

absl::StatusOr<LoadedModel> LoadModel(const std::string& graph_path,
                                      const std::string& checkpoint) {
  if (graph_path.empty()) return absl::InvalidArgumentError("--graph is required");
  if (checkpoint.empty()) {
    return absl::InvalidArgumentError(
        "--checkpoint is required: a .tsr file, or a directory of them such as checkpoints/mlp "
        "(bazel run //models:mlp_train writes them)");
  }
  TS_ASSIGN_OR_RETURN(Graph graph, Graph::FromTextFile(graph_path));
  LoadedModel model;
  model.graph = std::make_unique<Graph>(std::move(graph));
  std::string path = checkpoint;
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    const std::vector<std::string> all = ListCheckpoints(path);
    if (all.empty())
      return absl::NotFoundError(absl::StrCat("no checkpoint (ckpt-*.tsr) in directory ", path));
    path = all.back();
  } else if (!std::filesystem::exists(path, ec)) {
    return absl::NotFoundError(absl::StrCat("checkpoint ", path, " does not exist"));
  }
  TS_ASSIGN_OR_RETURN(CheckpointProto ckpt, ReadCheckpointFile(path));
  model.params = ParameterStore::Initialize(*model.graph, 0, Device::kCpu);
  absl::Status restored = RestoreCheckpoint(ckpt, model.params, nullptr);
  if (!restored.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("checkpoint ", path, " does not fit graph '",
                                                   model.graph->def().name(),
                                                   "': ", restored.message()));
  }
  model.checkpoint_path = path;
  return model;
}

absl::StatusOr<Image> RenderFilters(const Graph& graph, const ParameterStore& params,
                                    const std::string& param, const TileOptions& options) {
  auto it = params.all().find(param);
  if (it == params.all().end()) {
    std::vector<std::string> weights;
    for (const auto& [name, p] : params.all()) {
      if (p.value.rank() == 2 || p.value.rank() == 4) weights.push_back(name);
    }
    return absl::NotFoundError(absl::StrCat("the graph has no parameter '", param,
                                            "'; 2-D and 4-D ones: ", absl::StrJoin(weights, ", ")));
  }
  const Tensor& weight = it->second.value;
  const std::vector<float> w = weight.ToVector();
  const Shape& shape = weight.shape();
  std::vector<std::vector<float>> tiles;
  std::vector<std::string> labels, caption;
  int64_t channels = 1, h = 0, wd = 0, shown = 0;
  int columns = options.columns;
  if (shape.size() == 2) {
    const int64_t out = shape[0], in = shape[1];
    const InputDef* image = ImageInput(graph);
    if (image != nullptr && image->shape_size() == 4 &&
        image->shape(1) * image->shape(2) * image->shape(3) == in) {
      channels = image->shape(1);
      h = image->shape(2);
      wd = image->shape(3);
    } else if (IntSqrt(in) * IntSqrt(in) == in) {
      h = wd = IntSqrt(in);
    } else if (in % 3 == 0 && IntSqrt(in / 3) * IntSqrt(in / 3) == in / 3) {
      channels = 3;
      h = wd = IntSqrt(in / 3);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("rows of '", param, "' ", ShapeToString(shape), " have ", in,
                       " values: neither C*H*W of the graph's image input nor a square (or 3 "
                       "squares) to draw as an image"));
    }
    shown = std::min<int64_t>(out, kMaxFilters);
    if (channels == 1 || channels == 3) {
      for (int64_t r = 0; r < shown; ++r) {
        tiles.emplace_back(w.begin() + r * in, w.begin() + (r + 1) * in);
        labels.push_back(std::to_string(r));
      }
      if (columns <= 0)
        columns = out <= 12 ? static_cast<int>(out) : DefaultColumns(static_cast<int>(shown));
    } else {
      const int64_t plane = h * wd;
      for (int64_t r = 0; r < shown; ++r) {
        for (int64_t c = 0; c < channels; ++c) {
          tiles.emplace_back(w.begin() + r * in + c * plane, w.begin() + r * in + (c + 1) * plane);
        }
      }
      columns = static_cast<int>(channels);
      labels.clear();
    }
    caption.push_back(absl::StrCat(param, " ", ShapeToString(shape), ": ", out, " rows drawn as ",
                                   channels, "x", h, "x", wd, " images",
                                   shown < out ? absl::StrCat(" (the first ", shown, ")") : ""));
  } else if (shape.size() == 4) {
    const int64_t o = shape[0];
    channels = shape[1];
    h = shape[2];
    wd = shape[3];
    const int64_t per_filter = channels * h * wd;
    shown = std::min<int64_t>(o, kMaxFilters);
    if (channels == 1 || channels == 3) {
      for (int64_t f = 0; f < shown; ++f) {
        tiles.emplace_back(w.begin() + f * per_filter, w.begin() + (f + 1) * per_filter);
        labels.push_back(std::to_string(f));
      }
      if (columns <= 0) columns = DefaultColumns(static_cast<int>(shown));
      caption.push_back(absl::StrCat(param, " ", ShapeToString(shape), ": ", o, " filters of ",
                                     channels, "x", h, "x", wd, channels == 3 ? " (colour)" : "",
                                     shown < o ? absl::StrCat(" (the first ", shown, ")") : ""));
    } else {
      const int64_t plane = h * wd;
      for (int64_t f = 0; f < shown; ++f) {
        for (int64_t c = 0; c < channels; ++c) {
          tiles.emplace_back(w.begin() + f * per_filter + c * plane,
                             w.begin() + f * per_filter + (c + 1) * plane);
        }
      }
      columns = static_cast<int>(channels);
      caption.push_back(absl::StrCat(param, " ", ShapeToString(shape), ": a row per filter (", o,
                                     shown < o ? absl::StrCat(", the first ", shown, " drawn") : "",
                                     "), a ", h, "x", wd, " tile per input channel (", channels,
                                     ")"));
    }
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("parameter '", param, "' has shape ", ShapeToString(shape),
                     "; filters mode draws a 2-D [out, in] or 4-D [O, C, kH, kW] weight"));
  }
  caption.push_back(
      "each tile normalized on its own: black = its most negative weight, white = its most "
      "positive");
  const int scale = AutoScale(std::max(h, wd), columns, options.scale);
  const int tile_channels = channels == 3 ? 3 : 1;
  return AddCaption(Grid(tiles, tile_channels, h, wd, columns, scale, true, labels), caption);
}

absl::StatusOr<Image> RenderActivations(const Graph& graph, ParameterStore& params,
                                        const datasets::ImageDataset& data, int64_t index,
                                        const std::string& node, const TileOptions& options) {
  TS_ASSIGN_OR_RETURN(const std::string value, NodeValue(graph, node));
  TS_RETURN_IF_ERROR(CheckFeedable(graph, data));
  if (index < 0 || index >= data.num_images) {
    return absl::OutOfRangeError(absl::StrCat("--index=", index,
                                              " is out of range: the dataset has ", data.num_images,
                                              " images (0..", data.num_images - 1, ")"));
  }
  TS_ASSIGN_OR_RETURN(auto shapes, graph.InferShapes(1));
  const Shape& shape = shapes.at(value);
  if (!(shape.size() == 4 || shape.size() == 2) || shape[0] != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", value, "' has shape ", ShapeToString(shape),
                     " for one image; activations mode draws [1, C, H, W] or [1, D] outputs"));
  }
  TS_ASSIGN_OR_RETURN(auto feeds, Feeds(graph, data, index, index + 1));
  TS_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor_ptr, Executor::Create(graph, params));
  Executor& executor = *executor_ptr;
  TS_RETURN_IF_ERROR(executor.Forward(feeds, /*training=*/false));
  TS_ASSIGN_OR_RETURN(Tensor out, executor.Value(value));
  const std::vector<float> v = out.ToVector();
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());

  Image grid;
  std::vector<std::string> caption;
  if (shape.size() == 4) {
    const int64_t c = shape[1], h = shape[2], w = shape[3];
    std::vector<std::vector<float>> tiles;
    std::vector<std::string> labels;
    for (int64_t k = 0; k < c; ++k) {
      tiles.emplace_back(v.begin() + k * h * w, v.begin() + (k + 1) * h * w);
      labels.push_back(std::to_string(k));
    }
    const int columns = options.columns > 0 ? options.columns : DefaultColumns(static_cast<int>(c));
    grid = Grid(tiles, 1, h, w, columns, AutoScale(std::max(h, w), columns, options.scale), true,
                labels);
    caption.push_back(
        absl::StrCat(value, " ", ShapeToString(shape), ": ", c, " channels of ", h, "x", w));
  } else {
    grid = UnitGrid(v, options);
    const int64_t d = shape[1];
    caption.push_back(
        absl::StrCat(value, " ", ShapeToString(shape), ": ", d, " units, ",
                     options.columns > 0 ? options.columns : DefaultColumns(static_cast<int>(d)),
                     " per row, unit 0 top left"));
  }
  caption.push_back(absl::StrCat("image ", index, " (label ", data.labels[index],
                                 "), evaluation mode; min ", Fmt(*lo), ", max ", Fmt(*hi),
                                 "; normalized per tile: black = min, white = max"));

  // The input image on the left, the activations on the right.
  const int64_t size = data.image_size();
  std::vector<float> pixels(data.images.begin() + index * size,
                            data.images.begin() + (index + 1) * size);
  const int input_scale =
      std::max<int>(1, static_cast<int>(112 / std::max<int64_t>(data.height, data.width)));
  Image input = data.channels == 3
                    ? TileRgb({pixels}, data.height, data.width, 1, input_scale, false)
                    : TileGrey({pixels}, data.height, data.width, 1, input_scale, false);
  Image both(input.width + 16 + grid.width, std::max(input.height + TextHeight() + 6, grid.height),
             3, 255);
  Blit(both, input, 0, 0);
  DrawText(both, 2, input.height + 3, "input", colors::kBlack);
  Blit(both, grid, input.width + 16, 0);
  return AddCaption(both, caption);
}

absl::StatusOr<TopImages> RenderTopImages(const Graph& graph, ParameterStore& params,
                                          const datasets::ImageDataset& data,
                                          const std::string& node, int64_t channel, int count,
                                          const TileOptions& options, int64_t batch_size) {
  TS_ASSIGN_OR_RETURN(const std::string value, NodeValue(graph, node));
  TS_RETURN_IF_ERROR(CheckFeedable(graph, data));
  if (count < 1)
    return absl::InvalidArgumentError(absl::StrCat("--count must be at least 1, got ", count));
  if (batch_size < 1) return absl::InvalidArgumentError("batch size must be at least 1");
  TS_ASSIGN_OR_RETURN(auto shapes, graph.InferShapes(1));
  const Shape& shape = shapes.at(value);
  if (!(shape.size() == 4 || shape.size() == 2) || shape[0] != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", value, "' has shape ", ShapeToString(shape),
                     " for one image; top_images ranks channels of [N, C, H, W] or "
                     "[N, D] outputs"));
  }
  const int64_t channels = shape[1];
  if (channel < 0 || channel >= channels) {
    return absl::OutOfRangeError(
        absl::StrCat("--channel=", channel, " is out of range: '", value, "' has ", channels,
                     shape.size() == 4 ? " channels" : " units", " (0..", channels - 1, ")"));
  }
  std::vector<float> scores(data.num_images);
  TS_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor_ptr, Executor::Create(graph, params));
  Executor& executor = *executor_ptr;
  for (int64_t begin = 0; begin < data.num_images; begin += batch_size) {
    const int64_t end = std::min(data.num_images, begin + batch_size);
    TS_ASSIGN_OR_RETURN(auto feeds, Feeds(graph, data, begin, end));
    TS_RETURN_IF_ERROR(executor.Forward(feeds, /*training=*/false));
    TS_ASSIGN_OR_RETURN(Tensor out, executor.Value(value));
    const std::vector<float> v = out.ToVector();
    const int64_t plane = shape.size() == 4 ? out.dim(2) * out.dim(3) : 1;
    for (int64_t i = begin; i < end; ++i) {
      const float* p = v.data() + ((i - begin) * channels + channel) * plane;
      double sum = 0;
      for (int64_t k = 0; k < plane; ++k) sum += p[k];
      scores[i] = static_cast<float>(sum / plane);
    }
  }
  std::vector<int64_t> order(data.num_images);
  std::iota(order.begin(), order.end(), 0);
  const int64_t shown = std::min<int64_t>(count, data.num_images);
  // NaN scores rank last.
  std::partial_sort(order.begin(), order.begin() + shown, order.end(), [&](int64_t a, int64_t b) {
    const float sa = std::isnan(scores[a]) ? -std::numeric_limits<float>::infinity() : scores[a];
    const float sb = std::isnan(scores[b]) ? -std::numeric_limits<float>::infinity() : scores[b];
    return sa != sb ? sa > sb : a < b;
  });
  TopImages top;
  std::vector<std::vector<float>> tiles;
  std::vector<std::string> labels;
  const int64_t size = data.image_size();
  for (int64_t k = 0; k < shown; ++k) {
    const int64_t i = order[k];
    top.indices.push_back(i);
    top.scores.push_back(scores[i]);
    tiles.emplace_back(data.images.begin() + i * size, data.images.begin() + (i + 1) * size);
    labels.push_back(absl::StrCat(data.labels[i], ": ", absl::StrFormat("%.2f", scores[i])));
  }
  double mean = 0;
  for (float s : scores) mean += s;
  mean /= data.num_images;
  const int columns =
      options.columns > 0 ? options.columns : DefaultColumns(static_cast<int>(shown));
  const int scale = AutoScale(std::max(data.height, data.width), columns, options.scale);
  Image grid = Grid(tiles, data.channels == 3 ? 3 : 1, data.height, data.width, columns, scale,
                    false, labels);
  const std::string what =
      shape.size() == 4 ? "mean activation of channel " : "activation of unit ";
  top.image = AddCaption(
      grid,
      {absl::StrCat(value, ": the ", shown, " of ", data.num_images, " images with the highest ",
                    what, channel),
       absl::StrCat("under each: label: activation (over all images: mean ",
                    Fmt(static_cast<float>(mean)), ", highest ", Fmt(top.scores.front()), ")")});
  return top;
}

}  // namespace tessera
