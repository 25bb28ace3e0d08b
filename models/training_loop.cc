#include "models/training_loop.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/backend.h"
#include "core/checkpoint.h"
#include "core/memory_estimate.h"
#include "datasets/batcher.h"
#include "datasets/idx.h"
#include "datasets/mnist_digits.h"

namespace tessera {
namespace {

std::atomic<int> g_stop_signal{0};

void OnStopSignal(int signal) { g_stop_signal.store(signal); }

// SIGINT/SIGTERM ask the loop to save and stop, for the guard's lifetime.
class StopSignalGuard {
 public:
  StopSignalGuard() {
    g_stop_signal.store(0);
    struct sigaction action = {};
    action.sa_handler = OnStopSignal;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
  }
  ~StopSignalGuard() {
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
  }
};

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::string FormatDuration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  return absl::StrFormat("%d:%02d", s / 60, s % 60);
}

}  // namespace

absl::Status LoopConfig::Validate() const {
  if (batch_size <= 0) return absl::InvalidArgumentError("batch size must be positive");
  if (epochs <= 0) return absl::InvalidArgumentError("epochs must be positive");
  if ((resume || eval_only) && checkpoint_dir.empty()) {
    return absl::InvalidArgumentError("--resume and --eval_only need --checkpoint_dir");
  }
  if (device != Device::kCpu && GetBackend(device) == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "--device=", DeviceName(device),
        ": no such device in this process (no GPU, or a build without CUDA: see README, GPU)"));
  }
  return schedule.Validate();
}

absl::StatusOr<datasets::ImageDataset> LoadDataset(const std::string& name, datasets::Split split) {
  if (name == "mnist") return datasets::LoadMnistDigits(datasets::DefaultMnistDigitsDir(), split);
  if (name == "fashion")
    return datasets::LoadFashionMnist(datasets::DefaultFashionMnistDir(), split);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown dataset '", name,
                   "' (known: mnist, fashion; folder, cifar10 and cifar100 for classifiers)"));
}

std::string ResolveUserPath(const std::string& path) {
  if (path.empty() || path[0] == '/' || std::filesystem::exists(path)) return path;
  const char* user_dir = std::getenv("BUILD_WORKING_DIRECTORY");
  return user_dir ? absl::StrCat(user_dir, "/", path) : path;
}

TrainingLoop::TrainingLoop(const LoopConfig& config, const Graph& graph,
                           const datasets::ImageDataset& train)
    : TrainingLoop(config, graph,
                   std::make_unique<datasets::InMemoryBatches>(
                       train, config.batch_size, /*shuffle=*/true, config.seed, /*drop_last=*/true),
                   nullptr) {}

TrainingLoop::TrainingLoop(const LoopConfig& config, const Graph& graph,
                           datasets::BatchSource& train)
    : TrainingLoop(config, graph, nullptr, &train) {}

TrainingLoop::TrainingLoop(const LoopConfig& config, const Graph& graph,
                           std::unique_ptr<datasets::BatchSource> owned,
                           datasets::BatchSource* train)
    : config_(config),
      graph_(graph),
      owned_train_(std::move(owned)),
      train_(train != nullptr ? *train : *owned_train_),
      params_(ParameterStore::Initialize(graph, config.seed, config.device)) {}

void TrainingLoop::Print(const char* format, ...) const {
  if (!config_.verbose || (parallel_ && !parallel_->is_root())) return;
  va_list args;
  va_start(args, format);
  vprintf(format, args);
  va_end(args);
  fflush(stdout);
}

