#include "core/initializers.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "core/npy.h"

namespace tessera {
namespace {

struct Fans {
  double in = 1, out = 1;
};

Fans ComputeFans(const Shape& shape) {
  Fans fans;
  if (shape.empty()) return fans;
  if (shape.size() == 1) {
    fans.in = fans.out = static_cast<double>(shape[0]);
    return fans;
  }
  double receptive = 1;
  for (size_t i = 2; i < shape.size(); ++i) receptive *= static_cast<double>(shape[i]);
  fans.out = static_cast<double>(shape[0]) * receptive;
  fans.in = static_cast<double>(shape[1]) * receptive;
  return fans;
}

}  // namespace

absl::Status ValidateParameter(const ParameterDef& param) {
  auto fail = [&](const std::string& problem) {
    return absl::InvalidArgumentError(absl::StrCat("parameter '", param.name(), "': ", problem));
  };
  for (int64_t d : param.shape()) {
    if (d <= 0) return fail(absl::StrCat("dimension ", d, " is not positive"));
  }
  // 2^31 floats (8 GiB) per parameter: far beyond any model here, and small
  // enough that allocating it cannot overflow.
  const Shape shape(param.shape().begin(), param.shape().end());
  const int64_t elements = CheckedNumElements(shape);
  if (elements < 0 || elements > kMaxDimension) {
    return fail(
        absl::StrCat("shape ", ShapeToString(shape), " is too large (at most 2^31 values)"));
  }
  const InitializerDef& init = param.init();
  const std::string& type = init.type();
  if (type.empty() || type == "constant") return absl::OkStatus();
  if (type == "uniform") {
    if (!(init.low() < init.high())) {
      return fail(absl::StrCat("uniform initializer needs low < high, got low ", init.low(),
                               " high ", init.high()));
    }
    return absl::OkStatus();
  }
  if (type == "normal") {
    if (!(init.stddev() > 0)) return fail("normal initializer needs stddev > 0");
    return absl::OkStatus();
  }
  if (type == "values") {
    if (init.values_size() != elements) {
      return fail(absl::StrCat("values initializer has ", init.values_size(), " values, shape ",
                               ShapeToString(shape), " needs ", elements));
    }
    return absl::OkStatus();
  }
  if (type == "npy") {
    if (init.file().empty()) return fail("npy initializer needs a file");
    absl::StatusOr<Tensor> file = ReadNpy(init.file());
    if (!file.ok()) return fail(std::string(file.status().message()));
    if (file->shape() != shape) {
      return fail(absl::StrCat(init.file(), " has shape ", ShapeToString(file->shape()),
                               ", the parameter ", ShapeToString(shape)));
    }
    return absl::OkStatus();
  }
  if (type == "xavier_uniform" || type == "xavier_normal" || type == "he_uniform" ||
      type == "he_normal") {
    if (init.gain() < 0) return fail("gain must not be negative");
    if (param.shape_size() < 2) {
      return fail(absl::StrCat(type, " needs a weight of rank >= 2 to know its fans"));
    }
    return absl::OkStatus();
  }
  return fail(absl::StrCat("unknown initializer '", type,
                           "' (known: constant, uniform, normal, xavier_uniform, xavier_normal, "
                           "he_uniform, he_normal, values, npy)"));
}

Tensor InitializeParameter(const ParameterDef& param, std::mt19937_64& rng) {
  const Shape shape(param.shape().begin(), param.shape().end());
  const InitializerDef& init = param.init();
  const std::string& type = init.type();
  if (type == "values") {
    return Tensor::FromVector(shape,
                              std::vector<float>(init.values().begin(), init.values().end()));
  }
  if (type == "npy") {
    // ValidateParameter has read this file; one changed since is not worth
    // an error path through every caller.
    absl::StatusOr<Tensor> file = ReadNpy(init.file());
    if (!file.ok() || file->shape() != shape) {
      fprintf(stderr, "parameter '%s': %s changed after the graph was built\n",
              param.name().c_str(), init.file().c_str());
      abort();
    }
    return *std::move(file);
  }
  std::vector<float> values(NumElements(shape));
  const Fans fans = ComputeFans(shape);
  auto fill_uniform = [&](double low, double high) {
    std::uniform_real_distribution<double> dist(low, high);
    for (float& v : values) v = static_cast<float>(dist(rng));
  };
  auto fill_normal = [&](double mean, double stddev) {
    std::normal_distribution<double> dist(mean, stddev);
    for (float& v : values) v = static_cast<float>(dist(rng));
  };
  if (type.empty() || type == "constant") {
    for (float& v : values) v = init.value();
  } else if (type == "uniform") {
    fill_uniform(init.low(), init.high());
  } else if (type == "normal") {
    fill_normal(init.mean(), init.stddev());
  } else if (type == "xavier_uniform" || type == "xavier_normal") {
    const double gain = init.gain() > 0 ? init.gain() : 1.0;
    const double stddev = gain * std::sqrt(2.0 / (fans.in + fans.out));
    if (type == "xavier_uniform") {
      const double bound = std::sqrt(3.0) * stddev;
      fill_uniform(-bound, bound);
    } else {
      fill_normal(0.0, stddev);
    }
  } else {  // he_uniform, he_normal: fan_in mode, as for ReLU networks.
    const double gain = init.gain() > 0 ? init.gain() : std::sqrt(2.0);
    const double stddev = gain / std::sqrt(fans.in);
    if (type == "he_uniform") {
      const double bound = std::sqrt(3.0) * stddev;
      fill_uniform(-bound, bound);
    } else {
      fill_normal(0.0, stddev);
    }
  }
  return Tensor::FromVector(shape, values);
}

}  // namespace tessera
