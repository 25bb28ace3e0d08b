#include "datasets/transforms.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tessera::datasets {
namespace {

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A small generator of its own, so augmentations are the same with every
// standard library.
class SampleRandom {
 public:
  explicit SampleRandom(uint64_t seed) : state_(seed) {}
  double Uniform(double low, double high) {  // [low, high)
    return low + (high - low) * static_cast<double>(SplitMix64(state_) >> 11) * 0x1.0p-53;
  }
  int64_t Integer(int64_t low, int64_t high) {  // [low, high]
    return low + static_cast<int64_t>(SplitMix64(state_) % static_cast<uint64_t>(high - low + 1));
  }

 private:
  uint64_t state_;
};

// torchvision's Resize(size) on the shorter side keeps the aspect ratio
// (the longer side is truncated, as torchvision does); enlarged further if
// needed so the output fits inside.
void ResizedSize(const TransformConfig& config, int source_width, int source_height,
                 double& scale_x, double& scale_y) {
  const int shorter_target =
      static_cast<int>(std::lround(config.resize_ratio * std::min(config.height, config.width)));
  const int shorter = std::min(source_width, source_height);
  double resized_w, resized_h;
  if (source_width <= source_height) {
    resized_w = shorter_target;
    resized_h = std::floor(static_cast<double>(shorter_target) * source_height / shorter);
  } else {
    resized_h = shorter_target;
    resized_w = std::floor(static_cast<double>(shorter_target) * source_width / shorter);
  }
  const double grow = std::max({1.0, config.width / resized_w, config.height / resized_h});
  resized_w = std::ceil(resized_w * grow - 1e-9);
  resized_h = std::ceil(resized_h * grow - 1e-9);
  scale_x = resized_w / source_width;
  scale_y = resized_h / source_height;
}

// The crop (left, top) of the resized image as a box in the source.
CropBox BoxInResized(const TransformConfig& config, double scale_x, double scale_y, double left,
                     double top) {
  return {left / scale_x, top / scale_y, config.width / scale_x, config.height / scale_y, false};
}

// Filter taps of PIL's antialiased bilinear resampling of [in0, in1) of a
// row of `in_size` pixels to `out_size` pixels (PIL's precompute_coeffs).
struct Taps {
  int max_count = 0;
  std::vector<int> start, count;
  std::vector<float> weights;  // out_size * max_count
};

// Only pixels in [first, last) are read.
Taps ComputeTaps(double in0, double in1, int first, int last, int out_size) {
  const double scale = (in1 - in0) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = filter_scale;  // the triangle filter's support is 1
  Taps taps;
  taps.max_count = static_cast<int>(std::ceil(support)) * 2 + 1;
  taps.start.resize(out_size);
  taps.count.resize(out_size);
  taps.weights.assign(static_cast<size_t>(out_size) * taps.max_count, 0.f);
  for (int x = 0; x < out_size; ++x) {
    const double center = in0 + (x + 0.5) * scale;
    int lo = std::max(static_cast<int>(center - support + 0.5), first);
    int hi = std::min(static_cast<int>(center + support + 0.5), last);
    if (hi <= lo) {  // a box outside the image: take the nearest edge pixel
      lo = std::clamp(static_cast<int>(center), first, last - 1);
      hi = lo + 1;
    }
    hi = std::min(hi, lo + taps.max_count);
    float* w = &taps.weights[static_cast<size_t>(x) * taps.max_count];
    double total = 0;
    for (int i = lo; i < hi; ++i) {
      const double t = std::abs((i - center + 0.5) / filter_scale);
      w[i - lo] = static_cast<float>(t < 1 ? 1 - t : 0);
      total += w[i - lo];
    }
    if (total <= 0) {
      w[0] = 1;
      total = 1;
    }
    for (int i = 0; i < hi - lo; ++i) w[i] = static_cast<float>(w[i] / total);
    taps.start[x] = lo;
    taps.count[x] = hi - lo;
  }
  return taps;
}

}  // namespace

