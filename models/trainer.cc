#include "models/trainer.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/checkpoint.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/thread_pool.h"
#include "datasets/augment.h"
#include "datasets/batcher.h"
#include "datasets/resize.h"
#include "datasets/idx.h"
#include "datasets/mnist_digits.h"

namespace tessera {
namespace {

std::atomic<int> g_stop_signal{0};

void OnStopSignal(int signal) { g_stop_signal.store(signal); }

absl::StatusOr<datasets::ImageDataset> LoadDataset(const std::string& name, datasets::Split split) {
  if (name == "mnist") return datasets::LoadMnistDigits(datasets::DefaultMnistDigitsDir(), split);
  if (name == "fashion") return datasets::LoadFashionMnist(datasets::DefaultFashionMnistDir(), split);
  return absl::InvalidArgumentError(absl::StrCat("unknown dataset '", name, "' (known: mnist, fashion)"));
}

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string FormatDuration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

// Everything one run needs, built once.
class Session {
 public:
  Session(const TrainConfig& config, Graph graph, datasets::ImageDataset train,
          datasets::ImageDataset test)
      : config_(config),
        graph_(std::move(graph)),
        train_(std::move(train)),
        test_(std::move(test)),
        params_(ParameterStore::Initialize(graph_, config.seed, config.device)),
        executor_(graph_, params_, {config.device, config.check_numerics}),
        height_(config.image_size > 0 ? config.image_size : train_.height),
        width_(config.image_size > 0 ? config.image_size : train_.width) {}

  absl::Status CheckGraphMatchesData() {
    if (graph_.def().output_size() == 0) {
      return absl::InvalidArgumentError(
          "the graph must list its logits as its first `output` for evaluation");
    }
    TS_ASSIGN_OR_RETURN(Shape image, graph_.InputShape("image", 1));
    const Shape data_shape{1, train_.channels, height_, width_};
    if (image != data_shape) {
      return absl::InvalidArgumentError(absl::StrCat("graph input 'image' is ", ShapeToString(image),
                                                     " per example but the dataset's images are ",
                                                     ShapeToString(data_shape)));
    }
    TS_ASSIGN_OR_RETURN(Shape label, graph_.InputShape("label", 1));
    if (label != Shape{1}) {
      return absl::InvalidArgumentError("graph input 'label' must have shape [-1]");
    }
    return absl::OkStatus();
  }

  absl::StatusOr<TrainResult> Run();

 private:
  struct Eval {
    double loss = 0, accuracy = 0;
  };
  absl::StatusOr<Eval> Evaluate(const datasets::ImageDataset& data);
  absl::Status Save(int64_t epoch, int64_t batch_in_epoch);
  // Copies a batch of dataset images (resized to the network's input size)
  // and labels to the training device.
  std::map<std::string, Tensor> Feeds(const std::vector<float>& images, const std::vector<float>& labels,
                                      int64_t n, const datasets::ImageDataset& data);

