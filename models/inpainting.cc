#include "models/inpainting.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/checkpoint.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/thread_pool.h"
#include "datasets/batcher.h"
#include "datasets/idx.h"
#include "datasets/mnist_digits.h"

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
  Image image(border + columns * (panel_w + border), border + static_cast<int>(rows) * (panel_h + border),
              3, /*fill=*/128);
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

std::atomic<int> g_stop_signal{0};

void OnStopSignal(int signal) { g_stop_signal.store(signal); }

absl::StatusOr<datasets::ImageDataset> LoadDataset(const std::string& name, datasets::Split split) {
  if (name == "mnist") return datasets::LoadMnistDigits(datasets::DefaultMnistDigitsDir(), split);
  if (name == "fashion") return datasets::LoadFashionMnist(datasets::DefaultFashionMnistDir(), split);
  return absl::InvalidArgumentError(absl::StrCat("unknown dataset '", name, "' (known: mnist, fashion)"));
}

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

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string FormatDuration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

std::string MaskDescription(const datasets::MaskSpec& mask) {
  return mask.min_size == mask.max_size ? absl::StrCat(mask.min_size)
                                        : absl::StrCat(mask.min_size, "-", mask.max_size);
}

std::string Score(const MaskedError& e) { return absl::StrFormat("%.4f (%.2f dB)", e.mse(), e.psnr()); }

class Session {
 public:
  Session(const InpaintingConfig& config, Graph graph, datasets::ImageDataset train,
          datasets::ImageDataset test)
      : config_(config),
        graph_(std::move(graph)),
        train_(std::move(train)),
        test_(std::move(test)),
        params_(ParameterStore::Initialize(graph_, config.seed, Device::kCpu)),
        executor_(graph_, params_, {Device::kCpu, config.check_numerics}) {}

  absl::StatusOr<InpaintingResult> Run();

 private:
  absl::Status CheckGraphMatchesData();
  // Scores the model and the baselines on the test set with its fixed
  // masks, and writes the grid if asked.
  absl::StatusOr<InpaintingScores> Evaluate();
  absl::Status Save(int64_t epoch, int64_t batch_in_epoch);
  void Print(const char* format, ...) const;

  const InpaintingConfig& config_;
  Graph graph_;
  datasets::ImageDataset train_, test_;
  ParameterStore params_;
  Executor executor_;
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<float> mean_image_;
};

void Session::Print(const char* format, ...) const {
  if (!config_.verbose) return;
  va_list args;
  va_start(args, format);
  vprintf(format, args);
  va_end(args);
  fflush(stdout);
}

absl::Status Session::CheckGraphMatchesData() {
  if (graph_.def().output_size() == 0) {
    return absl::InvalidArgumentError("the graph must list its predicted image as its first `output`");
  }
  const Shape data_shape{1, train_.channels, train_.height, train_.width};
  for (const char* input : {"masked", "target"}) {
    if (!graph_.IsInput(input)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "an inpainting graph needs inputs 'masked' and 'target'; it has no input '", input, "'"));
    }
    TS_ASSIGN_OR_RETURN(Shape shape, graph_.InputShape(input, 1));
    if (shape != data_shape) {
      return absl::InvalidArgumentError(absl::StrCat("graph input '", input, "' is ", ShapeToString(shape),
                                                     " per example but the dataset's images are ",
                                                     ShapeToString(data_shape)));
    }
  }
  TS_ASSIGN_OR_RETURN(auto shapes, graph_.InferShapes(1));
  const std::string& output = graph_.def().output(0);
  auto it = shapes.find(output);
  if (it == shapes.end() || it->second != data_shape) {
    return absl::InvalidArgumentError(
        absl::StrCat("graph output '", output, "' must have the images' shape ", ShapeToString(data_shape),
                     it == shapes.end() ? ", but it is not a value of the graph"
                                        : absl::StrCat(", but it is ", ShapeToString(it->second))));
  }
  return absl::OkStatus();
}