absl::Status TrainingLoop::Save(int64_t epoch, int64_t batch_in_epoch,
                                const std::map<std::string, std::string>& metadata) {
  if (config_.checkpoint_dir.empty() || !parallel_->is_root()) return absl::OkStatus();
  CheckpointProto checkpoint = CaptureCheckpoint(params_, *optimizer_);
  checkpoint.set_graph_name(graph_.def().name());
  checkpoint.set_epoch(epoch);
  checkpoint.set_batch_in_epoch(batch_in_epoch);
  for (const auto& [key, value] : metadata) (*checkpoint.mutable_metadata())[key] = value;
  const std::vector<std::string> before = ListCheckpoints(config_.checkpoint_dir);
  absl::Status saved =
      SaveCheckpointInDir(config_.checkpoint_dir, checkpoint, config_.keep_checkpoints).status();
  if (saved.ok()) return saved;
  // Training stops rather than going on unable to save: hours of steps that
  // no checkpoint could keep would be lost at the next crash or signal.
  return absl::Status(
      saved.code(),
      absl::StrCat(saved.message(), "\ntraining stopped at step ", optimizer_->steps(), "; ",
                   before.empty() ? "no earlier checkpoint"
                                  : absl::StrCat("the last good checkpoint is ", before.back(),
                                                 " (free space, then continue with --resume)")));
}

absl::StatusOr<std::string> TrainingLoop::CheckMemory(int64_t batch) {
  int64_t trainable = 0;
  for (const auto& [name, p] : params_.all()) trainable += p.trainable;
  const int slots = trainable > 0 ? static_cast<int>(optimizer_->State().size() / trainable) : 0;
  Backend& backend = executor_->backend();
  TS_ASSIGN_OR_RETURN(
      MemoryEstimate estimate,
      EstimateTrainingMemory(graph_, batch, slots, backend.block_cache(), fused_update_));
  std::string report = FormatMemoryEstimate(estimate);
  if (!config_.check_memory) return report;
  // Parameters, gradients and optimizer state are allocated already.
  const double held = backend.HeldBytes();
  const AvailableMemory available = backend.Available();
  if (estimate.peak_bytes - held <= available.bytes) return report;
  // The batch to suggest leaves the estimate's 5% tolerance free
  // (models:memory_estimate_test): it leaves out kernels' saved tensors and
  // small buffers, and the allocator no longer keeps a cache above the
  // in-use peak that it could give back.
  TS_ASSIGN_OR_RETURN(int64_t fits,
                      LargestBatchThatFits(graph_, slots, backend.block_cache(),
                                           0.95 * (available.bytes + held), batch, fused_update_));
  std::string largest;
  for (size_t i = 0; i < estimate.at_peak.size() && i < 5; ++i) {
    absl::StrAppend(&largest, i > 0 ? ", " : "", estimate.at_peak[i].what, " ",
                    HumanBytes(estimate.at_peak[i].bytes));
  }
  const int64_t ranks = parallel_->size();
  return absl::ResourceExhaustedError(absl::StrCat(
      "not enough memory for a training step at batch ", config_.batch_size, " on ",
      DeviceName(config_.device), ": it needs an estimated ", HumanBytes(estimate.peak_bytes),
      ranks > 1 ? " per rank" : "", " (", HumanBytes(held), " of it allocated already), and ",
      HumanBytes(available.bytes), " more is available (", available.source,
      ").\nLargest at the peak (", estimate.peak_at, "): ", largest, ".\n",
      fits > 0 ? absl::StrCat("The largest batch that fits: --batch_size=", fits * ranks, ".")
               : "Not even a batch of one fits: a smaller model or --image_size is needed.",
      " (--nocheck_memory trains anyway.)"));
}

absl::StatusOr<LoopResult> TrainingLoop::Run(TrainingTask& task, const std::string& description,
                                             const std::map<std::string, std::string>& metadata) {
  absl::StatusOr<LoopResult> result;
  try {
    result = RunOnThisRank(task, description, metadata);
  } catch (const OutOfMemoryError& e) {
    // Outside a kernel (the executor reports those, naming the node): the
    // optimizer's state, a batch's feeds.
    result = absl::ResourceExhaustedError(e.what());
  }
  if (result.ok() || !parallel_ || parallel_->size() == 1) return result;
  // The other ranks would wait for this one forever.
  if (!distributed::IsAgreed(result.status())) parallel_->Abort(result.status());
  if (!parallel_->is_root()) std::exit(1);  // rank 0 reports the error
  return result;
}

