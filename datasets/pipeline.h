#ifndef TESSERA_DATASETS_PIPELINE_H_
#define TESSERA_DATASETS_PIPELINE_H_

// Batches for a training loop, from memory (InMemoryBatches, the IDX
// datasets) or decoded on the fly by a pool of worker threads
// (ImagePipeline, for image folders and CIFAR).
//
// Both serve the same batches for a given (seed, epoch): the order is
// EpochOrder(), and each image's augmentation depends only on (seed,
// epoch, image index), never on the worker count or timing. Seek(epoch,
// batch) continues a run exactly where it stopped.

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/batcher.h"
#include "datasets/dataset.h"
#include "datasets/image_source.h"
#include "datasets/transforms.h"

namespace tessera::datasets {

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // Shape of one image as served (C, H, W) and the batch size.
  virtual int64_t channels() const = 0;
  virtual int64_t height() const = 0;
  virtual int64_t width() const = 0;
  virtual int64_t batch_size() const = 0;
  virtual int64_t num_images() const = 0;
  // Labels are in [0, num_classes).
  virtual int64_t num_classes() const = 0;
  virtual int64_t batches_per_epoch() const = 0;
  int64_t image_size() const { return channels() * height() * width(); }
  // The next Next() serves batch `batch` of epoch `epoch`.
  virtual void Seek(int64_t epoch, int64_t batch) = 0;
  // Writes the next batch of the epoch (images NCHW, labels as floats) and
  // returns its size; 0 once the epoch is over. Starts at epoch 0, batch 0
  // without a Seek.
  virtual absl::StatusOr<int64_t> Next(float* images, float* labels) = 0;
  // Seconds Next() has spent waiting for batches that were not ready.
  virtual double wait_seconds() const { return 0; }
};

// Serves one epoch of `source` from its first batch into memory, at most
// `max_images` images (0: all): for tools that index a test set (the
// trainers stream instead).
absl::StatusOr<ImageDataset> ReadEpoch(BatchSource& source, int64_t max_images);

// An ImageDataset already in memory, through a Batcher.
class InMemoryBatches final : public BatchSource {
 public:
  // `dataset` must outlive this.
  InMemoryBatches(const ImageDataset& dataset, int64_t batch_size, bool shuffle, uint64_t seed,
                  bool drop_last);
  int64_t channels() const override { return dataset_.channels; }
  int64_t height() const override { return dataset_.height; }
  int64_t width() const override { return dataset_.width; }
  int64_t batch_size() const override { return batcher_.batch_size(); }
  int64_t num_images() const override { return dataset_.num_images; }
  int64_t num_classes() const override { return dataset_.num_classes; }
  int64_t batches_per_epoch() const override { return batcher_.batches_per_epoch(); }
  void Seek(int64_t epoch, int64_t batch) override;
  absl::StatusOr<int64_t> Next(float* images, float* labels) override;

 private:
  const ImageDataset& dataset_;
  Batcher batcher_;
};

struct PipelineConfig {
  int64_t batch_size = 64;
  // Training: shuffled, train transforms, incomplete last batch dropped.
  // Otherwise in order, eval transforms, every image served.
  bool train = true;
  uint64_t seed = 1;
  // Decoding threads; 0 decodes in the thread that calls Next().
  int workers = 2;
  // Ready batches kept ahead of the trainer (0: 2 per worker).
  int prefetch_batches = 0;
  // A file that cannot be read or decoded is replaced by the next good image
  // of the epoch's order (and counted) instead of stopping with an error.
  bool skip_bad_images = false;
  TransformConfig transform;
};

class ImagePipeline final : public BatchSource {
 public:
  // `source` must outlive the pipeline.
  static absl::StatusOr<std::unique_ptr<ImagePipeline>> Create(const ImageSource& source,
                                                               const PipelineConfig& config);
  ~ImagePipeline() override;

  int64_t channels() const override { return config_.transform.channels; }
  int64_t height() const override { return config_.transform.height; }
  int64_t width() const override { return config_.transform.width; }
  int64_t batch_size() const override { return config_.batch_size; }
  int64_t num_images() const override { return source_.size(); }
  int64_t num_classes() const override {
    return static_cast<int64_t>(source_.class_names().size());
  }
  int64_t batches_per_epoch() const override;
  void Seek(int64_t epoch, int64_t batch) override;
  absl::StatusOr<int64_t> Next(float* images, float* labels) override;
  double wait_seconds() const override;
  // Distinct images skipped as unreadable so far (with skip_bad_images).
  int64_t skipped_images() const;

 private:
  struct Batch {
    std::vector<float> images, labels;
    int64_t count = 0;
    absl::Status status;
  };
  ImagePipeline(const ImageSource& source, const PipelineConfig& config);
  int64_t ServedPerEpoch() const;
  // Decodes and transforms batch `batch` of an epoch with order `order`.
  void Produce(int64_t epoch, const std::vector<int64_t>& order, int64_t batch, Batch& out);
  void WorkerLoop();

  const ImageSource& source_;
  const PipelineConfig config_;
  std::vector<std::thread> workers_;

  mutable std::mutex mutex_;
  std::condition_variable work_ready_, batch_ready_;
  bool stopping_ = false;
  bool started_ = false;
  int64_t generation_ = 0;  // bumped by Seek: work of older generations is dropped
  int64_t epoch_ = 0;
  std::shared_ptr<const std::vector<int64_t>> order_;
  int64_t next_to_claim_ = 0, next_to_serve_ = 0;
  std::map<int64_t, Batch> ready_;
  std::vector<Batch> spare_;  // buffers to reuse
  std::set<int64_t> skipped_;
  double wait_seconds_ = 0;
};

}  // namespace tessera::datasets

#endif  // TESSERA_DATASETS_PIPELINE_H_
