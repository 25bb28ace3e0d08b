#ifndef TESSERA_DATASETS_BATCHER_H_
#define TESSERA_DATASETS_BATCHER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/dataset.h"

namespace tessera::datasets {

// The order in which epoch `epoch` serves `num_images` images: 0, 1, ... or,
// with `shuffle`, a permutation that depends only on (seed, epoch).
std::vector<int64_t> EpochOrder(int64_t num_images, bool shuffle, uint64_t seed, int64_t epoch);

// Cuts an ImageDataset into minibatches, one epoch at a time.
//
// Shuffling is deterministic: epoch e's order depends only on (seed, e), so a
// run resumed with SetEpoch(e) and SkipBatches(k) sees exactly the batches the
// interrupted run would have. The permutation is computed with std::mt19937_64
// and our own Fisher-Yates (not std::shuffle, whose algorithm differs between
// standard libraries), so it is also the same on every platform.
//
// Typical use:
//   Batcher batcher(dataset, 64, /*shuffle=*/true, seed, /*drop_last=*/false);
//   for (int64_t epoch = 0; epoch < num_epochs; ++epoch) {
//     batcher.StartEpoch();
//     while (int64_t n = batcher.Next(images, labels)) { ... }
//   }
class Batcher {
 public:
  // `dataset` must outlive the Batcher and stay unchanged. `batch_size` must
  // be >= 1 and `dataset` consistent (aborts otherwise: a programming error);
  // use Create() when these come from user input.
  Batcher(const ImageDataset& dataset, int64_t batch_size, bool shuffle, uint64_t seed,
          bool drop_last);

  // Like the constructor, but returns InvalidArgument for a batch size < 1 or
  // a dataset whose vectors do not match its declared sizes.
  static absl::StatusOr<Batcher> Create(const ImageDataset& dataset, int64_t batch_size,
                                        bool shuffle, uint64_t seed, bool drop_last);

  // Makes the next StartEpoch() start epoch `epoch` (for resuming a run).
  void SetEpoch(int64_t epoch);

  // Starts the next epoch (0 first, unless SetEpoch says otherwise): computes
  // its order and rewinds to its first batch.
  void StartEpoch();

  // Copies the next batch into `images` (batch_size * image_size floats, NCHW)
  // and `labels` (batch_size floats, each a class index), and returns how many
  // images it wrote: batch_size, fewer for a final partial batch (unless
  // drop_last), or 0 once the epoch is exhausted. Starts epoch 0 (or the one
  // SetEpoch chose) if no epoch has been started.
  int64_t Next(float* images, float* labels);

  // Skips the next `n` batches of the current epoch without copying them
  // (for resuming mid-epoch); stops at the end of the epoch.
  void SkipBatches(int64_t n);

  // The epoch being iterated, or -1 before the first StartEpoch().
  int64_t epoch() const { return current_epoch_; }
  int64_t batch_size() const { return batch_size_; }
  int64_t batches_per_epoch() const;

  // Dataset indices of the current epoch, in the order they are served.
  const std::vector<int64_t>& order() const { return order_; }

 private:
  void StartEpochIfNeeded();
  // Number of images the current epoch serves in total.
  int64_t ServedPerEpoch() const;

  const ImageDataset* dataset_;
  int64_t batch_size_;
  bool shuffle_;
  uint64_t seed_;
  bool drop_last_;

  int64_t next_epoch_ = 0;
  int64_t current_epoch_ = -1;
  std::vector<int64_t> order_;
  int64_t position_ = 0;  // index into order_ of the next image to serve
};

}  // namespace tessera::datasets

#endif  // TESSERA_DATASETS_BATCHER_H_
