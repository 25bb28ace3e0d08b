// add's CUDA kernels: AddFunctor (ops/add/add.h) in the shared elementwise
// kernels (ops/common/elementwise.cuh); registered for Device::kCuda in add.cc.
#include "ops/common/elementwise.cuh"

namespace tessera {
namespace cuda {
#include "ops/add/add.h"
}  // namespace cuda
}  // namespace tessera

TESSERA_ELEMENTWISE_BINARY_CUDA(tessera::cuda::AddFunctor);
