// softmax_cross_entropy's CUDA kernels; registered for Device::kCuda in
// softmax_cross_entropy.cc, which has checked every label on the host
// before these run (each is an integer class index in [0, classes)).
//
// As on the CPU: per row, the maximum is subtracted, exp summed in double,
// probabilities = exp * (float)(1 / sum), row loss = log(sum) - (z[label] -
// max) in double; the loss is the mean of the row losses (double, then
// float). Gradient: dz = (dloss / batch) * (p - onehot(label)).
#include <cstdint>

#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

// One warp per row (the loop condition is uniform within a warp, so the
// full-mask shuffles are safe). Writes the probabilities and row_loss[row].
__global__ void RowsKernel(const float* z, const float* labels, float* probs, double* row_loss,
                           int64_t batch, int64_t classes) {
  const int lane = threadIdx.x % kWarpSize;
  const int64_t warps = static_cast<int64_t>(gridDim.x) * (blockDim.x / kWarpSize);
  for (int64_t row =
           static_cast<int64_t>(blockIdx.x) * (blockDim.x / kWarpSize) + threadIdx.x / kWarpSize;
       row < batch; row += warps) {
    const float* zr = z + row * classes;
    float* pr = probs + row * classes;
    float max = -INFINITY;
    for (int64_t c = lane; c < classes; c += kWarpSize) max = fmaxf(max, zr[c]);
    max = WarpMax(max);
    double sum = 0;
    for (int64_t c = lane; c < classes; c += kWarpSize) {
      const float e = expf(zr[c] - max);
      pr[c] = e;
      sum += e;
    }
    sum = WarpSum(sum);
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t c = lane; c < classes; c += kWarpSize) pr[c] *= inv;
    if (lane == 0) {
      const int64_t label = static_cast<int64_t>(labels[row]);
      row_loss[row] = log(sum) - static_cast<double>(zr[label] - max);
    }
  }
}

// One block: loss[0] = (float)(sum of row_loss / batch). With batch 0 that
// is 0 / 0 = NaN, as on the CPU.
__global__ void MeanKernel(const double* row_loss, int64_t batch, float* loss) {
  __shared__ double warp_sums[32];
  double v = 0;
  for (int64_t i = threadIdx.x; i < batch; i += blockDim.x) v += row_loss[i];
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(kFullWarpMask, v, offset);
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < static_cast<int>(blockDim.x / kWarpSize) ? warp_sums[lane] : 0.0;
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_down_sync(kFullWarpMask, v, offset);
    if (lane == 0) loss[0] = static_cast<float>(v / batch);
  }
}

// One thread per logit; the loss gradient is a device scalar.
__global__ void GradientKernel(const float* probs, const float* labels, const float* dloss,
                               float* dz, int64_t batch, int64_t classes) {
  const float scale = dloss[0] / static_cast<float>(batch);
  for (int64_t e : GridStride{batch * classes}) {
    const int64_t row = e / classes, c = e % classes;
    const int64_t label = static_cast<int64_t>(labels[row]);
    dz[e] = scale * (probs[e] - (c == label ? 1.0f : 0.0f));
  }
}

}  // namespace

// row_loss: device scratch for `batch` doubles.
void SoftmaxCrossEntropyForward(const float* z, const float* labels, float* probs, double* row_loss,
                                float* loss, int64_t batch, int64_t classes, cudaStream_t stream) {
  if (batch > 0) {
    RowsKernel<<<BlocksFor(batch * kWarpSize), kThreadsPerBlock, 0, stream>>>(
        z, labels, probs, row_loss, batch, classes);
  }
  MeanKernel<<<1, kThreadsPerBlock, 0, stream>>>(row_loss, batch, loss);
}

void SoftmaxCrossEntropyGradient(const float* probs, const float* labels, const float* dloss,
                                 float* dz, int64_t batch, int64_t classes, cudaStream_t stream) {
  GradientKernel<<<BlocksFor(batch * classes), kThreadsPerBlock, 0, stream>>>(probs, labels, dloss,
                                                                              dz, batch, classes);
}

}  // namespace cuda
}  // namespace tessera