  const TrainConfig& config_;
  Graph graph_;
  datasets::ImageDataset train_, test_;
  ParameterStore params_;
  Executor executor_;
  std::unique_ptr<Optimizer> optimizer_;
  const int64_t height_, width_;
};

std::map<std::string, Tensor> Session::Feeds(const std::vector<float>& images,
                                             const std::vector<float>& labels, int64_t n,
                                             const datasets::ImageDataset& data) {
  // Written straight into the tensors: no intermediate vectors.
  Tensor image = Tensor::Empty({n, data.channels, height_, width_});
  if (height_ == data.height && width_ == data.width) {
    std::copy(images.begin(), images.begin() + image.num_elements(), image.data());
  } else {
    datasets::ResizeBilinear(images.data(), n, data.channels, data.height, data.width, image.data(),
                             height_, width_);
  }
  Tensor label = Tensor::Empty({n});
  std::copy(labels.begin(), labels.begin() + n, label.data());
  if (config_.device != Device::kCpu) {
    image = image.CopyTo(config_.device);
    label = label.CopyTo(config_.device);
  }
  return {{"image", image}, {"label", label}};
}

absl::StatusOr<Session::Eval> Session::Evaluate(const datasets::ImageDataset& data) {
  const int64_t batch = 500;
  datasets::Batcher batcher(data, batch, /*shuffle=*/false, 0, /*drop_last=*/false);
  batcher.StartEpoch();
  const int64_t image_size = data.image_size();
  std::vector<float> images(batch * image_size), labels(batch);
  double loss_sum = 0;
  int64_t correct = 0, seen = 0;
  const std::string logits_name = graph_.def().output(0);
  for (int64_t n; (n = batcher.Next(images.data(), labels.data())) > 0;) {
    TS_RETURN_IF_ERROR(executor_.Forward(Feeds(images, labels, n, data), /*training=*/false));
    TS_ASSIGN_OR_RETURN(float loss, executor_.Loss());
    TS_ASSIGN_OR_RETURN(Tensor logits, executor_.Value(logits_name));
    const int64_t classes = logits.dim(1);
    const std::vector<float> z = logits.ToVector();
    for (int64_t i = 0; i < n; ++i) {
      const float* row = z.data() + i * classes;
      const int64_t predicted = std::max_element(row, row + classes) - row;
      correct += predicted == static_cast<int64_t>(labels[i]);
    }
    loss_sum += static_cast<double>(loss) * n;
    seen += n;
  }
  return Eval{loss_sum / std::max<int64_t>(1, seen), static_cast<double>(correct) / std::max<int64_t>(1, seen)};
}

absl::Status Session::Save(int64_t epoch, int64_t batch_in_epoch) {
  if (config_.checkpoint_dir.empty()) return absl::OkStatus();
  CheckpointProto checkpoint = CaptureCheckpoint(params_, *optimizer_);
  checkpoint.set_graph_name(graph_.def().name());
  checkpoint.set_epoch(epoch);
  checkpoint.set_batch_in_epoch(batch_in_epoch);
  (*checkpoint.mutable_metadata())["dataset"] = config_.dataset;
  TS_ASSIGN_OR_RETURN(std::string path,
                      SaveCheckpointInDir(config_.checkpoint_dir, checkpoint, config_.keep_checkpoints));
  return absl::OkStatus();
}

absl::StatusOr<TrainResult> Session::Run() {
  TS_RETURN_IF_ERROR(CheckGraphMatchesData());
  TS_RETURN_IF_ERROR(config_.schedule.Validate());
  TS_ASSIGN_OR_RETURN(optimizer_, Optimizer::Create(config_.optimizer, params_, config_.device));
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
    printf("resumed from %s: epoch %lld, batch %lld, step %lld\n", found.back().c_str(),
           static_cast<long long>(start_epoch + 1), static_cast<long long>(start_batch),
           static_cast<long long>(optimizer_->steps()));
  }
  TrainResult result;
  if (!config_.eval_only && start_epoch >= config_.epochs) {
    printf("the checkpoint has finished %lld epochs, --epochs is %d: nothing left to train; "
           "evaluating it instead\n", static_cast<long long>(start_epoch), config_.epochs);
  }
  if (config_.eval_only || start_epoch >= config_.epochs) {
    TS_ASSIGN_OR_RETURN(Eval test, Evaluate(test_));
    printf("test loss %.4f, test accuracy %.4f\n", test.loss, test.accuracy);
    result.test_accuracy = test.accuracy;
    result.test_loss = test.loss;
    result.steps = optimizer_->steps();
    return result;
  }

