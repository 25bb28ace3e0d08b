// transpose's CUDA kernel; registered for Device::kCuda in transpose.cc.
// One thread per output element, the index map of transpose.h.
#include "core/cuda/kernel_util.cuh"
#include "ops/transpose/transpose.h"

namespace tessera {
namespace cuda {
namespace {

__global__ void GatherKernel(const float* x, float* y, int64_t n, transpose::Plan plan) {
  for (int64_t o : GridStride{n}) y[o] = x[transpose::SourceOffset(plan, o)];
}

}  // namespace

void TransposeGather(const float* x, float* y, int64_t n, const transpose::Plan& plan,
                     cudaStream_t stream) {
  GatherKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, y, n, plan);
}

}  // namespace cuda
}  // namespace tessera
