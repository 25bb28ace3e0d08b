#include "datasets/image_source.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace tessera::datasets {
namespace fs = std::filesystem;

std::vector<int64_t> ImageSource::ClassCounts() const {
  std::vector<int64_t> counts(class_names().size(), 0);
  for (int64_t i = 0; i < size(); ++i) ++counts[label(i)];
  return counts;
}

bool IsImageFileName(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (const char* extension : {".jpg", ".jpeg", ".png"}) {
    const size_t n = strlen(extension);
    if (lower.size() > n && lower.compare(lower.size() - n, n, extension) == 0) return true;
  }
  return false;
}

absl::StatusOr<std::unique_ptr<ImageFolder>> ImageFolder::Open(const std::string& dir) {
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    return absl::NotFoundError(absl::StrCat(dir, ": no such folder (an image folder dataset has ",
                                            "one subfolder of images per class)"));
  }
  auto folder = std::make_unique<ImageFolder>();
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    if (it->is_directory(error)) folder->classes_.push_back(it->path().filename().string());
  }
  if (error) return absl::PermissionDeniedError(absl::StrCat(dir, ": ", error.message()));
  if (folder->classes_.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": no class subfolders (expected ", dir, "/<class>/<image files>)"));
  }
  std::sort(folder->classes_.begin(), folder->classes_.end());
  for (size_t c = 0; c < folder->classes_.size(); ++c) {
    const std::string class_dir = absl::StrCat(dir, "/", folder->classes_[c]);
    std::vector<std::string> files;
    for (fs::directory_iterator it(class_dir, error), end; !error && it != end;
         it.increment(error)) {
      const std::string name = it->path().filename().string();
      // Symbolic links are taken even when broken: reading one then fails
      // with an error that names it.
      std::error_code ignored;
      if (!it->is_symlink(ignored) && it->is_directory(ignored)) continue;
      if (IsImageFileName(name)) {
        files.push_back(name);
      } else {
        ++folder->ignored_files_;
      }
    }
    if (error) return absl::PermissionDeniedError(absl::StrCat(class_dir, ": ", error.message()));
    if (files.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          class_dir, ": class folder without images (.jpg, .jpeg or .png); remove it or add some"));
    }
    std::sort(files.begin(), files.end());
    for (const std::string& file : files) {
      folder->paths_.push_back(absl::StrCat(class_dir, "/", file));
      folder->labels_.push_back(static_cast<int32_t>(c));
    }
  }
  return folder;
}

absl::StatusOr<DecodedImage> ImageFolder::Load(int64_t index, int channels) const {
  return ReadImageFile(paths_[index], channels);
}

absl::StatusOr<std::unique_ptr<ImageFolder>> OpenImageFolderSplit(const std::string& data_dir,
                                                                  Split split) {
  std::error_code error;
  std::string eval_dir = absl::StrCat(data_dir, "/val");
  if (!fs::is_directory(eval_dir, error) && fs::is_directory(data_dir + "/test", error)) {
    eval_dir = data_dir + "/test";
  }
  const std::string train_dir = absl::StrCat(data_dir, "/train");
  if (!fs::is_directory(train_dir, error) || !fs::is_directory(eval_dir, error)) {
    return absl::NotFoundError(
        absl::StrCat("--data_dir=", data_dir,
                     ": expected the folders train/<class>/ and val/<class>/ (of .jpg or .png "
                     "files) in it"));
  }
  absl::StatusOr<std::unique_ptr<ImageFolder>> train = ImageFolder::Open(train_dir);
  if (!train.ok() || split == Split::kTrain) return train;
  absl::StatusOr<std::unique_ptr<ImageFolder>> eval = ImageFolder::Open(eval_dir);
  if (!eval.ok()) return eval;
  if ((*eval)->class_names() != (*train)->class_names()) {
    return absl::InvalidArgumentError(
        absl::StrCat(eval_dir, " has the classes [", absl::StrJoin((*eval)->class_names(), ", "),
                     "] but ", train_dir, " has [", absl::StrJoin((*train)->class_names(), ", "),
                     "]: both need the same class folders"));
  }
  return eval;
}

// ---- CIFAR --------------------------------------------------------------