absl::StatusOr<InpaintingScores> Session::Evaluate() {
  const int64_t batch = 500;
  const int64_t size = test_.image_size();
  const Shape one{1, test_.channels, test_.height, test_.width};
  std::vector<float> masked(batch * size), mask(batch * size), filled(batch * size);
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
    masked.resize(n * size);
    const Shape shape{n, test_.channels, test_.height, test_.width};
    const Tensor masked_tensor = Tensor::FromVector(shape, masked);
    const Tensor target_tensor = Tensor::FromVector(
        shape, std::vector<float>(target, target + n * size));
    masked.resize(batch * size);
    TS_RETURN_IF_ERROR(executor_.Forward({{"masked", masked_tensor}, {"target", target_tensor}},
                                         /*training=*/false));
    TS_ASSIGN_OR_RETURN(float loss, executor_.Loss());
    TS_ASSIGN_OR_RETURN(Tensor prediction, executor_.Value(output));
    loss_sum += static_cast<double>(loss) * n;
    scores.model.Add(prediction.data(), target, mask.data(), n * size);
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
    TS_RETURN_IF_ERROR(WritePng(config_.out_grid,
                                MakeInpaintingGrid(grid_masked.data(), grid_mask.data(),
                                                   grid_prediction.data(), grid_target.data(), grid_rows,
                                                   test_.channels, test_.height, test_.width)));
  }
  return scores;
}

absl::Status Session::Save(int64_t epoch, int64_t batch_in_epoch) {
  if (config_.checkpoint_dir.empty()) return absl::OkStatus();
  CheckpointProto checkpoint = CaptureCheckpoint(params_, *optimizer_);
  checkpoint.set_graph_name(graph_.def().name());
  checkpoint.set_epoch(epoch);
  checkpoint.set_batch_in_epoch(batch_in_epoch);
  (*checkpoint.mutable_metadata())["dataset"] = config_.dataset;
  (*checkpoint.mutable_metadata())["mask_size"] = MaskDescription(config_.mask);
  (*checkpoint.mutable_metadata())["seed"] = absl::StrCat(config_.seed);
  TS_ASSIGN_OR_RETURN(std::string path,
                      SaveCheckpointInDir(config_.checkpoint_dir, checkpoint, config_.keep_checkpoints));
  return absl::OkStatus();
}

