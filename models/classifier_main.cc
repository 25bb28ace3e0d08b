#include "models/classifier_main.h"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <new>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "models/image_data.h"
#include "models/trainer.h"
#include "tools/image/canvas.h"
#include "tools/image/png.h"

// Besides the shared flags of models/loop_flags.h:
ABSL_FLAG(int, image_size, 0,
          "Resize images to this square size (0: the dataset's 28; for folder and cifar the "
          "graph's input size).");
ABSL_DECLARE_FLAG(std::string, dataset);
ABSL_FLAG(int, augment_shift, -1,
          "Shift training images by up to this many pixels; 0: off; -1: 2 for mnist (8,000 images "
          "overfit without it), 0 for fashion (60,000 images, where shifting costs accuracy).");
ABSL_FLAG(int, augment_crop, 0,
          "Randomly crop training images at the network's input size (after --image_size): "
          "shift by up to this many pixels, zero-padded.");
ABSL_FLAG(bool, augment_flip, false,
          "Mirror a random half of the training images left-right (clothing, not digits).");
ABSL_FLAG(std::string, curve, "",
          "Write the learning curve to this PNG (and a .csv beside it); none: don't.");

namespace tessera {
namespace {

// Fills in a flag the user left at its "unset" value from the binary's defaults.
template <typename T>
void Default(absl::Flag<T>& flag, const T& unset, const T& value) {
  if (absl::GetFlag(flag) == unset) absl::SetFlag(&flag, value);
}

void WriteCurveCsv(const std::string& path, const TrainingCurve& curve) {
  std::ofstream csv(path);
  csv << "epoch,train_loss,train_accuracy,test_loss,test_accuracy,seconds\n";
  for (const EpochStats& e : curve.epochs) {
    csv << e.epoch << "," << e.train_loss << "," << e.train_accuracy << "," << e.test_loss << ","
        << e.test_accuracy << "," << e.seconds << "\n";
  }
}

// Loss on the left, accuracy on the right; train (running, ~10 points an
// epoch) against test (each epoch end), as on a course's overfitting slide.
void WriteCurvePng(const std::string& path, const std::string& title, const TrainingCurve& curve) {
  PlotSeries train_loss{"train", colors::kBlue, {}}, test_loss{"test", colors::kOrange, {}};
  PlotSeries train_acc{"train", colors::kBlue, {}}, test_acc{"test", colors::kOrange, {}};
  train_loss.points.push_back({0, std::nan("")});
  for (const auto& p : curve.train) {
    train_loss.points.push_back({p.epoch, p.loss});
    train_acc.points.push_back({p.epoch, p.accuracy});
  }
  for (const EpochStats& e : curve.epochs) {
    test_loss.points.push_back({static_cast<double>(e.epoch), e.test_loss});
    test_acc.points.push_back({static_cast<double>(e.epoch), e.test_accuracy});
  }
  absl::StatusOr<Image> loss =
      RenderLinePlot(title + ": loss", "epoch", "loss", {train_loss, test_loss});
  absl::StatusOr<Image> accuracy =
      RenderLinePlot(title + ": accuracy", "epoch", "accuracy", {train_acc, test_acc});
  if (!loss.ok() || !accuracy.ok()) return;
  Image both(loss->width + accuracy->width, std::max(loss->height, accuracy->height), 3, 255);
  for (const Image* part : {&*loss, &*accuracy}) {
    const int x0 = part == &*loss ? 0 : loss->width;
    for (int y = 0; y < part->height; ++y) {
      std::copy(part->pixels.begin() + static_cast<size_t>(y) * part->width * 3,
                part->pixels.begin() + static_cast<size_t>(y + 1) * part->width * 3,
                both.at(x0, y));
    }
  }
  absl::Status status = WritePng(path, both);
  if (!status.ok())
    fprintf(stderr, "cannot write the learning curve: %s\n", std::string(status.message()).c_str());
}

}  // namespace

int RunClassifierMain(int argc, char** argv, const ClassifierDefaults& binary_defaults) {
  absl::SetProgramUsageMessage(absl::StrCat(binary_defaults.program,
                                            ": trains a Tessera classifier graph (default ",
                                            binary_defaults.graph,
                                            ") on MNIST digits, Fashion-MNIST, a folder of "
                                            "photographs or CIFAR."));
  absl::ParseCommandLine(argc, argv);
  // Photographs (folder, cifar) are decoded straight to the graph's input
  // size, by default that of the binary's graph for photographs.
  ClassifierDefaults d = binary_defaults;
  const std::string dataset = absl::GetFlag(FLAGS_dataset);
  if (IsImageDataset(dataset.empty() ? d.dataset : dataset)) {
    if (!d.image_graph.empty()) d.graph = d.image_graph;
    d.image_size = 0;
  }
  Default(FLAGS_image_size, 0, d.image_size);
  Default(FLAGS_curve, std::string(), d.curve);

  TrainConfig config;
  absl::Status flags = LoopConfigFromFlags(d, config);
  if (!flags.ok()) {
    fprintf(stderr, "%s: %s\n", d.program.c_str(), std::string(flags.message()).c_str());
    return 1;
  }
  config.image_size = absl::GetFlag(FLAGS_image_size);
  config.augment_shift = absl::GetFlag(FLAGS_augment_shift);
  if (config.augment_shift < 0) config.augment_shift = config.dataset == "mnist" ? 2 : 0;
  if (IsImageDataset(config.dataset) && config.augment_shift > 0) {
    fprintf(stderr, "%s: --augment_shift is for mnist and fashion; image datasets crop instead\n",
            d.program.c_str());
    return 1;
  }
  config.augment_crop = absl::GetFlag(FLAGS_augment_crop);
  config.augment_flip = absl::GetFlag(FLAGS_augment_flip);
  if (config.augment_crop < 0) {
    fprintf(stderr, "%s: --augment_crop must be >= 0, got %d\n", d.program.c_str(),
            config.augment_crop);
    return 1;
  }
  const std::string curve_flag = absl::GetFlag(FLAGS_curve);
  const std::string curve =
      curve_flag.empty() || curve_flag == "none" ? "" : ResolveUserPath(curve_flag);
  if (!curve.empty()) {
    const std::string title = d.program;
    config.on_epoch_end = [curve, title](const TrainingCurve& history) {
      WriteCurveCsv(curve + ".csv", history);
      WriteCurvePng(curve, title, history);
    };
  }
  absl::StatusOr<TrainResult> result;
  try {
    result = TrainClassifier(config);
  } catch (const std::bad_alloc&) {
    // Outside the kernels (the executor names the node for those): the
    // dataset, held in memory at --image_size (60,000 Fashion-MNIST images
    // at 224x224 are 12 GB), the parameters, evaluation batches.
    result = absl::ResourceExhaustedError(
        "out of host memory outside the kernels (std::bad_alloc); the dataset is held in "
        "memory at --image_size, and a step needs the memory estimate printed at the start: "
        "try a smaller --image_size or --batch_size");
  }
  if (!result.ok()) {
    fprintf(stderr, "\n%s: %s\n", d.program.c_str(),
            std::string(result.status().message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace tessera
