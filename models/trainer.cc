#include "models/trainer.h"

#include <algorithm>
#include <cstdio>
#include <memory>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/graph.h"
#include "core/thread_pool.h"
#include "datasets/augment.h"
#include "datasets/batcher.h"
#include "datasets/resize.h"
#include "models/image_data.h"

namespace tessera {
namespace {

// Classification: images (resized, shifted) and labels in; accuracy from
// the graph's first output, the logits.
class ClassifierTask final : public TrainingTask {
 public:
  // `train` and `test` serve images of the same shape; resized to the
  // graph's input here if they are not of it already.
  ClassifierTask(const TrainConfig& config, const Graph& graph, datasets::BatchSource& train,
                 datasets::BatchSource& test)
      : config_(config),
        graph_(graph),
        train_(train),
        test_(test),
        height_(config.image_size > 0 ? config.image_size : train.height()),
        width_(config.image_size > 0 ? config.image_size : train.width()) {}

  absl::Status CheckGraphMatchesData() const {
    if (graph_.def().output_size() == 0) {
      return absl::InvalidArgumentError(
          "the graph must list its logits as its first `output` for evaluation");
    }
    TS_ASSIGN_OR_RETURN(Shape image, graph_.InputShape("image", 1));
    const Shape data_shape{1, train_.channels(), height_, width_};
    if (image != data_shape) {
      return absl::InvalidArgumentError(
          absl::StrCat("graph input 'image' is ", ShapeToString(image),
                       " per example but the dataset's images are ", ShapeToString(data_shape)));
    }
    TS_ASSIGN_OR_RETURN(Shape label, graph_.InputShape("label", 1));
    if (label != Shape{1}) {
      return absl::InvalidArgumentError("graph input 'label' must have shape [-1]");
    }
    // A label the logits have no column for would only fail inside the
    // loss, mid-epoch; fewer classes than logits is fine (unused outputs).
    TS_ASSIGN_OR_RETURN(auto shapes, graph_.InferShapes(1));
    const Shape& logits = shapes.at(graph_.def().output(0));
    if (logits.size() != 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("the graph's first output '", graph_.def().output(0), "' is ",
                       ShapeToString(logits), ", not [batch, classes]"));
    }
    const int64_t classes = std::max(train_.num_classes(), test_.num_classes());
    if (logits[1] < classes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the dataset has ", classes, " classes but the graph's logits '", graph_.def().output(0),
          "' have ", logits[1], " columns; give the graph's last layer ", classes, " outputs"));
    }
    return absl::OkStatus();
  }

  std::string Description(int64_t parameters) const {
    return absl::StrFormat(
        "training %s on %s (%dx%d): %d train / %d test images, %d parameters, batch %d, %s, %d "
        "threads",
        graph_.def().name(), config_.dataset, height_, width_, train_.num_images(),
        test_.num_images(), parameters, config_.batch_size, DeviceName(config_.device),
        CpuThreadPool().num_threads());
  }

  std::map<std::string, Tensor> TrainFeeds(std::vector<float>& images,
                                           const std::vector<float>& labels, int64_t step,
                                           Device device) override {
    // labels.size(): this rank's share of the batch under mpirun.
    const int64_t n = static_cast<int64_t>(labels.size());
    datasets::RandomShift(images.data(), n, train_.channels(), train_.height(), train_.width(),
                          config_.augment_shift, config_.seed * 7919 + step);
    return Feeds(images, labels, n, train_, device,
                 /*augment=*/config_.augment_crop > 0 || config_.augment_flip,
                 config_.seed * 7927 + step);
  }

  absl::Status AfterStep(const Executor& executor, const std::vector<float>& labels,
                         const StepInfo& info) override {
    TS_ASSIGN_OR_RETURN(Tensor logits, executor.Value(graph_.def().output(0)));
    correct_ += CountCorrect(logits, labels, static_cast<int64_t>(labels.size()));
    seen_ += static_cast<int64_t>(labels.size());
    window_loss_ += info.loss;
    ++window_steps_;
    if (window_steps_ == std::max<int64_t>(1, info.steps_per_epoch / 10) ||
        info.batch_in_epoch + 1 == info.steps_per_epoch) {
      // Accuracy of the window is approximated by the epoch's so far.
      curve_.train.push_back(
          {info.epoch + static_cast<double>(info.batch_in_epoch + 1) / info.steps_per_epoch,
           window_loss_ / window_steps_, TrainAccuracy()});
      window_loss_ = 0;
      window_steps_ = 0;
    }
    return absl::OkStatus();
  }

  std::string EpochTrainMetrics() const override {
    return absl::StrFormat("train accuracy %.4f, ", TrainAccuracy());
  }

  absl::StatusOr<std::string> Evaluate(Executor& executor) override {
    const int64_t batch = test_.batch_size();
    test_.Seek(0, 0);
    std::vector<float> images(batch * test_.image_size()), labels(batch);
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    while (true) {
      TS_ASSIGN_OR_RETURN(int64_t n, test_.Next(images.data(), labels.data()));
      if (n == 0) break;
      TS_RETURN_IF_ERROR(
          executor.Forward(Feeds(images, labels, n, test_, executor.device(), /*augment=*/false, 0),
                           /*training=*/false));
      TS_ASSIGN_OR_RETURN(float loss, executor.Loss());
      TS_ASSIGN_OR_RETURN(Tensor logits, executor.Value(graph_.def().output(0)));
      correct += CountCorrect(logits, labels, n);
      loss_sum += static_cast<double>(loss) * n;
      seen += n;
    }
    test_loss_ = loss_sum / std::max<int64_t>(1, seen);
    test_accuracy_ = static_cast<double>(correct) / std::max<int64_t>(1, seen);
    return absl::StrFormat("test loss %.4f, test accuracy %.4f", test_loss_, test_accuracy_);
  }

  void EpochDone(int64_t epoch, double train_loss, double train_seconds) override {
    EpochStats stats;
    stats.epoch = static_cast<int>(epoch + 1);
    stats.train_loss = train_loss;
    stats.train_accuracy = TrainAccuracy();
    stats.test_loss = test_loss_;
    stats.test_accuracy = test_accuracy_;
    stats.seconds = train_seconds;
    curve_.epochs.push_back(stats);
    if (config_.on_epoch_end) config_.on_epoch_end(curve_);
    correct_ = seen_ = 0;
  }

  std::string FinalSummary() const override {
    return absl::StrFormat(", test accuracy %.4f", test_accuracy_);
  }

  double test_loss() const { return test_loss_; }
  double test_accuracy() const { return test_accuracy_; }
  const TrainingCurve& curve() const { return curve_; }

 private:
  double TrainAccuracy() const {
    return static_cast<double>(correct_) / std::max<int64_t>(1, seen_);
  }

  static int64_t CountCorrect(const Tensor& logits, const std::vector<float>& labels, int64_t n) {
    const int64_t classes = logits.dim(1);
    const std::vector<float> z = logits.ToVector();
    int64_t correct = 0;
    for (int64_t i = 0; i < n; ++i) {
      const float* row = z.data() + i * classes;
      correct += (std::max_element(row, row + classes) - row) == static_cast<int64_t>(labels[i]);
    }
    return correct;
  }

  // A batch of dataset images (resized to the network's input size, then
  // randomly cropped and flipped if `augment`) and labels, on `device`.
  // Written straight into the tensors.
  std::map<std::string, Tensor> Feeds(const std::vector<float>& images,
                                      const std::vector<float>& labels, int64_t n,
                                      const datasets::BatchSource& data, Device device,
                                      bool augment, uint64_t augment_seed) const {
    Tensor image = Tensor::Empty({n, data.channels(), height_, width_});
    if (height_ == data.height() && width_ == data.width()) {
      std::copy(images.begin(), images.begin() + image.num_elements(), image.data());
    } else {
      datasets::ResizeBilinear(images.data(), n, data.channels(), data.height(), data.width(),
                               image.data(), height_, width_);
    }
    if (augment) {
      datasets::RandomCropAndFlip(image.data(), n, data.channels(), height_, width_,
                                  config_.augment_crop, config_.augment_flip, augment_seed);
    }
    Tensor label = Tensor::Empty({n});
    std::copy(labels.begin(), labels.begin() + n, label.data());
    if (device != Device::kCpu) {
      image = image.CopyTo(device);
      label = label.CopyTo(device);
    }
    return {{"image", image}, {"label", label}};
  }

  const TrainConfig& config_;
  const Graph& graph_;
  datasets::BatchSource& train_;
  datasets::BatchSource& test_;
  const int64_t height_, width_;
  int64_t correct_ = 0, seen_ = 0;  // this epoch's training predictions
  double window_loss_ = 0;
  int64_t window_steps_ = 0;
  double test_loss_ = 0, test_accuracy_ = 0;
  TrainingCurve curve_;
};

