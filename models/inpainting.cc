#include "models/inpainting.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/thread_pool.h"
#include "models/image_data.h"

namespace tessera {

// ---------------------------------------------------------------- metrics

void MaskedError::Add(const float* prediction, const float* target, const float* mask,
                      int64_t count) {
  double sum = 0;
  int64_t pixels = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (mask[i] == 0.0f) continue;
    const double d = static_cast<double>(prediction[i]) - target[i];
    sum += d * d;
    ++pixels;
  }
  sum_squared_ += sum;
  pixels_ += pixels;
}

double MaskedError::mse() const { return pixels_ == 0 ? 0.0 : sum_squared_ / pixels_; }

double MaskedError::psnr(double peak) const { return PsnrFromMse(mse(), peak); }

double PsnrFromMse(double mse, double peak) {
  if (mse <= 0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(peak * peak / mse);
}

std::vector<float> MeanImage(const datasets::ImageDataset& data) {
  const int64_t size = data.image_size();
  std::vector<double> sum(size, 0.0);
  for (int64_t i = 0; i < data.num_images; ++i) {
    const float* image = data.images.data() + i * size;
    for (int64_t k = 0; k < size; ++k) sum[k] += image[k];
  }
  std::vector<float> mean(size, 0.0f);
  if (data.num_images == 0) return mean;
  for (int64_t k = 0; k < size; ++k) mean[k] = static_cast<float>(sum[k] / data.num_images);
  return mean;
}

void FillHoleWith(const float* masked, const float* mask, const std::vector<float>& mean_image,
                  int64_t count, float* out) {
  const int64_t size = static_cast<int64_t>(mean_image.size());
  for (int64_t i = 0; i < count; ++i) {
    for (int64_t k = 0; k < size; ++k) {
      const int64_t j = i * size + k;
      out[j] = mask[j] != 0.0f ? mean_image[k] : masked[j];
    }
  }
}

// ---------------------------------------------------------------- the grid

Image MakeInpaintingGrid(const float* masked, const float* mask, const float* prediction,
                         const float* target, int64_t rows, int64_t channels, int64_t height,
                         int64_t width, int scale, int border) {
  const int panel_w = static_cast<int>(width) * scale, panel_h = static_cast<int>(height) * scale;
  const int columns = 3;
  Image image(border + columns * (panel_w + border),
              border + static_cast<int>(rows) * (panel_h + border), 3, /*fill=*/128);
  const int64_t plane = height * width, size = channels * plane;
  auto to_byte = [](float v) {
    return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
  };
  const float* panels[columns] = {masked, prediction, target};
  for (int64_t r = 0; r < rows; ++r) {
    for (int c = 0; c < columns; ++c) {
      const float* src = panels[c] + r * size;
      const float* hole = mask + r * size;
      const int x0 = border + c * (panel_w + border);
      const int y0 = border + static_cast<int>(r) * (panel_h + border);
      for (int64_t y = 0; y < height; ++y) {
        for (int64_t x = 0; x < width; ++x) {
          uint8_t rgb[3];
          for (int k = 0; k < 3; ++k) {
            rgb[k] = to_byte(src[(channels == 3 ? k : 0) * plane + y * width + x]);
          }
          if (c == 0 && hole[y * width + x] != 0.0f) {  // the hole, tinted
            rgb[0] = 0;
            rgb[1] = 40;
            rgb[2] = 110;
          }
          for (int dy = 0; dy < scale; ++dy) {
            for (int dx = 0; dx < scale; ++dx) {
              uint8_t* p = image.at(x0 + static_cast<int>(x) * scale + dx,
                                    y0 + static_cast<int>(y) * scale + dy);
              p[0] = rgb[0];
              p[1] = rgb[1];
              p[2] = rgb[2];
            }
          }
        }
      }
    }
  }
  return image;
}

std::vector<int64_t> GridImageIndices(int64_t num_images, int rows) {
  std::vector<int64_t> indices;
  const int64_t n = std::min<int64_t>(rows, num_images);
  for (int64_t r = 0; r < n; ++r) indices.push_back(r * num_images / n);
  return indices;
}

// ---------------------------------------------------------------- training

namespace {

// `count` images evenly spaced across `data` (all of it if count is 0 or
// at least its size).
datasets::ImageDataset Subset(datasets::ImageDataset data, int64_t count) {
  if (count <= 0 || count >= data.num_images) return data;
  datasets::ImageDataset out = data;
  const int64_t size = data.image_size();
  out.num_images = count;
  out.images.resize(count * size);
  out.labels.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    const int64_t from = i * data.num_images / count;
    std::copy(data.images.begin() + from * size, data.images.begin() + (from + 1) * size,
              out.images.begin() + i * size);
    out.labels[i] = data.labels[from];
  }
  return out;
}

std::string MaskDescription(const datasets::MaskSpec& mask) {
  return mask.min_size == mask.max_size ? absl::StrCat(mask.min_size)
                                        : absl::StrCat(mask.min_size, "-", mask.max_size);
}

std::string Score(const MaskedError& e) {
  return absl::StrFormat("%.4f (%.2f dB)", e.mse(), e.psnr());
}

// Inpainting: "masked" (the image with a hole) and "target" in; the masked
// MSE of the graph's first output, next to the baselines, out.
class InpaintingTask final : public TrainingTask {
 public:
  InpaintingTask(const InpaintingConfig& config, const Graph& graph,
                 const datasets::ImageDataset& train, const datasets::ImageDataset& test)
      : config_(config),
        graph_(graph),
        train_(train),
        test_(test),
        mean_image_(MeanImage(train)),
        masked_(config.batch_size * train.image_size()),
        mask_(config.batch_size * train.image_size()) {}

  absl::Status CheckGraphMatchesData() const;

  std::string Description(int64_t parameters) const {
    const datasets::MaskSpec& m = config_.mask;
    const std::string holes =
        m.min_size == m.max_size
            ? absl::StrCat(m.min_size, "x", m.min_size, " holes")
            : absl::StrCat("holes with sides of ", m.min_size, " to ", m.max_size, " pixels");
    return absl::StrFormat(
        "training %s on %s to fill %s: %d train / %d test images, %d parameters, batch %d, "
        "%s, %d threads",
        graph_.def().name(), config_.dataset, holes, train_.num_images, test_.num_images,
        parameters, config_.batch_size, DeviceName(config_.device), CpuThreadPool().num_threads());
  }

  std::map<std::string, Tensor> TrainFeeds(std::vector<float>& images,
                                           const std::vector<float>& labels, int64_t step,
                                           Device device) override {
    // The holes depend only on (seed, step): a resumed run redraws them.
    // labels.size(): this rank's share of the batch under mpirun.
    const int64_t n = static_cast<int64_t>(labels.size());
    datasets::MaskImages(images.data(), n, train_.channels, train_.height, train_.width,
                         config_.mask, datasets::TrainMaskSeed(config_.seed, step), 0,
                         masked_.data(), mask_.data());
    return Feeds(masked_.data(), images.data(), mask_.data(), n, device);
  }

  // Scores the model and the baselines on the test set with its fixed
  // masks, and writes the grid if asked.
  absl::StatusOr<std::string> Evaluate(Executor& executor) override;

  std::string FinalSummary() const override {
    return absl::StrCat(", test masked MSE ", Score(scores_.model),
                        config_.out_grid.empty() ? "" : ", grid in ", config_.out_grid);
  }

  const InpaintingScores& scores() const { return scores_; }

 private:
  const InpaintingConfig& config_;
  const Graph& graph_;
  const datasets::ImageDataset& train_;
  const datasets::ImageDataset& test_;
  // The graph's feeds for `n` images: "masked" and "target", and "mask" and
  // "pixel_weight" if the graph declares them.
  std::map<std::string, Tensor> Feeds(const float* masked, const float* target, const float* mask,
                                      int64_t n, Device device) const;

  const std::vector<float> mean_image_;
  std::vector<float> masked_, mask_;  // a training batch with its holes, and the holes
  InpaintingScores scores_;
};

std::map<std::string, Tensor> InpaintingTask::Feeds(const float* masked, const float* target,
                                                    const float* mask, int64_t n,
                                                    Device device) const {
  const Shape shape{n, train_.channels, train_.height, train_.width};
  const int64_t count = n * train_.image_size();
  auto tensor = [&](const float* values) {
    Tensor t = Tensor::Empty(shape);
    std::copy_n(values, count, t.data());
    return t.CopyTo(device);
  };
  std::map<std::string, Tensor> feeds{{"masked", tensor(masked)}, {"target", tensor(target)}};
  if (graph_.IsInput("mask")) feeds.emplace("mask", tensor(mask));
  if (graph_.IsInput("pixel_weight")) {
    // The square root of each pixel's weight: the graph multiplies it into
    // both sides of its l2_loss, so the squared error is weighted by it squared.
    const float inside = std::sqrt(config_.hole_weight);
    Tensor w = Tensor::Empty(shape);
    for (int64_t i = 0; i < count; ++i) w.data()[i] = mask[i] != 0.0f ? inside : 1.0f;
    feeds.emplace("pixel_weight", w.CopyTo(device));
  }
  return feeds;
}

absl::Status InpaintingTask::CheckGraphMatchesData() const {
  if (graph_.def().output_size() == 0) {
    return absl::InvalidArgumentError(
        "the graph must list its predicted image as its first `output`");
  }
  const Shape data_shape{1, train_.channels, train_.height, train_.width};
  for (const std::string input : {"masked", "target", "mask", "pixel_weight"}) {
    const bool optional = input == "mask" || input == "pixel_weight";
    if (optional && !graph_.IsInput(input)) continue;
    if (!graph_.IsInput(input)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "an inpainting graph needs inputs 'masked' and 'target'; it has no input '", input, "'"));
    }
    TS_ASSIGN_OR_RETURN(Shape shape, graph_.InputShape(input, 1));
    if (shape != data_shape) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph input '", input, "' is ", ShapeToString(shape),
                       " per example but the dataset's images are ", ShapeToString(data_shape)));
    }
  }
  if (config_.hole_weight != 1.0f && !graph_.IsInput("pixel_weight")) {
    return absl::InvalidArgumentError(
        "--hole_weight needs a graph that weights its loss by an input 'pixel_weight' (see "
        "models/inpainting_unet.pbtxt)");
  }
  TS_ASSIGN_OR_RETURN(auto shapes, graph_.InferShapes(1));
  const std::string& output = graph_.def().output(0);
  auto it = shapes.find(output);
  if (it == shapes.end() || it->second != data_shape) {
    return absl::InvalidArgumentError(absl::StrCat(
        "graph output '", output, "' must have the images' shape ", ShapeToString(data_shape),
        it == shapes.end() ? ", but it is not a value of the graph"
                           : absl::StrCat(", but it is ", ShapeToString(it->second))));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> InpaintingTask::Evaluate(Executor& executor) {
  const int64_t batch = 500;
  const int64_t size = test_.image_size();
  std::vector<float> masked(batch * size), mask(batch * size), known(batch * size),
      filled(batch * size);
  const std::vector<int64_t> grid = GridImageIndices(test_.num_images, config_.grid_rows);
  const int64_t grid_rows = static_cast<int64_t>(grid.size());
  std::vector<float> grid_masked(grid_rows * size), grid_mask(grid_rows * size),
      grid_prediction(grid_rows * size), grid_target(grid_rows * size);
  InpaintingScores scores;
  double loss_sum = 0;
  const std::string output = graph_.def().output(0);
  for (int64_t start = 0; start < test_.num_images; start += batch) {
    const int64_t n = std::min(batch, test_.num_images - start);
    const float* target = test_.images.data() + start * size;
    datasets::MaskImages(target, n, test_.channels, test_.height, test_.width, config_.mask,
                         datasets::kTestMaskSeed, start, masked.data(), mask.data());
    TS_RETURN_IF_ERROR(
        executor.Forward(Feeds(masked.data(), target, mask.data(), n, executor.device()),
                         /*training=*/false));
    TS_ASSIGN_OR_RETURN(float loss, executor.Loss());
    TS_ASSIGN_OR_RETURN(Tensor prediction_tensor, executor.Value(output));
    const std::vector<float> prediction = prediction_tensor.ToVector();
    loss_sum += static_cast<double>(loss) * n;
    scores.model.Add(prediction.data(), target, mask.data(), n * size);
    for (int64_t k = 0; k < n * size; ++k) known[k] = mask[k] != 0.0f ? 0.0f : 1.0f;
    scores.model_known.Add(prediction.data(), target, known.data(), n * size);
    scores.copy_input.Add(masked.data(), target, mask.data(), n * size);
    FillHoleWith(masked.data(), mask.data(), mean_image_, n, filled.data());
    scores.mean_image.Add(filled.data(), target, mask.data(), n * size);
    for (int64_t r = 0; r < grid_rows; ++r) {
      const int64_t i = grid[r] - start;
      if (i < 0 || i >= n) continue;
      std::copy_n(masked.data() + i * size, size, grid_masked.data() + r * size);
      std::copy_n(mask.data() + i * size, size, grid_mask.data() + r * size);
      std::copy_n(prediction.data() + i * size, size, grid_prediction.data() + r * size);
      std::copy_n(target + i * size, size, grid_target.data() + r * size);
    }
  }
  scores.loss = loss_sum / std::max<int64_t>(1, test_.num_images);
  if (!config_.out_grid.empty() && grid_rows > 0) {
    TS_RETURN_IF_ERROR(WritePng(
        config_.out_grid, MakeInpaintingGrid(grid_masked.data(), grid_mask.data(),
                                             grid_prediction.data(), grid_target.data(), grid_rows,
                                             test_.channels, test_.height, test_.width)));
  }
  scores_ = scores;
  return absl::StrFormat(
      "test loss %.4f, test masked MSE %s (known pixels %.4f); baselines: mean image %s, copy "
      "input %s",
      scores.loss, Score(scores.model), scores.model_known.mse(), Score(scores.mean_image),
      Score(scores.copy_input));
}

// The images, in memory and in [0, 1] (the masks, the baselines and the
// PSNR assume that range): MNIST or Fashion-MNIST as they are; a folder's
// or CIFAR's split decoded once to the graph's input, without augmentation
// (the holes are the augmentation), at mean 0 and std 1 unless given.
absl::StatusOr<datasets::ImageDataset> LoadImages(const InpaintingConfig& config,
                                                  const Graph& graph, datasets::Split split) {
  if (!IsImageDataset(config.dataset)) return LoadDataset(config.dataset, split);
  TS_ASSIGN_OR_RETURN(Shape input, graph.InputShape("masked", 1));
  if (input.size() != 4) return absl::InvalidArgumentError("graph input 'masked' must be NCHW");
  LoopConfig decode = config;
  decode.image_data.augment = false;
  const int channels = static_cast<int>(input[1]);
  if (decode.image_data.mean.empty()) decode.image_data.mean.assign(channels, 0.0f);
  if (decode.image_data.std.empty()) decode.image_data.std.assign(channels, 1.0f);
  TS_ASSIGN_OR_RETURN(ImageData data,
                      OpenImageData(decode, split, channels, static_cast<int>(input[2]),
                                    static_cast<int>(input[3]), config.batch_size));
  if (config.verbose) {
    printf("%s\n", data.Summary(split == datasets::Split::kTrain ? "train" : "val").c_str());
  }
  return datasets::ReadEpoch(*data.batches, 0);
}

}  // namespace