namespace {

const char* const kCifar10Classes[] = {"airplane", "automobile", "bird",  "cat",  "deer",
                                       "dog",      "frog",       "horse", "ship", "truck"};

std::vector<std::string> ReadNames(const std::string& path, int expected) {
  std::ifstream in(path);
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    line = std::string(absl::StripAsciiWhitespace(line));
    if (!line.empty()) names.push_back(line);
  }
  return static_cast<int>(names.size()) == expected ? names : std::vector<std::string>();
}

}  // namespace

absl::StatusOr<std::unique_ptr<CifarSource>> CifarSource::Load(const std::string& data_dir,
                                                               int classes, Split split) {
  if (classes != 10 && classes != 100) {
    return absl::InvalidArgumentError("CIFAR has 10 or 100 classes");
  }
  const bool train = split == Split::kTrain;
  std::vector<std::string> files;
  if (classes == 10) {
    if (train) {
      for (int i = 1; i <= 5; ++i) files.push_back(absl::StrCat("data_batch_", i, ".bin"));
    } else {
      files.push_back("test_batch.bin");
    }
  } else {
    files.push_back(train ? "train.bin" : "test.bin");
  }
  std::string dir = data_dir;
  std::error_code error;
  for (const char* sub : {"cifar-10-batches-bin", "cifar-100-binary"}) {
    if (!fs::exists(absl::StrCat(dir, "/", files[0]), error) &&
        fs::exists(absl::StrCat(data_dir, "/", sub, "/", files[0]), error)) {
      dir = absl::StrCat(data_dir, "/", sub);
    }
  }
  auto source = std::make_unique<CifarSource>();
  source->label_bytes_ = classes == 10 ? 1 : 2;
  const int64_t record = source->label_bytes_ + kCifarImageBytes;
  for (const std::string& name : files) {
    const std::string path = absl::StrCat(dir, "/", name);
    if (!fs::exists(path, error)) {
      return absl::NotFoundError(absl::StrCat(
          path, ": not found. --data_dir should hold CIFAR-", classes,
          "'s binary version (https://www.cs.toronto.edu/~kriz/cifar.html, the \"binary version\" "
          "tarball, extracted)"));
    }
    absl::StatusOr<std::string> bytes = ReadWholeFile(path);
    if (!bytes.ok()) return bytes.status();
    if (bytes->empty() || bytes->size() % record != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", bytes->size(), " bytes is not a whole number of CIFAR-", classes,
                       " records of ", record, " bytes (a truncated file, or the other CIFAR?)"));
    }
    const int64_t count = static_cast<int64_t>(bytes->size()) / record;
    for (int64_t i = 0; i < count; ++i) {
      const int label = static_cast<uint8_t>((*bytes)[i * record + source->label_bytes_ - 1]);
      if (label >= classes) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": record ", i, " has label ", label,
                                                       ", outside [0, ", classes, ")"));
      }
    }
    source->records_ += *bytes;
    source->count_ += count;
  }
  source->classes_ = ReadNames(
      absl::StrCat(dir, "/", classes == 10 ? "batches.meta.txt" : "fine_label_names.txt"), classes);
  if (source->classes_.empty()) {
    for (int c = 0; c < classes; ++c) {
      source->classes_.push_back(classes == 10 ? kCifar10Classes[c] : absl::StrCat("class_", c));
    }
  }
  return source;
}

int32_t CifarSource::label(int64_t index) const {
  const int64_t record = label_bytes_ + kCifarImageBytes;
  return static_cast<uint8_t>(records_[index * record + label_bytes_ - 1]);
}

absl::StatusOr<DecodedImage> CifarSource::Load(int64_t index, int channels) const {
  const int64_t record = label_bytes_ + kCifarImageBytes;
  const uint8_t* planes =
      reinterpret_cast<const uint8_t*>(records_.data()) + index * record + label_bytes_;
  DecodedImage image;
  image.width = image.height = 32;
  image.channels = 3;
  image.pixels.resize(32 * 32 * 3);
  for (int i = 0; i < 32 * 32; ++i) {
    for (int c = 0; c < 3; ++c) image.pixels[3 * i + c] = planes[c * 1024 + i];
  }
  ConvertChannels(image, channels);
  return image;
}

}  // namespace tessera::datasets
