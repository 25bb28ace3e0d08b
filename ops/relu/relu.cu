// relu's CUDA kernels: ReluFunctor (ops/relu/relu.h) in the shared elementwise
// kernels (ops/common/elementwise.cuh); registered for Device::kCuda in relu.cc.
#include "ops/common/elementwise.cuh"

namespace tessera {
namespace cuda {
#include "ops/relu/relu.h"
}  // namespace cuda
}  // namespace tessera

TESSERA_ELEMENTWISE_UNARY_CUDA(tessera::cuda::ReluFunctor);