// An inference graph (e.g. an imported .onnx) made trainable: its one
// input becomes "image", and a softmax cross-entropy of its first output
// against a new "label" input becomes the loss.
absl::Status MakeClassifierTrainable(GraphDef& def) {
  if (def.output_size() == 0)
    return absl::InvalidArgumentError("the graph has no loss and no output");
  bool has_image = false;
  for (const InputDef& input : def.input()) has_image |= input.name() == "image";
  if (!has_image && def.input_size() == 1) {
    const std::string old_name = def.input(0).name();
    def.mutable_input(0)->set_name("image");
    for (NodeDef& node : *def.mutable_node()) {
      for (std::string& in : *node.mutable_input()) {
        if (in == old_name) in = "image";
      }
    }
  }
  InputDef* label = def.add_input();
  label->set_name("label");
  label->add_shape(-1);
  NodeDef* loss = def.add_node();
  loss->set_name("classifier_loss");
  loss->set_op("softmax_cross_entropy");
  loss->add_input(def.output(0));
  loss->add_input("label");
  def.set_loss(loss->name());
  return absl::OkStatus();
}

// The graph at `config.graph_path`, its "image" input resized to
// --image_size if given.
absl::StatusOr<Graph> LoadGraph(const TrainConfig& config) {
  TS_ASSIGN_OR_RETURN(GraphDef def, ReadGraphTextFile(config.graph_path));
  if (def.loss().empty()) TS_RETURN_IF_ERROR(MakeClassifierTrainable(def));
  if (config.image_size > 0) {
    bool found = false;
    for (InputDef& input : *def.mutable_input()) {
      if (input.name() != "image") continue;
      if (input.shape_size() != 4) {
        return absl::InvalidArgumentError(
            "--image_size needs an 'image' input of shape [-1, C, H, W]");
      }
      input.set_shape(2, config.image_size);
      input.set_shape(3, config.image_size);
      found = true;
    }
    if (!found)
      return absl::InvalidArgumentError("--image_size: the graph has no input named 'image'");
  }
  absl::StatusOr<Graph> built = Graph::Build(def);
  if (!built.ok()) {
    return absl::Status(
        built.status().code(),
        absl::StrCat(
            config.graph_path,
            config.image_size > 0 ? absl::StrCat(" at --image_size=", config.image_size) : "", ": ",
            built.status().message()));
  }
  return built;
}

}  // namespace