absl::StatusOr<InpaintingResult> Session::Run() {
  TS_RETURN_IF_ERROR(CheckGraphMatchesData());
  TS_RETURN_IF_ERROR(datasets::ValidateMaskSpec(config_.mask, train_.height, train_.width));
  TS_RETURN_IF_ERROR(config_.schedule.Validate());
  TS_ASSIGN_OR_RETURN(optimizer_, Optimizer::Create(config_.optimizer, params_, Device::kCpu));
  mean_image_ = MeanImage(train_);
  datasets::Batcher batcher(train_, config_.batch_size, /*shuffle=*/true, config_.seed, /*drop_last=*/true);
  const int64_t steps_per_epoch = batcher.batches_per_epoch();
  if (steps_per_epoch == 0) {
    return absl::InvalidArgumentError(absl::StrCat("batch size ", config_.batch_size,
                                                   " exceeds the training set (", train_.num_images, ")"));
  }
  LrSchedule schedule = config_.schedule;
  if (schedule.type == "cosine") schedule.total_steps = steps_per_epoch * config_.epochs;

  int64_t start_epoch = 0, start_batch = 0;
  if (config_.resume || config_.eval_only) {
    std::vector<std::string> found = ListCheckpoints(config_.checkpoint_dir);
    if (found.empty()) {
      return absl::NotFoundError(absl::StrCat("--resume/--eval_only: no checkpoint in ", config_.checkpoint_dir));
    }
    TS_ASSIGN_OR_RETURN(CheckpointProto checkpoint, ReadCheckpointFile(found.back()));
    TS_RETURN_IF_ERROR(RestoreCheckpoint(checkpoint, params_, optimizer_.get()));
    start_epoch = checkpoint.epoch();
    start_batch = checkpoint.batch_in_epoch();
    Print("resumed from %s: epoch %lld, batch %lld, step %lld\n", found.back().c_str(),
          static_cast<long long>(start_epoch + 1), static_cast<long long>(start_batch),
          static_cast<long long>(optimizer_->steps()));
    const auto& metadata = checkpoint.metadata();
    for (const auto& [key, value] : {std::pair<std::string, std::string>{"dataset", config_.dataset},
                                     {"mask_size", MaskDescription(config_.mask)},
                                     {"seed", absl::StrCat(config_.seed)}}) {
      auto it = metadata.find(key);
      if (it != metadata.end() && it->second != value) {
        Print("note: the checkpoint was trained with --%s=%s, this run uses %s\n", key.c_str(),
              it->second.c_str(), value.c_str());
      }
    }
  }
  InpaintingResult result;
  const char* clear = isatty(fileno(stdout)) ? "\r\033[K" : "";
  auto print_scores = [&](const std::string& prefix, const InpaintingScores& s) {
    Print("%s%stest masked MSE %s; baselines: mean image %s, copy input %s\n", clear, prefix.c_str(),
          Score(s.model).c_str(), Score(s.mean_image).c_str(), Score(s.copy_input).c_str());
  };
  if (!config_.eval_only && start_epoch >= config_.epochs) {
    Print("the checkpoint has finished %lld epochs, --epochs is %d: nothing left to train; "
          "evaluating it instead\n", static_cast<long long>(start_epoch), config_.epochs);
  }
  if (config_.eval_only || start_epoch >= config_.epochs) {
    TS_ASSIGN_OR_RETURN(result.test, Evaluate());
    print_scores(absl::StrFormat("test loss %.4f, ", result.test.loss), result.test);
    result.steps = optimizer_->steps();
    return result;
  }

  const std::string holes =
      config_.mask.min_size == config_.mask.max_size
          ? absl::StrCat(config_.mask.min_size, "x", config_.mask.min_size, " holes")
          : absl::StrCat("holes with sides of ", config_.mask.min_size, " to ", config_.mask.max_size,
                         " pixels");
  Print("training %s on %s to fill %s: %lld train / %lld test images, %lld parameters, "
        "batch %d, %d threads\n",
        graph_.def().name().c_str(), config_.dataset.c_str(), holes.c_str(),
        static_cast<long long>(train_.num_images),
        static_cast<long long>(test_.num_images), static_cast<long long>(params_.TotalElements()),
        config_.batch_size, CpuThreadPool().num_threads());
  const bool interactive = isatty(fileno(stdout));
  const int64_t size = train_.image_size();
  std::vector<float> images(config_.batch_size * size), labels(config_.batch_size),
      masked(config_.batch_size * size);
  const Shape shape{config_.batch_size, train_.channels, train_.height, train_.width};
  const auto run_start = Clock::now();
  double eval_seconds = 0;
  int64_t images_this_run = 0;
  auto last_print = Clock::now() - std::chrono::seconds(1);

  for (int64_t epoch = start_epoch; epoch < config_.epochs; ++epoch) {
    batcher.SetEpoch(epoch);
    batcher.StartEpoch();
    int64_t batch_index = 0;
    if (epoch == start_epoch && start_batch > 0) {
      batcher.SkipBatches(start_batch);
      batch_index = start_batch;
    }
    double loss_sum = 0;
    int64_t loss_count = 0;
    for (; batch_index < steps_per_epoch; ++batch_index) {
      if (config_.max_steps > 0 && optimizer_->steps() >= config_.max_steps) g_stop_signal.store(-1);
      if (g_stop_signal.load() != 0) {
        TS_RETURN_IF_ERROR(Save(epoch, batch_index));
        Print("\nstopped at epoch %lld, batch %lld, step %lld%s\n", static_cast<long long>(epoch + 1),
              static_cast<long long>(batch_index), static_cast<long long>(optimizer_->steps()),
              config_.checkpoint_dir.empty() ? "" : "; checkpoint saved, continue with --resume");
        result.interrupted = true;
        result.steps = optimizer_->steps();
        result.train_seconds = Seconds(Clock::now() - run_start) - eval_seconds;
        return result;
      }
      batcher.Next(images.data(), labels.data());
      const int64_t step = optimizer_->steps();
      // The holes depend only on (seed, step): a resumed run redraws them.
      datasets::MaskImages(images.data(), config_.batch_size, train_.channels, train_.height,
                           train_.width, config_.mask, datasets::TrainMaskSeed(config_.seed, step),
                           0, masked.data(), nullptr);
      const Tensor masked_tensor = Tensor::FromVector(shape, masked);
      const Tensor target_tensor = Tensor::FromVector(shape, images);
      TS_RETURN_IF_ERROR(executor_.Forward({{"masked", masked_tensor}, {"target", target_tensor}},
                                           /*training=*/true, config_.seed * 1000003 + step));
      TS_ASSIGN_OR_RETURN(float loss, executor_.Loss());
      if (!std::isfinite(loss)) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "training diverged: loss is %g at epoch %d, step %d. Lower the learning rate (--lr=%g now), "
            "or run with --check_numerics to find the first op that overflows",
            loss, epoch + 1, step, config_.schedule.base_lr));
      }
      TS_RETURN_IF_ERROR(executor_.Backward());
      optimizer_->Step(schedule.At(step, steps_per_epoch));
      loss_sum += loss;
      ++loss_count;
      images_this_run += config_.batch_size;
      if (config_.checkpoint_every_steps > 0 && optimizer_->steps() % config_.checkpoint_every_steps == 0) {
        TS_RETURN_IF_ERROR(Save(epoch, batch_index + 1));
      }
      const auto now = Clock::now();
      if (Seconds(now - last_print) >= (interactive ? 0.2 : 10.0) || batch_index + 1 == steps_per_epoch) {
        last_print = now;
        const double elapsed = Seconds(now - run_start) - eval_seconds;
        const double rate = images_this_run / std::max(1e-9, elapsed);
        const int64_t steps_left = (config_.epochs - epoch) * steps_per_epoch - (batch_index + 1);
        Print("%sepoch %lld/%d  step %lld/%lld  loss %.4f  %.0f images/s  ETA %s%s",
              interactive ? "\r\033[K" : "", static_cast<long long>(epoch + 1), config_.epochs,
              static_cast<long long>(batch_index + 1), static_cast<long long>(steps_per_epoch),
              loss_sum / loss_count, rate,
              FormatDuration(steps_left * config_.batch_size / std::max(1e-9, rate)).c_str(),
              interactive ? "" : "\n");
      }
    }
    const auto eval_start = Clock::now();
    TS_ASSIGN_OR_RETURN(result.test, Evaluate());
    eval_seconds += Seconds(Clock::now() - eval_start);
    print_scores(absl::StrFormat("epoch %lld/%d: train loss %.4f, test loss %.4f, ",
                                 static_cast<long long>(epoch + 1), config_.epochs,
                                 loss_sum / std::max<int64_t>(1, loss_count), result.test.loss),
                 result.test);
    TS_RETURN_IF_ERROR(Save(epoch + 1, 0));
  }
  result.steps = optimizer_->steps();
  result.train_seconds = Seconds(Clock::now() - run_start) - eval_seconds;
  Print("done: %lld steps in %s (%s training), test masked MSE %s%s%s%s%s\n",
        static_cast<long long>(result.steps), FormatDuration(Seconds(Clock::now() - run_start)).c_str(),
        FormatDuration(result.train_seconds).c_str(), Score(result.test.model).c_str(),
        config_.out_grid.empty() ? "" : ", grid in ", config_.out_grid.c_str(),
        config_.checkpoint_dir.empty() ? "" : ", checkpoints in ", config_.checkpoint_dir.c_str());
  return result;
}

}  // namespace

absl::StatusOr<InpaintingResult> TrainInpainting(const InpaintingConfig& config) {
  if (config.threads > 0) SetNumCpuThreads(config.threads);
  if (config.batch_size <= 0) return absl::InvalidArgumentError("batch size must be positive");
  if (config.epochs <= 0) return absl::InvalidArgumentError("epochs must be positive");
  if ((config.resume || config.eval_only) && config.checkpoint_dir.empty()) {
    return absl::InvalidArgumentError("--resume and --eval_only need --checkpoint_dir");
  }
  TS_ASSIGN_OR_RETURN(Graph graph, Graph::FromTextFile(config.graph_path));
  TS_ASSIGN_OR_RETURN(datasets::ImageDataset train, LoadDataset(config.dataset, datasets::Split::kTrain));
  TS_ASSIGN_OR_RETURN(datasets::ImageDataset test, LoadDataset(config.dataset, datasets::Split::kTest));
  train = Subset(std::move(train), config.train_images);
  g_stop_signal.store(0);
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  Session session(config, std::move(graph), std::move(train), std::move(test));
  absl::StatusOr<InpaintingResult> result = session.Run();
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  return result;
}

}  // namespace tessera