absl::Status TransformConfig::Validate() const {
  if (channels != 1 && channels != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("image datasets give 1 or 3 channels, the graph wants ", channels));
  }
  if (height < 1 || width < 1) return absl::InvalidArgumentError("image size must be positive");
  if (resize_ratio < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("the resize ratio must be at least 1, got ", resize_ratio));
  }
  for (const auto* values : {&mean, &std}) {
    if (values->size() != 1 && values->size() != static_cast<size_t>(channels)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--mean and --std need 1 or ", channels, " values, got ", values->size()));
    }
  }
  for (float s : std) {
    if (!(s > 0)) return absl::InvalidArgumentError("--std values must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>> ParseFloatList(const std::string& text) {
  std::vector<float> values;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    float value;
    if (!absl::SimpleAtof(part, &value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", text, "' is not a comma-separated list of numbers"));
    }
    values.push_back(value);
  }
  return values;
}

uint64_t SampleSeed(uint64_t seed, int64_t epoch, int64_t index) {
  uint64_t state = seed;
  uint64_t mixed = SplitMix64(state);
  state = mixed ^ static_cast<uint64_t>(epoch);
  mixed = SplitMix64(state);
  state = mixed ^ static_cast<uint64_t>(index);
  return SplitMix64(state);
}

CropBox EvalCropBox(const TransformConfig& config, int source_width, int source_height) {
  double scale_x, scale_y;
  ResizedSize(config, source_width, source_height, scale_x, scale_y);
  const double resized_w = std::round(scale_x * source_width);
  const double resized_h = std::round(scale_y * source_height);
  // torchvision's CenterCrop: int(round((size - crop) / 2)).
  return BoxInResized(config, scale_x, scale_y, std::nearbyint((resized_w - config.width) / 2),
                      std::nearbyint((resized_h - config.height) / 2));
}

CropBox TrainCropBox(const TransformConfig& config, int source_width, int source_height,
                     uint64_t sample_seed) {
  SampleRandom random(sample_seed);
  CropBox box;
  switch (config.train_crop) {
    case TrainCrop::kNone:
      box = EvalCropBox(config, source_width, source_height);
      break;
    case TrainCrop::kResizeRandomCrop: {
      double scale_x, scale_y;
      ResizedSize(config, source_width, source_height, scale_x, scale_y);
      const int64_t resized_w = std::llround(scale_x * source_width);
      const int64_t resized_h = std::llround(scale_y * source_height);
      const int64_t top = random.Integer(0, std::max<int64_t>(0, resized_h - config.height));
      const int64_t left = random.Integer(0, std::max<int64_t>(0, resized_w - config.width));
      box = BoxInResized(config, scale_x, scale_y, static_cast<double>(left),
                         static_cast<double>(top));
      break;
    }
    case TrainCrop::kRandomResizedCrop: {  // torchvision's get_params
      const double area = static_cast<double>(source_width) * source_height;
      const double log_low = std::log(3.0 / 4.0), log_high = std::log(4.0 / 3.0);
      bool found = false;
      for (int attempt = 0; attempt < 10 && !found; ++attempt) {
        const double target_area = area * random.Uniform(0.08, 1.0);
        const double aspect = std::exp(random.Uniform(log_low, log_high));
        const int64_t w = std::llround(std::sqrt(target_area * aspect));
        const int64_t h = std::llround(std::sqrt(target_area / aspect));
        if (w > 0 && w <= source_width && h > 0 && h <= source_height) {
          box.y = static_cast<double>(random.Integer(0, source_height - h));
          box.x = static_cast<double>(random.Integer(0, source_width - w));
          box.width = static_cast<double>(w);
          box.height = static_cast<double>(h);
          box.cut_out = true;
          found = true;
        }
      }
      if (!found) {  // the central crop of the allowed aspect ratios
        const double in_ratio = static_cast<double>(source_width) / source_height;
        double w = source_width, h = source_height;
        if (in_ratio < 3.0 / 4.0) {
          h = std::llround(w / (3.0 / 4.0));
        } else if (in_ratio > 4.0 / 3.0) {
          w = std::llround(h * (4.0 / 3.0));
        }
        box = {std::floor((source_width - w) / 2),
               std::floor((source_height - h) / 2),
               w,
               h,
               false,
               true};
      }
      break;
    }
  }
  box.flip = config.flip && config.train_crop != TrainCrop::kNone && random.Uniform(0, 1) < 0.5;
  return box;
}

void ResampleNormalize(const DecodedImage& image, const CropBox& box, const TransformConfig& config,
                       float* out) {
  const int channels = image.channels;
  const int out_w = config.width, out_h = config.height;
  auto bounds = [&](double from, double size, int limit, int& first, int& last) {
    first = 0;
    last = limit;
    if (box.cut_out) {
      first = std::clamp(static_cast<int>(std::floor(from)), 0, limit - 1);
      last = std::clamp(static_cast<int>(std::ceil(from + size)), first + 1, limit);
    }
  };
  int x_first, x_last, y_first, y_last;
  bounds(box.x, box.width, image.width, x_first, x_last);
  bounds(box.y, box.height, image.height, y_first, y_last);
  const Taps horizontal = ComputeTaps(box.x, box.x + box.width, x_first, x_last, out_w);
  const Taps vertical = ComputeTaps(box.y, box.y + box.height, y_first, y_last, out_h);
  int first_row = vertical.start.front(), last_row = first_row + 1;
  for (int y = 0; y < out_h; ++y) {
    first_row = std::min(first_row, vertical.start[y]);
    last_row = std::max(last_row, vertical.start[y] + vertical.count[y]);
  }
  // Horizontal pass over the rows the vertical pass reads: (rows, out_w, C).
  std::vector<float> rows(static_cast<size_t>(last_row - first_row) * out_w * channels);
  for (int y = first_row; y < last_row; ++y) {
    const uint8_t* src = &image.pixels[static_cast<size_t>(y) * image.width * channels];
    float* dst = &rows[static_cast<size_t>(y - first_row) * out_w * channels];
    for (int x = 0; x < out_w; ++x) {
      const float* w = &horizontal.weights[static_cast<size_t>(x) * horizontal.max_count];
      const uint8_t* p = src + static_cast<size_t>(horizontal.start[x]) * channels;
      const int n = horizontal.count[x];
      if (channels == 3) {
        float r = 0, g = 0, b = 0;
        for (int k = 0; k < n; ++k) {
          r += w[k] * p[3 * k];
          g += w[k] * p[3 * k + 1];
          b += w[k] * p[3 * k + 2];
        }
        dst[3 * x] = r;
        dst[3 * x + 1] = g;
        dst[3 * x + 2] = b;
      } else {
        float v = 0;
        for (int k = 0; k < n; ++k) v += w[k] * p[k];
        dst[x] = v;
      }
    }
  }
  // Vertical pass, normalization and the flip, into CHW.
  float scale[3], offset[3];
  for (int c = 0; c < channels; ++c) {
    const float mean = config.mean.size() == 1 ? config.mean[0] : config.mean[c];
    const float std = config.std.size() == 1 ? config.std[0] : config.std[c];
    scale[c] = 1.f / (255.f * std);
    offset[c] = -mean / std;
  }
  const size_t plane = static_cast<size_t>(out_h) * out_w;
  std::vector<float> line(static_cast<size_t>(out_w) * channels);
  for (int y = 0; y < out_h; ++y) {
    const float* w = &vertical.weights[static_cast<size_t>(y) * vertical.max_count];
    std::fill(line.begin(), line.end(), 0.f);
    for (int k = 0; k < vertical.count[y]; ++k) {
      const float* src =
          &rows[static_cast<size_t>(vertical.start[y] + k - first_row) * out_w * channels];
      const float wk = w[k];
      for (size_t i = 0; i < line.size(); ++i) line[i] += wk * src[i];
    }
    for (int c = 0; c < channels; ++c) {
      float* dst = out + c * plane + static_cast<size_t>(y) * out_w;
      for (int x = 0; x < out_w; ++x) {
        const int from = box.flip ? out_w - 1 - x : x;
        dst[x] = line[static_cast<size_t>(from) * channels + c] * scale[c] + offset[c];
      }
    }
  }
}

}  // namespace tessera::datasets
