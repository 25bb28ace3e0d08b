#include "datasets/batcher.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace tessera::datasets {
namespace {

absl::Status ValidateArguments(const ImageDataset& dataset, int64_t batch_size) {
  if (batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("Batch size must be at least 1, got ", batch_size));
  }
  if (dataset.num_images < 0 || dataset.image_size() < 0 ||
      dataset.labels.size() != static_cast<size_t>(dataset.num_images) ||
      dataset.images.size() != static_cast<size_t>(dataset.num_images * dataset.image_size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("Inconsistent dataset: ", dataset.num_images, " images of ",
                     dataset.image_size(), " values, but ", dataset.images.size(), " values and ",
                     dataset.labels.size(), " labels stored"));
  }
  return absl::OkStatus();
}

// A uniform integer in [0, bound), bound >= 1. Rejection sampling rather than
// std::uniform_int_distribution, whose algorithm is implementation-defined.
uint64_t UniformBelow(std::mt19937_64& rng, uint64_t bound) {
  // Values below `threshold` would make `r % bound` favour small results.
  const uint64_t threshold = (0 - bound) % bound;
  while (true) {
    const uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

}  // namespace

Batcher::Batcher(const ImageDataset& dataset, int64_t batch_size, bool shuffle, uint64_t seed,
                 bool drop_last)
    : dataset_(&dataset),
      batch_size_(batch_size),
      shuffle_(shuffle),
      seed_(seed),
      drop_last_(drop_last) {
  if (absl::Status status = ValidateArguments(dataset, batch_size); !status.ok()) {
    std::fprintf(stderr, "tessera::datasets::Batcher: %s\n", status.ToString().c_str());
    std::abort();
  }
}

absl::StatusOr<Batcher> Batcher::Create(const ImageDataset& dataset, int64_t batch_size,
                                        bool shuffle, uint64_t seed, bool drop_last) {
  if (absl::Status status = ValidateArguments(dataset, batch_size); !status.ok()) {
    return status;
  }
  return Batcher(dataset, batch_size, shuffle, seed, drop_last);
}

void Batcher::SetEpoch(int64_t epoch) { next_epoch_ = epoch; }

std::vector<int64_t> EpochOrder(int64_t num_images, bool shuffle, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(num_images);
  std::iota(order.begin(), order.end(), int64_t{0});
  if (!shuffle) return order;

  // seed_seq mixes all four words, so nearby seeds and epochs give unrelated
  // streams; its algorithm, like mt19937_64's, is fixed by the standard.
  const uint64_t epoch_bits = static_cast<uint64_t>(epoch);
  std::seed_seq seed_sequence{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                              static_cast<uint32_t>(epoch_bits),
                              static_cast<uint32_t>(epoch_bits >> 32)};
  std::mt19937_64 rng(seed_sequence);
  for (size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[UniformBelow(rng, i)]);
  }
  return order;
}

void Batcher::StartEpoch() {
  current_epoch_ = next_epoch_++;
  position_ = 0;
  order_ = EpochOrder(dataset_->num_images, shuffle_, seed_, current_epoch_);
}

void Batcher::StartEpochIfNeeded() {
  if (current_epoch_ < 0) StartEpoch();
}

int64_t Batcher::batches_per_epoch() const {
  const int64_t n = dataset_->num_images;
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

int64_t Batcher::ServedPerEpoch() const {
  return std::min(batches_per_epoch() * batch_size_, dataset_->num_images);
}

int64_t Batcher::Next(float* images, float* labels) {
  StartEpochIfNeeded();
  const int64_t count = std::min(batch_size_, ServedPerEpoch() - position_);
  if (count <= 0) return 0;
  const int64_t image_size = dataset_->image_size();
  for (int64_t i = 0; i < count; ++i) {
    const int64_t index = order_[position_ + i];
    std::memcpy(images + i * image_size, dataset_->images.data() + index * image_size,
                image_size * sizeof(float));
    labels[i] = static_cast<float>(dataset_->labels[index]);
  }
  position_ += count;
  return count;
}

void Batcher::SkipBatches(int64_t n) {
  StartEpochIfNeeded();
  if (n <= 0) return;
  const int64_t remaining = ServedPerEpoch() - position_;
  // Compare in batches first so that n * batch_size_ cannot overflow.
  position_ += n >= (remaining + batch_size_ - 1) / batch_size_ ? remaining : n * batch_size_;
}

}  // namespace tessera::datasets