  printf("training %s on %s (%lldx%lld): %lld train / %lld test images, %lld parameters, batch %d, %s, "
         "%d threads\n",
         graph_.def().name().c_str(), config_.dataset.c_str(), static_cast<long long>(height_),
         static_cast<long long>(width_), static_cast<long long>(train_.num_images),
         static_cast<long long>(test_.num_images), static_cast<long long>(params_.TotalElements()),
         config_.batch_size, DeviceName(config_.device), CpuThreadPool().num_threads());
  const bool interactive = isatty(fileno(stdout));
  const int64_t image_size = train_.image_size();
  std::vector<float> images(config_.batch_size * image_size), labels(config_.batch_size);
  const auto run_start = Clock::now();
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
    double loss_sum = 0, window_loss = 0;
    int64_t loss_count = 0, correct = 0, window_steps = 0;
    const auto epoch_start = Clock::now();
    for (; batch_index < steps_per_epoch; ++batch_index) {
      if (config_.max_steps > 0 && optimizer_->steps() >= config_.max_steps) g_stop_signal.store(-1);
      if (g_stop_signal.load() != 0) {
        TS_RETURN_IF_ERROR(Save(epoch, batch_index));
        printf("\nstopped at epoch %lld, batch %lld, step %lld%s\n", static_cast<long long>(epoch + 1),
               static_cast<long long>(batch_index), static_cast<long long>(optimizer_->steps()),
               config_.checkpoint_dir.empty() ? "" : "; checkpoint saved, continue with --resume");
        result.interrupted = true;
        result.steps = optimizer_->steps();
        return result;
      }
      batcher.Next(images.data(), labels.data());
      datasets::RandomShift(images.data(), config_.batch_size, train_.channels, train_.height,
                            train_.width, config_.augment_shift, config_.seed * 7919 + optimizer_->steps());
      const int64_t step = optimizer_->steps();
      TS_RETURN_IF_ERROR(executor_.Forward(Feeds(images, labels, config_.batch_size, train_),
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
      TS_ASSIGN_OR_RETURN(Tensor logits, executor_.Value(graph_.def().output(0)));
      {
        const int64_t classes = logits.dim(1);
        const std::vector<float> host = logits.ToVector();
        const float* z = host.data();
        for (int64_t i = 0; i < config_.batch_size; ++i) {
          const float* row = z + i * classes;
          correct += (std::max_element(row, row + classes) - row) == static_cast<int64_t>(labels[i]);
        }
      }
      loss_sum += loss;
      ++loss_count;
      window_loss += loss;
      ++window_steps;
      if (window_steps == std::max<int64_t>(1, steps_per_epoch / 10) || batch_index + 1 == steps_per_epoch) {
        // Accuracy of the window is approximated by the epoch's so far.
        result.curve.train.push_back({epoch + static_cast<double>(batch_index + 1) / steps_per_epoch,
                                      window_loss / window_steps,
                                      static_cast<double>(correct) / (loss_count * config_.batch_size)});
        window_loss = 0;
        window_steps = 0;
      }
      images_this_run += config_.batch_size;
      if (config_.checkpoint_every_steps > 0 && optimizer_->steps() % config_.checkpoint_every_steps == 0) {
        TS_RETURN_IF_ERROR(Save(epoch, batch_index + 1));
      }
      const auto now = Clock::now();
      if (Seconds(now - last_print) >= (interactive ? 0.2 : 10.0) || batch_index + 1 == steps_per_epoch) {
        last_print = now;
        const double elapsed = Seconds(now - run_start);
        const double rate = images_this_run / std::max(1e-9, elapsed);
        const int64_t steps_left = (config_.epochs - epoch) * steps_per_epoch - (batch_index + 1);
        printf("%sepoch %lld/%d  step %lld/%lld  loss %.4f  %.0f images/s  ETA %s%s",
               interactive ? "\r\033[K" : "", static_cast<long long>(epoch + 1), config_.epochs,
               static_cast<long long>(batch_index + 1), static_cast<long long>(steps_per_epoch),
               loss_sum / loss_count, rate,
               FormatDuration(steps_left * config_.batch_size / std::max(1e-9, rate)).c_str(),
               interactive ? "" : "\n");
        fflush(stdout);
      }
    }
    TS_ASSIGN_OR_RETURN(Eval test, Evaluate(test_));
    printf("%sepoch %lld/%d: train loss %.4f, train accuracy %.4f, test loss %.4f, test accuracy %.4f\n",
           interactive ? "\r\033[K" : "", static_cast<long long>(epoch + 1), config_.epochs,
           loss_sum / std::max<int64_t>(1, loss_count),
           static_cast<double>(correct) / std::max<int64_t>(1, loss_count * config_.batch_size), test.loss,
           test.accuracy);
    fflush(stdout);
    TS_RETURN_IF_ERROR(Save(epoch + 1, 0));
    EpochStats stats;
    stats.epoch = static_cast<int>(epoch + 1);
    stats.train_loss = loss_sum / std::max<int64_t>(1, loss_count);
    stats.train_accuracy = static_cast<double>(correct) / std::max<int64_t>(1, loss_count * config_.batch_size);
    stats.test_loss = test.loss;
    stats.test_accuracy = test.accuracy;
    stats.seconds = Seconds(Clock::now() - epoch_start);
    result.curve.epochs.push_back(stats);
    if (config_.on_epoch_end) config_.on_epoch_end(result.curve);
    result.test_accuracy = test.accuracy;
    result.test_loss = test.loss;
  }
  result.steps = optimizer_->steps();
  printf("done: %lld steps in %s, test accuracy %.4f%s%s\n", static_cast<long long>(result.steps),
         FormatDuration(Seconds(Clock::now() - run_start)).c_str(), result.test_accuracy,
         config_.checkpoint_dir.empty() ? "" : ", checkpoints in ", config_.checkpoint_dir.c_str());
  return result;
}

}  // namespace

std::string ResolveUserPath(const std::string& path) {
  if (path.empty() || path[0] == '/' || std::filesystem::exists(path)) return path;
  const char* user_dir = std::getenv("BUILD_WORKING_DIRECTORY");
  return user_dir ? absl::StrCat(user_dir, "/", path) : path;
}

absl::StatusOr<TrainResult> TrainClassifier(const TrainConfig& config) {
  if (config.threads > 0) SetNumCpuThreads(config.threads);
  if (config.batch_size <= 0) return absl::InvalidArgumentError("batch size must be positive");
  if (config.epochs <= 0) return absl::InvalidArgumentError("epochs must be positive");
  if ((config.resume || config.eval_only) && config.checkpoint_dir.empty()) {
    return absl::InvalidArgumentError("--resume and --eval_only need --checkpoint_dir");
  }
  if (config.device != Device::kCpu && GetBackend(config.device) == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("--device=", DeviceName(config.device),
                                                      ": no such device in this process (no GPU, or a build "
                                                      "without CUDA)"));
  }
  std::ifstream graph_file(config.graph_path);
  if (!graph_file) return absl::NotFoundError(absl::StrCat("cannot open graph file ", config.graph_path));
  std::stringstream graph_text;
  graph_text << graph_file.rdbuf();
  TS_ASSIGN_OR_RETURN(GraphDef def, ParseGraphText(graph_text.str(), config.graph_path));
  if (config.image_size > 0) {
    bool found = false;
    for (InputDef& input : *def.mutable_input()) {
      if (input.name() != "image") continue;
      if (input.shape_size() != 4) {
        return absl::InvalidArgumentError("--image_size needs an 'image' input of shape [-1, C, H, W]");
      }
      input.set_shape(2, config.image_size);
      input.set_shape(3, config.image_size);
      found = true;
    }
    if (!found) return absl::InvalidArgumentError("--image_size: the graph has no input named 'image'");
  }
  absl::StatusOr<Graph> built = Graph::Build(def);
  if (!built.ok()) {
    return absl::Status(built.status().code(), absl::StrCat(config.graph_path,
                                                            config.image_size > 0
                                                                ? absl::StrCat(" at --image_size=", config.image_size)
                                                                : "",
                                                            ": ", built.status().message()));
  }
  Graph graph = *std::move(built);
  TS_ASSIGN_OR_RETURN(datasets::ImageDataset train, LoadDataset(config.dataset, datasets::Split::kTrain));
  TS_ASSIGN_OR_RETURN(datasets::ImageDataset test, LoadDataset(config.dataset, datasets::Split::kTest));
  g_stop_signal.store(0);
  struct sigaction action = {};
  action.sa_handler = OnStopSignal;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  Session session(config, std::move(graph), std::move(train), std::move(test));
  absl::StatusOr<TrainResult> result = session.Run();
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  return result;
}

}  // namespace tessera
