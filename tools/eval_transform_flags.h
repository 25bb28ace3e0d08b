#ifndef TESSERA_TOOLS_EVAL_TRANSFORM_FLAGS_H_
#define TESSERA_TOOLS_EVAL_TRANSFORM_FLAGS_H_

// The evaluation transform of photographs (resize the shorter side, centre
// crop, --mean/--std), as the tools that feed photographs to a trained
// classifier (classify, visualize) take it from the command line. The
// trainers' own flags are in models/loop_flags.cc.

#include "absl/status/statusor.h"
#include "core/shape.h"
#include "datasets/transforms.h"

namespace tessera {

// The transform to `image_input` ([N, C, H, W], the graph's "image") from
// --mean, --std and --resize_ratio. ImageNet's three-channel statistics
// become their average for a grey input.
absl::StatusOr<datasets::TransformConfig> EvalTransformFromFlags(const Shape& image_input);

}  // namespace tessera

#endif  // TESSERA_TOOLS_EVAL_TRANSFORM_FLAGS_H_
