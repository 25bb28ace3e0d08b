#ifndef TESSERA_DATASETS_IMAGE_SOURCE_H_
#define TESSERA_DATASETS_IMAGE_SOURCE_H_

// Labelled images that stay in their stored form (compressed files on disk,
// CIFAR's bytes) and are decoded one at a time, by the pipeline's workers
// (datasets/pipeline.h). Two kinds:
//   ImageFolder: DIR/<class>/<file>, torchvision's ImageFolder layout;
//   CIFAR-10 / CIFAR-100 binary batches.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "datasets/dataset.h"
#include "datasets/image_codec.h"

namespace tessera::datasets {

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  virtual int64_t size() const = 0;
  virtual int32_t label(int64_t index) const = 0;
  // Index i is class i.
  virtual const std::vector<std::string>& class_names() const = 0;
  // Decodes image `index` to `channels` (1 or 3). Safe to call from several
  // threads at once. Errors name the file.
  virtual absl::StatusOr<DecodedImage> Load(int64_t index, int channels) const = 0;
  // Images per class, for the summary printed at start.
  std::vector<int64_t> ClassCounts() const;
};

// Files a folder dataset takes (case-insensitive): .jpg .jpeg .png.
bool IsImageFileName(const std::string& name);

class ImageFolder final : public ImageSource {
 public:
  // Lists `dir`/<class>/* (classes: the sorted subfolder names; files sorted
  // by name within each, as torchvision's ImageFolder does; other files are
  // counted in ignored_files()). Errors: `dir` missing or without
  // subfolders, a class folder without images.
  static absl::StatusOr<std::unique_ptr<ImageFolder>> Open(const std::string& dir);

  int64_t size() const override { return static_cast<int64_t>(paths_.size()); }
  int32_t label(int64_t index) const override { return labels_[index]; }
  const std::vector<std::string>& class_names() const override { return classes_; }
  absl::StatusOr<DecodedImage> Load(int64_t index, int channels) const override;
  const std::string& path(int64_t index) const { return paths_[index]; }
  int64_t ignored_files() const { return ignored_files_; }

 private:
  std::vector<std::string> classes_, paths_;
  std::vector<int32_t> labels_;
  int64_t ignored_files_ = 0;
};

// `data_dir`/train and `data_dir`/val (or, if absent, `data_dir`/test),
// which must have the same classes.
absl::StatusOr<std::unique_ptr<ImageFolder>> OpenImageFolderSplit(const std::string& data_dir,
                                                                  Split split);

// CIFAR's binary format: each record is a label byte (CIFAR-100: coarse
// then fine label byte; the fine one is used) and 3,072 bytes of 32x32
// red, green and blue planes. The whole split (150 MB for training) stays
// in memory as bytes.
class CifarSource final : public ImageSource {
 public:
  // `classes` is 10 or 100. CIFAR-10: data_batch_1.bin .. data_batch_5.bin
  // (train) or test_batch.bin; CIFAR-100: train.bin or test.bin; in
  // `data_dir` or its cifar-10-batches-bin / cifar-100-binary subfolder
  // (the tarballs' layout). Class names come from batches.meta.txt /
  // fine_label_names.txt when present. Errors name the file: missing, a
  // size that is not a whole number of records, a label out of range.
  static absl::StatusOr<std::unique_ptr<CifarSource>> Load(const std::string& data_dir, int classes,
                                                           Split split);

  int64_t size() const override { return count_; }
  int32_t label(int64_t index) const override;
  const std::vector<std::string>& class_names() const override { return classes_; }
  absl::StatusOr<DecodedImage> Load(int64_t index, int channels) const override;

 private:
  std::vector<std::string> classes_;
  std::string records_;
  int64_t count_ = 0;
  int label_bytes_ = 1;
};

inline constexpr int64_t kCifarImageBytes = 3 * 32 * 32;

}  // namespace tessera::datasets

#endif  // TESSERA_DATASETS_IMAGE_SOURCE_H_
