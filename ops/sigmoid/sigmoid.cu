// sigmoid's CUDA kernels: SigmoidFunctor (ops/sigmoid/sigmoid.h) in the shared elementwise
// kernels (ops/common/elementwise.cuh); registered for Device::kCuda in sigmoid.cc.
#include "ops/common/elementwise.cuh"

namespace tessera {
namespace cuda {
#include "ops/sigmoid/sigmoid.h"
}  // namespace cuda
}  // namespace tessera

TESSERA_ELEMENTWISE_UNARY_CUDA(tessera::cuda::SigmoidFunctor);
