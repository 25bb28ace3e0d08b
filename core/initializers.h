#ifndef TESSERA_CORE_INITIALIZERS_H_
#define TESSERA_CORE_INITIALIZERS_H_

// Weight initializers: constant, uniform, normal, Xavier/Glorot and
// He/Kaiming. Fan-in and fan-out follow PyTorch, so that a [out, in] matrix
// or an OIHW conv kernel gets the same scale in both frameworks:
// fan_in = shape[1] * receptive field, fan_out = shape[0] * receptive field.

#include <random>

#include "absl/status/status.h"
#include "core/graph.pb.h"
#include "core/tensor.h"

namespace tessera {

// Checks the shape (positive dimensions) and the initializer's type and
// arguments, naming the parameter in the message.
absl::Status ValidateParameter(const ParameterDef& param);

// Draws the parameter's initial values on the CPU. `param` must be valid.
Tensor InitializeParameter(const ParameterDef& param, std::mt19937_64& rng);

}  // namespace tessera

#endif  // TESSERA_CORE_INITIALIZERS_H_
