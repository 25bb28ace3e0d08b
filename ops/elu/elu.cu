// elu's CUDA kernels: EluFunctor (ops/elu/elu.h) in the shared elementwise
// kernels (ops/common/elementwise.cuh); registered for Device::kCuda in elu.cc.
#include "ops/common/elementwise.cuh"

namespace tessera {
namespace cuda {
#include "ops/elu/elu.h"
}  // namespace cuda
}  // namespace tessera

TESSERA_ELEMENTWISE_UNARY_CUDA(tessera::cuda::EluFunctor);