absl::StatusOr<InpaintingResult> TrainInpainting(const InpaintingConfig& config) {
  if (config.threads > 0) SetNumCpuThreads(config.threads);
  TS_RETURN_IF_ERROR(config.Validate());
  TS_ASSIGN_OR_RETURN(Graph graph, Graph::FromTextFile(config.graph_path));
  TS_ASSIGN_OR_RETURN(datasets::ImageDataset train,
                      LoadImages(config, graph, datasets::Split::kTrain));
  TS_ASSIGN_OR_RETURN(datasets::ImageDataset test,
                      LoadImages(config, graph, datasets::Split::kTest));
  train = Subset(std::move(train), config.train_images);
  TS_RETURN_IF_ERROR(datasets::ValidateMaskSpec(config.mask, train.height, train.width));
  InpaintingTask task(config, graph, train, test);
  TS_RETURN_IF_ERROR(task.CheckGraphMatchesData());
  TrainingLoop loop(config, graph, train);
  TS_ASSIGN_OR_RETURN(LoopResult run,
                      loop.Run(task, task.Description(loop.params().TotalElements()),
                               {{"dataset", config.dataset},
                                {"mask_size", MaskDescription(config.mask)},
                                {"seed", absl::StrCat(config.seed)}}));
  InpaintingResult result;
  result.steps = run.steps;
  result.interrupted = run.interrupted;
  result.train_seconds = run.train_seconds;
  if (!run.interrupted) result.test = task.scores();
  return result;
}

}  // namespace tessera
