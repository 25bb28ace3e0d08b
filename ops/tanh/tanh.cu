// tanh's CUDA kernels: TanhFunctor (ops/tanh/tanh.h) in the shared elementwise
// kernels (ops/common/elementwise.cuh); registered for Device::kCuda in tanh.cc.
#include "ops/common/elementwise.cuh"

namespace tessera {
namespace cuda {
#include "ops/tanh/tanh.h"
}  // namespace cuda
}  // namespace tessera

TESSERA_ELEMENTWISE_UNARY_CUDA(tessera::cuda::TanhFunctor);
