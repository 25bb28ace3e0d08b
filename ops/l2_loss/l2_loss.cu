// l2_loss's CUDA kernels; registered for Device::kCuda in l2_loss.cc.
//
// The forward is a two-pass reduction in double (as the CPU's loop): each
// block of the first pass writes the sum of (double(y) - t)^2 over its
// grid-stride share to partial[block]; one block then adds the partials in
// a fixed order and writes 0.5 * sum / batch as float. No atomics: the same
// input gives the same bits on every run.
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

// Blocks of the first pass (each thread then covers n / (256 * 512)
// elements); the second pass adds this many doubles in one block.
constexpr int kMaxPartialBlocks = 512;

__global__ void L2PartialKernel(const float* y, const float* t, int64_t n, double* partial) {
  double sum = 0;
  for (int64_t i : GridStride{n}) {
    const double d = static_cast<double>(y[i]) - t[i];
    sum += d * d;
  }
  sum = BlockSum(sum);
  if (threadIdx.x == 0) partial[blockIdx.x] = sum;
}

__global__ void L2FinishKernel(const double* partial, int count, int64_t batch, float* loss) {
  double sum = 0;
  for (int b = threadIdx.x; b < count; b += blockDim.x) sum += partial[b];
  sum = BlockSum(sum);
  if (threadIdx.x == 0) loss[0] = static_cast<float>(0.5 * sum / batch);
}

// As the CPU: g = (dloss / batch) * (y - t) in float, dt = -g. dloss is the
// loss's output gradient, read on the device. dy, dt may be null.
__global__ void L2GradientKernel(const float* y, const float* t, const float* dloss, float batch,
                                 float* dy, float* dt, int64_t n) {
  const float scale = dloss[0] / batch;
  for (int64_t i : GridStride{n}) {
    const float g = scale * (y[i] - t[i]);
    if (dy != nullptr) dy[i] = g;
    if (dt != nullptr) dt[i] = -g;
  }
}

int PartialBlocks(int64_t n) {
  const int blocks = BlocksFor(n);
  return blocks < kMaxPartialBlocks ? blocks : kMaxPartialBlocks;
}

}  // namespace

int64_t L2LossScratchDoubles(int64_t n) { return PartialBlocks(n); }

void L2LossForward(const float* y, const float* t, int64_t n, int64_t batch, double* scratch,
                   float* loss, cudaStream_t stream) {
  const int blocks = PartialBlocks(n);
  L2PartialKernel<<<blocks, kThreadsPerBlock, 0, stream>>>(y, t, n, scratch);
  L2FinishKernel<<<1, kThreadsPerBlock, 0, stream>>>(scratch, blocks, batch, loss);
}

void L2LossGradient(const float* y, const float* t, const float* dloss, int64_t n, int64_t batch,
                    float* dy, float* dt, cudaStream_t stream) {
  L2GradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(
      y, t, dloss, static_cast<float>(batch), dy, dt, n);
}

}  // namespace cuda
}  // namespace tessera