absl::StatusOr<TrainResult> TrainClassifier(const TrainConfig& config) {
  if (config.threads > 0) SetNumCpuThreads(config.threads);
  TS_RETURN_IF_ERROR(config.Validate());
  TS_ASSIGN_OR_RETURN(Graph graph, LoadGraph(config));
  // IDX datasets in memory, or image datasets decoded to the graph's input.
  datasets::ImageDataset train, test;
  ImageData train_images, test_images;
  std::unique_ptr<datasets::BatchSource> train_batches, test_batches;
  if (IsImageDataset(config.dataset)) {
    TS_ASSIGN_OR_RETURN(Shape input, graph.InputShape("image", 1));
    if (input.size() != 4) return absl::InvalidArgumentError("graph input 'image' must be NCHW");
    const auto [channels, height, width] = std::tuple{
        static_cast<int>(input[1]), static_cast<int>(input[2]), static_cast<int>(input[3])};
    TS_ASSIGN_OR_RETURN(train_images, OpenImageData(config, datasets::Split::kTrain, channels,
                                                    height, width, config.batch_size));
    TS_ASSIGN_OR_RETURN(test_images, OpenImageData(config, datasets::Split::kTest, channels, height,
                                                   width, config.batch_size));
    if (config.verbose) {
      printf("%s\n%s\n", train_images.Summary("train").c_str(), test_images.Summary("val").c_str());
    }
  } else {
    TS_ASSIGN_OR_RETURN(train, LoadDataset(config.dataset, datasets::Split::kTrain));
    TS_ASSIGN_OR_RETURN(test, LoadDataset(config.dataset, datasets::Split::kTest));
    train_batches = std::make_unique<datasets::InMemoryBatches>(
        train, config.batch_size, /*shuffle=*/true, config.seed, /*drop_last=*/true);
    test_batches = std::make_unique<datasets::InMemoryBatches>(test, 500, /*shuffle=*/false, 0,
                                                               /*drop_last=*/false);
  }
  datasets::BatchSource& train_source = train_batches ? *train_batches : *train_images.batches;
  datasets::BatchSource& test_source = test_batches ? *test_batches : *test_images.batches;
  ClassifierTask task(config, graph, train_source, test_source);
  TS_RETURN_IF_ERROR(task.CheckGraphMatchesData());
  TrainingLoop loop(config, graph, train_source);
  TS_ASSIGN_OR_RETURN(LoopResult run,
                      loop.Run(task, task.Description(loop.params().TotalElements()),
                               {{"dataset", config.dataset}}));
  TrainResult result;
  result.steps = run.steps;
  result.interrupted = run.interrupted;
  result.test_accuracy = task.test_accuracy();
  result.test_loss = task.test_loss();
  result.curve = task.curve();
  if (train_images.batches && train_images.batches->skipped_images() > 0 && config.verbose) {
    printf("skipped %lld unreadable training images (--skip_bad_images)\n",
           static_cast<long long>(train_images.batches->skipped_images()));
  }
  return result;
}

}  // namespace tessera
