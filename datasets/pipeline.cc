#include "datasets/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace tessera::datasets {

InMemoryBatches::InMemoryBatches(const ImageDataset& dataset, int64_t batch_size, bool shuffle,
                                 uint64_t seed, bool drop_last)
    : dataset_(dataset), batcher_(dataset, batch_size, shuffle, seed, drop_last) {}

void InMemoryBatches::Seek(int64_t epoch, int64_t batch) {
  batcher_.SetEpoch(epoch);
  batcher_.StartEpoch();
  batcher_.SkipBatches(batch);
}

absl::StatusOr<ImageDataset> ReadEpoch(BatchSource& source, int64_t max_images) {
  int64_t count = source.num_images();
  if (max_images > 0) count = std::min(count, max_images);
  ImageDataset data;
  data.channels = source.channels();
  data.height = source.height();
  data.width = source.width();
  data.num_classes = static_cast<int>(source.num_classes());
  std::vector<float> images(source.batch_size() * source.image_size());
  std::vector<float> labels(source.batch_size());
  source.Seek(0, 0);
  while (data.num_images < count) {
    absl::StatusOr<int64_t> served = source.Next(images.data(), labels.data());
    if (!served.ok()) return served.status();
    if (*served == 0) break;
    const int64_t take = std::min(*served, count - data.num_images);
    data.images.insert(data.images.end(), images.begin(),
                       images.begin() + take * source.image_size());
    for (int64_t i = 0; i < take; ++i) data.labels.push_back(static_cast<int32_t>(labels[i]));
    data.num_images += take;
  }
  return data;
}

absl::StatusOr<int64_t> InMemoryBatches::Next(float* images, float* labels) {
  return batcher_.Next(images, labels);
}

absl::StatusOr<std::unique_ptr<ImagePipeline>> ImagePipeline::Create(const ImageSource& source,
                                                                     const PipelineConfig& config) {
  if (config.batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("batch size must be at least 1, got ", config.batch_size));
  }
  if (config.workers < 0 || config.workers > 256) {
    return absl::InvalidArgumentError(
        absl::StrCat("--workers must be in [0, 256], got ", config.workers));
  }
  if (source.size() == 0) return absl::InvalidArgumentError("the dataset has no images");
  if (absl::Status status = config.transform.Validate(); !status.ok()) return status;
  return std::unique_ptr<ImagePipeline>(new ImagePipeline(source, config));
}

ImagePipeline::ImagePipeline(const ImageSource& source, const PipelineConfig& config)
    : source_(source), config_(config) {
  for (int i = 0; i < config_.workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ImagePipeline::~ImagePipeline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

int64_t ImagePipeline::batches_per_epoch() const {
  const int64_t n = source_.size(), b = config_.batch_size;
  return config_.train ? n / b : (n + b - 1) / b;
}

int64_t ImagePipeline::ServedPerEpoch() const {
  return std::min(batches_per_epoch() * config_.batch_size, source_.size());
}

void ImagePipeline::Seek(int64_t epoch, int64_t batch) {
  auto order = std::make_shared<const std::vector<int64_t>>(
      EpochOrder(source_.size(), config_.train, config_.seed, epoch));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ++generation_;
    epoch_ = epoch;
    order_ = std::move(order);
    next_to_claim_ = next_to_serve_ = std::clamp<int64_t>(batch, 0, batches_per_epoch());
    for (auto& [index, ready] : ready_) spare_.push_back(std::move(ready));
    ready_.clear();
    started_ = true;
  }
  work_ready_.notify_all();
}

void ImagePipeline::Produce(int64_t epoch, const std::vector<int64_t>& order, int64_t batch,
                            Batch& out) {
  const TransformConfig& transform = config_.transform;
  const int64_t first = batch * config_.batch_size;
  out.count = std::min(config_.batch_size, ServedPerEpoch() - first);
  out.images.resize(config_.batch_size * transform.output_size());
  out.labels.resize(config_.batch_size);
  out.status = absl::OkStatus();
  const int64_t n = static_cast<int64_t>(order.size());
  for (int64_t i = 0; i < out.count; ++i) {
    int64_t index = order[first + i];
    absl::StatusOr<DecodedImage> image = source_.Load(index, transform.channels);
    // A bad image is replaced by the next good one in the epoch's order, so
    // the batch (and every later one) is the same whichever worker made it.
    for (int64_t k = 1; !image.ok() && config_.skip_bad_images && k < n; ++k) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        skipped_.insert(index);
      }
      index = order[(first + i + k) % n];
      image = source_.Load(index, transform.channels);
    }
    if (!image.ok()) {
      out.status =
          absl::Status(image.status().code(),
                       config_.skip_bad_images
                           ? absl::StrCat("no image of the dataset could be read; the last error: ",
                                          image.status().message())
                           : absl::StrCat(image.status().message(),
                                          " (--skip_bad_images skips such files and counts them)"));
      return;
    }
    const CropBox box = config_.train ? TrainCropBox(transform, image->width, image->height,
                                                     SampleSeed(config_.seed, epoch, index))
                                      : EvalCropBox(transform, image->width, image->height);
    ResampleNormalize(*image, box, transform, out.images.data() + i * transform.output_size());
    out.labels[i] = static_cast<float>(source_.label(index));
  }
}