absl::StatusOr<LoopResult> TrainingLoop::RunOnThisRank(
    TrainingTask& task, const std::string& description,
    const std::map<std::string, std::string>& metadata) {
  TS_RETURN_IF_ERROR(config_.Validate());
  TS_ASSIGN_OR_RETURN(executor_, Executor::Create(graph_, params_,
                                                  {config_.device, config_.check_numerics,
                                                   /*release_values=*/true}));
  TS_ASSIGN_OR_RETURN(
      parallel_, distributed::DataParallel::Create(
                     graph_, params_, *executor_,
                     {config_.device, config_.allreduce_bucket_bytes, config_.overlap_allreduce}));
  // Before the first step: a checkpoint directory that cannot be written is
  // better known now than after an epoch of training. Rank 0 saves.
  const bool saves = !config_.checkpoint_dir.empty() && !config_.eval_only;
  TS_RETURN_IF_ERROR(parallel_->Agree(saves && parallel_->is_root()
                                          ? CheckCheckpointDirWritable(config_.checkpoint_dir)
                                          : absl::OkStatus()));
  absl::StatusOr<std::unique_ptr<Optimizer>> optimizer =
      Optimizer::Create(config_.optimizer, params_, config_.device);
  TS_RETURN_IF_ERROR(parallel_->Agree(optimizer.status()));
  optimizer_ = std::move(*optimizer);
  // On one rank each parameter is updated as soon as its gradient is final
  // and the gradient's buffer freed (Optimizer::fused_update): a step holds
  // fewer gradients at once. Data parallel averages the gradients first.
  fused_update_ = parallel_->size() == 1;
  if (fused_update_) executor_->AddHook(optimizer_->fused_update());
  TS_ASSIGN_OR_RETURN(const int64_t shard_batch, parallel_->ShardSize(config_.batch_size));
  // Before the first step allocates anything: does it fit?
  absl::StatusOr<std::string> memory =
      config_.eval_only ? absl::StatusOr<std::string>("") : CheckMemory(shard_batch);
  TS_RETURN_IF_ERROR(parallel_->Agree(memory.status()));
  TS_RETURN_IF_ERROR(parallel_->CheckSameRun(absl::StrCat(
      config_.dataset, "|", config_.epochs, "|", config_.batch_size, "|", config_.optimizer.type,
      "|", config_.optimizer.weight_decay, "|", config_.schedule.type, "|",
      config_.schedule.base_lr, "|", config_.seed, "|", config_.resume, config_.eval_only, "|",
      config_.max_steps, "|", config_.checkpoint_every_steps)));
  if (train_.batch_size() != config_.batch_size) {
    return absl::InternalError("the training batches are not of the configured batch size");
  }
  const int64_t steps_per_epoch = train_.batches_per_epoch();
  if (steps_per_epoch == 0) {
    return parallel_->Agree(absl::InvalidArgumentError(
        absl::StrCat("batch size ", config_.batch_size, " exceeds the training set (",
                     train_.num_images(), ")")));
  }
  LrSchedule schedule = config_.schedule;
  if (schedule.type == "cosine") schedule.total_steps = steps_per_epoch * config_.epochs;

  int64_t start_epoch = 0, start_batch = 0;
  // Rank 0 reads the checkpoint and sends it to the others.
  auto restore = [&]() -> absl::Status {
    std::vector<std::string> found = ListCheckpoints(config_.checkpoint_dir);
    if (found.empty()) {
      return absl::NotFoundError(
          absl::StrCat("--resume/--eval_only: no checkpoint in ", config_.checkpoint_dir));
    }
    TS_ASSIGN_OR_RETURN(CheckpointProto checkpoint, ReadCheckpointFile(found.back()));
    if (absl::Status s = RestoreCheckpoint(checkpoint, params_, optimizer_.get()); !s.ok()) {
      return absl::Status(s.code(),
                          absl::StrCat("cannot resume from ", found.back(), " (written for graph '",
                                       checkpoint.graph_name(), "'; this run trains graph '",
                                       graph_.def().name(), "'): ", s.message()));
    }
    start_epoch = checkpoint.epoch();
    start_batch = checkpoint.batch_in_epoch();
    Print("resumed from %s: epoch %lld, batch %lld, step %lld\n", found.back().c_str(),
          static_cast<long long>(start_epoch + 1), static_cast<long long>(start_batch),
          static_cast<long long>(optimizer_->steps()));
    for (const auto& [key, value] : metadata) {
      auto it = checkpoint.metadata().find(key);
      if (it != checkpoint.metadata().end() && it->second != value) {
        Print("note: the checkpoint was trained with --%s=%s, this run uses %s\n", key.c_str(),
              it->second.c_str(), value.c_str());
      }
    }
    return absl::OkStatus();
  };
  if (config_.resume || config_.eval_only) {
    TS_RETURN_IF_ERROR(parallel_->Agree(parallel_->is_root() ? restore() : absl::OkStatus()));
  }
  TS_RETURN_IF_ERROR(parallel_->BroadcastState(*optimizer_, start_epoch, start_batch));
  LoopResult result;
  if (!config_.eval_only && start_epoch >= config_.epochs) {
    Print(
        "the checkpoint has finished %lld epochs, --epochs is %d: nothing left to train; "
        "evaluating it instead\n",
        static_cast<long long>(start_epoch), config_.epochs);
  }
  if (config_.eval_only || start_epoch >= config_.epochs) {
    if (parallel_->is_root()) {
      TS_ASSIGN_OR_RETURN(std::string scores, task.Evaluate(*executor_));
      Print("%s\n", scores.c_str());
    }
    result.steps = optimizer_->steps();
    return result;
  }

  // Under mpirun a stop signal ends the rank at once (mpirun sends it when
  // another rank is lost; the ranks could not agree on a step to save at).
  std::optional<StopSignalGuard> stop_signals;
  if (parallel_->size() == 1) stop_signals.emplace();
  if (parallel_->size() > 1) distributed::ExitOnStopSignals(config_.checkpoint_dir);
  Print("%s\n%s\n", description.c_str(), memory->c_str());
  const bool interactive = isatty(fileno(stdout));
  const char* clear = interactive ? "\r\033[K" : "";
  std::vector<float> images(config_.batch_size * train_.image_size()), labels(config_.batch_size);
  const double wait_at_start = train_.wait_seconds();
  std::vector<float> shard_images, shard_labels;  // this rank's part of the batch
  const auto run_start = Clock::now();
  double eval_seconds = 0;
  int64_t images_this_run = 0;
  auto last_print = Clock::now() - std::chrono::seconds(1);
  auto stop = [&](int64_t epoch, int64_t batch_index) -> absl::StatusOr<LoopResult> {
    TS_RETURN_IF_ERROR(Save(epoch, batch_index, metadata));
    Print("\nstopped at epoch %lld, batch %lld, step %lld%s\n", static_cast<long long>(epoch + 1),
          static_cast<long long>(batch_index), static_cast<long long>(optimizer_->steps()),
          config_.checkpoint_dir.empty() ? "" : "; checkpoint saved, continue with --resume");
    result.interrupted = true;
    result.steps = optimizer_->steps();
    result.train_seconds = Seconds(Clock::now() - run_start) - eval_seconds;
    if (parallel_->size() > 1) {
      Print("data parallel: %s\n", parallel_->Summary(result.train_seconds).c_str());
    }
    return result;
  };

  for (int64_t epoch = start_epoch; epoch < config_.epochs; ++epoch) {
    int64_t batch_index = epoch == start_epoch ? start_batch : 0;
    train_.Seek(epoch, batch_index);
    double loss_sum = 0;
    int64_t loss_count = 0;
    const auto epoch_start = Clock::now();
    for (; batch_index < steps_per_epoch; ++batch_index) {
      if (config_.max_steps > 0 && optimizer_->steps() >= config_.max_steps)
        g_stop_signal.store(-1);
      if (g_stop_signal.load() != 0) return stop(epoch, batch_index);
      TS_ASSIGN_OR_RETURN(int64_t served, train_.Next(images.data(), labels.data()));
      if (served != config_.batch_size) return absl::InternalError("a training batch came short");
      parallel_->TakeShard(images, labels, shard_images, shard_labels);
      const int64_t step = optimizer_->steps();
      const float lr = schedule.At(step, steps_per_epoch);
      if (fused_update_) optimizer_->BeginFusedStep(lr);
      TS_RETURN_IF_ERROR(executor_->Forward(
          task.TrainFeeds(shard_images, shard_labels, step, config_.device),
          /*training=*/true, parallel_->RankSeed(config_.seed * 1000003 + step)));
      TS_ASSIGN_OR_RETURN(float loss, executor_->Loss());
      TS_ASSIGN_OR_RETURN(loss, parallel_->AverageLoss(loss));
      if (!std::isfinite(loss)) {
        return absl::FailedPreconditionError(
            absl::StrFormat("training diverged: loss is %g at epoch %d, step %d. Lower the "
                            "learning rate (--lr=%g now), "
                            "or run with --check_numerics to find the first op that overflows",
                            loss, epoch + 1, step, config_.schedule.base_lr));
      }
      TS_RETURN_IF_ERROR(executor_->Backward());
      TS_RETURN_IF_ERROR(parallel_->FinishGradients());
      optimizer_->Step(lr);
      TS_RETURN_IF_ERROR(parallel_->BroadcastBuffers());
      TS_RETURN_IF_ERROR(
          task.AfterStep(*executor_, shard_labels, {epoch, batch_index, steps_per_epoch, loss}));
      loss_sum += loss;
      ++loss_count;
      images_this_run += config_.batch_size;
      if (config_.checkpoint_every_steps > 0 &&
          optimizer_->steps() % config_.checkpoint_every_steps == 0) {
        TS_RETURN_IF_ERROR(Save(epoch, batch_index + 1, metadata));
      }
      const auto now = Clock::now();
      if ((config_.print_every_steps > 0
               ? optimizer_->steps() % config_.print_every_steps == 0
               : Seconds(now - last_print) >= (interactive ? 0.2 : 10.0)) ||
          batch_index + 1 == steps_per_epoch) {
        last_print = now;
        const double rate =
            images_this_run / std::max(1e-9, Seconds(now - run_start) - eval_seconds);
        const int64_t steps_left = (config_.epochs - epoch) * steps_per_epoch - (batch_index + 1);
        // Time the loop waited for the data pipeline: 0 if it keeps up.
        Print(
            "%sepoch %lld/%d  step %lld/%lld  loss %.4f  %.0f images/s  data wait %.1f s  ETA %s%s",
            clear, static_cast<long long>(epoch + 1), config_.epochs,
            static_cast<long long>(batch_index + 1), static_cast<long long>(steps_per_epoch),
            loss_sum / loss_count, rate, train_.wait_seconds() - wait_at_start,
            FormatDuration(steps_left * config_.batch_size / std::max(1e-9, rate)).c_str(),
            interactive ? "" : "\n");
      }
    }
    const double train_loss = loss_sum / std::max<int64_t>(1, loss_count);
    const double epoch_seconds = Seconds(Clock::now() - epoch_start);
    const auto eval_start = Clock::now();
    if (parallel_->is_root()) {
      TS_ASSIGN_OR_RETURN(std::string scores, task.Evaluate(*executor_));
      Print("%sepoch %lld/%d: train loss %.4f, %s%s\n", clear, static_cast<long long>(epoch + 1),
            config_.epochs, train_loss, task.EpochTrainMetrics().c_str(), scores.c_str());
    }
    eval_seconds += Seconds(Clock::now() - eval_start);
    TS_RETURN_IF_ERROR(Save(epoch + 1, 0, metadata));
    if (parallel_->is_root()) task.EpochDone(epoch, train_loss, epoch_seconds);
  }
  result.steps = optimizer_->steps();
  result.train_seconds = Seconds(Clock::now() - run_start) - eval_seconds;
  Print("done: %lld steps in %s (%s training)%s%s%s\n", static_cast<long long>(result.steps),
        FormatDuration(Seconds(Clock::now() - run_start)).c_str(),
        FormatDuration(result.train_seconds).c_str(), task.FinalSummary().c_str(),
        config_.checkpoint_dir.empty() ? "" : ", checkpoints in ", config_.checkpoint_dir.c_str());
  if (parallel_->size() > 1)
    Print("data parallel: %s\n", parallel_->Summary(result.train_seconds).c_str());
  return result;
}

}  // namespace tessera
