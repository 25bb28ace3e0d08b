#include "tools/eval_transform_flags.h"

#include <string>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "core/status_macros.h"

ABSL_FLAG(std::string, mean, "0.485,0.456,0.406", "Per-channel mean, as in training.");
ABSL_FLAG(std::string, std, "0.229,0.224,0.225", "Per-channel std, as in training.");
ABSL_FLAG(double, resize_ratio, 256.0 / 224.0, "Shorter side / input size before the crop.");

namespace tessera {

absl::StatusOr<datasets::TransformConfig> EvalTransformFromFlags(const Shape& image_input) {
  if (image_input.size() != 4)
    return absl::InvalidArgumentError("graph input 'image' must be NCHW");
  datasets::TransformConfig transform;
  transform.channels = static_cast<int>(image_input[1]);
  transform.height = static_cast<int>(image_input[2]);
  transform.width = static_cast<int>(image_input[3]);
  transform.resize_ratio = absl::GetFlag(FLAGS_resize_ratio);
  TS_ASSIGN_OR_RETURN(transform.mean, datasets::ParseFloatList(absl::GetFlag(FLAGS_mean)));
  TS_ASSIGN_OR_RETURN(transform.std, datasets::ParseFloatList(absl::GetFlag(FLAGS_std)));
  if (transform.channels == 1 && transform.mean.size() == 3) {  // ImageNet's, for grey
    transform.mean = {(transform.mean[0] + transform.mean[1] + transform.mean[2]) / 3};
    transform.std = {(transform.std[0] + transform.std[1] + transform.std[2]) / 3};
  }
  TS_RETURN_IF_ERROR(transform.Validate());
  return transform;
}

}  // namespace tessera