void ImagePipeline::WorkerLoop() {
  const int64_t capacity =
      config_.prefetch_batches > 0 ? config_.prefetch_batches : 2 * config_.workers;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    work_ready_.wait(lock, [&] {
      return stopping_ || (started_ && next_to_claim_ < batches_per_epoch() &&
                           next_to_claim_ < next_to_serve_ + capacity);
    });
    if (stopping_) return;
    const int64_t batch = next_to_claim_++;
    const int64_t generation = generation_, epoch = epoch_;
    std::shared_ptr<const std::vector<int64_t>> order = order_;
    Batch out;
    if (!spare_.empty()) {
      out = std::move(spare_.back());
      spare_.pop_back();
    }
    lock.unlock();
    Produce(epoch, *order, batch, out);
    lock.lock();
    if (generation == generation_) {
      ready_[batch] = std::move(out);
      batch_ready_.notify_all();
    } else {
      spare_.push_back(std::move(out));
    }
  }
}

absl::StatusOr<int64_t> ImagePipeline::Next(float* images, float* labels) {
  bool started;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    started = started_;
  }
  if (!started) Seek(0, 0);
  Batch batch;
  int64_t index;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    index = next_to_serve_;
    if (index >= batches_per_epoch()) return 0;
    if (workers_.empty()) {
      std::shared_ptr<const std::vector<int64_t>> order = order_;
      const int64_t epoch = epoch_;
      lock.unlock();
      Produce(epoch, *order, index, batch);
      lock.lock();
    } else {
      if (ready_.count(index) == 0) {
        const auto start = std::chrono::steady_clock::now();
        batch_ready_.wait(lock, [&] { return ready_.count(index) > 0; });
        wait_seconds_ +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      }
      batch = std::move(ready_[index]);
      ready_.erase(index);
    }
    ++next_to_serve_;
  }
  work_ready_.notify_all();
  if (!batch.status.ok()) return batch.status;
  const int64_t count = batch.count;
  std::memcpy(images, batch.images.data(), count * image_size() * sizeof(float));
  std::memcpy(labels, batch.labels.data(), count * sizeof(float));
  {
    std::lock_guard<std::mutex> lock(mutex_);
    spare_.push_back(std::move(batch));
  }
  return count;
}

double ImagePipeline::wait_seconds() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return wait_seconds_;
}

int64_t ImagePipeline::skipped_images() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return static_cast<int64_t>(skipped_.size());
}

}  // namespace tessera::datasets
