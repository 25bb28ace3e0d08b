// leaky_relu's CUDA kernels: LeakyReluFunctor (ops/leaky_relu/leaky_relu.h) in the shared elementwise
// kernels (ops/common/elementwise.cuh); registered for Device::kCuda in leaky_relu.cc.
#include "ops/common/elementwise.cuh"

namespace tessera {
namespace cuda {
#include "ops/leaky_relu/leaky_relu.h"
}  // namespace cuda
}  // namespace tessera

TESSERA_ELEMENTWISE_UNARY_CUDA(tessera::cuda::LeakyReluFunctor);
