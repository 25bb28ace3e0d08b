// mul's CUDA kernels: MulFunctor (ops/mul/mul.h) in the shared elementwise
// kernels (ops/common/elementwise.cuh); registered for Device::kCuda in mul.cc.
#include "ops/common/elementwise.cuh"

namespace tessera {
namespace cuda {
#include "ops/mul/mul.h"
}  // namespace cuda
}  // namespace tessera

TESSERA_ELEMENTWISE_BINARY_CUDA(tessera::cuda::MulFunctor);
