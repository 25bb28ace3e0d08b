// batch_norm2d's CUDA kernels; registered for Device::kCuda in
// batch_norm2d.cc.
//
// Same arithmetic as the CPU kernel: per-channel sums in double (mean first,
// then the squared deviations from it, no cancellation), the running
// statistics updated in double with the unbiased variance
//   new_mean = (1 - m) * running_mean + m * mean,
//   new_var  = (1 - m) * running_var  + m * sq / D,   M = N * H * W,
// D = M - 1 (unbiased) or M (biased: unbiased_running_var false),
// and the saved mean and inv_std = (float)(1 / sqrt(var + eps)). Per-channel
// reductions run one block per channel; the elementwise passes (y, dx) one
// thread per element.
#include <cstdint>

#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

constexpr int kReduceThreads = 512;  // per-channel reductions; a multiple of 32

// Element k of channel c's N * H * W values.
__device__ int64_t ChannelAt(int64_t k, int64_t c, int64_t channels, int64_t plane) {
  const int64_t n = k / plane;
  return (n * channels + c) * plane + (k - n * plane);
}

// Training statistics, one block per channel (the loop condition is the
// same for the whole block, so BlockSum's barriers are reached by all).
__global__ void TrainStatsKernel(const float* x, const float* running_mean,
                                 const float* running_var, float* new_mean, float* new_var,
                                 float* mean_out, float* inv_std_out, int64_t channels,
                                 int64_t count, int64_t plane, float momentum, float epsilon,
                                 int64_t var_divisor) {
  for (int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
    double local = 0;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x)
      local += x[ChannelAt(k, c, channels, plane)];
    const double mean = BlockSum(local) / count;
    local = 0;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const float v = x[ChannelAt(k, c, channels, plane)];
      local += (v - mean) * (v - mean);
    }
    const double sq = BlockSum(local);
    if (threadIdx.x == 0) {
      const double var = sq / count;
      new_mean[c] = static_cast<float>((1.0 - momentum) * running_mean[c] + momentum * mean);
      new_var[c] =
          static_cast<float>((1.0 - momentum) * running_var[c] + momentum * sq / var_divisor);
      mean_out[c] = static_cast<float>(mean);
      inv_std_out[c] = static_cast<float>(1.0 / sqrt(var + epsilon));
    }
  }
}

// Evaluation: the running statistics, passed through to new_running_*.
__global__ void EvalStatsKernel(const float* running_mean, const float* running_var,
                                float* new_mean, float* new_var, float* mean_out,
                                float* inv_std_out, int64_t channels, float epsilon) {
  for (int64_t c : GridStride{channels}) {
    const double var = running_var[c];
    new_mean[c] = running_mean[c];
    new_var[c] = running_var[c];
    mean_out[c] = running_mean[c];
    inv_std_out[c] = static_cast<float>(1.0 / sqrt(var + epsilon));
  }
}

__global__ void NormalizeKernel(const float* x, const float* gamma, const float* beta,
                                const float* mean, const float* inv_std, float* y, int64_t n,
                                int64_t channels, int64_t plane) {
  for (int64_t e : GridStride{n}) {
    const int64_t c = (e / plane) % channels;
    const float scale = gamma[c] * inv_std[c];
    y[e] = (x[e] - mean[c]) * scale + beta[c];
  }
}

// Per channel, sum(dy) and sum(dy * xhat) in double; writes dbeta, dgamma
// and (for dx) their means over the channel's M values into
// stats[c], stats[channels + c]. Null outputs are not wanted.
__global__ void GradientSumsKernel(const float* x, const float* dy, const float* mean,
                                   const float* inv_std, float* dgamma, float* dbeta, float* stats,
                                   int64_t channels, int64_t count, int64_t plane) {
  for (int64_t c = blockIdx.x; c < channels; c += gridDim.x) {
    const float m = mean[c], inv = inv_std[c];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t k = threadIdx.x; k < count; k += blockDim.x) {
      const int64_t at = ChannelAt(k, c, channels, plane);
      sum_dy += dy[at];
      sum_dy_xhat += static_cast<double>(dy[at]) * (x[at] - m) * inv;
    }
    sum_dy = BlockSum(sum_dy);
    sum_dy_xhat = BlockSum(sum_dy_xhat);
    if (threadIdx.x == 0) {
      if (dgamma != nullptr) dgamma[c] = static_cast<float>(sum_dy_xhat);
      if (dbeta != nullptr) dbeta[c] = static_cast<float>(sum_dy);
      if (stats != nullptr) {
        stats[c] = static_cast<float>(sum_dy / count);
        stats[channels + c] = static_cast<float>(sum_dy_xhat / count);
      }
    }
  }
}

// dx per element. training_flag is the forward's saved flag (1 training,
// 0 evaluation), read on the device.
__global__ void InputGradientKernel(const float* x, const float* gamma, const float* mean,
                                    const float* inv_std, const float* training_flag,
                                    const float* dy, const float* d_new_mean,
                                    const float* d_new_var, const float* stats, float* dx,
                                    int64_t n, int64_t channels, int64_t plane, int64_t count,
                                    float momentum, int64_t var_divisor) {
  const bool training = training_flag[0] != 0.0f;
  for (int64_t e : GridStride{n}) {
    const int64_t c = (e / plane) % channels;
    const float scale = gamma[c] * inv_std[c];
    if (!training) {
      // Running stats are constants: y is affine in x.
      dx[e] = scale * dy[e];
      continue;
    }
    const float mean_dy = stats[c], mean_dy_xhat = stats[channels + c];
    const float via_mean = momentum * d_new_mean[c] / static_cast<float>(count);
    const float via_var = 2.0f * momentum * d_new_var[c] / static_cast<float>(var_divisor);
    const float centered = x[e] - mean[c];
    const float xhat = centered * inv_std[c];
    dx[e] = scale * (dy[e] - mean_dy - xhat * mean_dy_xhat) + via_mean + via_var * centered;
  }
}

int ChannelBlocks(int64_t channels) {
  return static_cast<int>(channels < kMaxBlocks ? channels : kMaxBlocks);
}

}  // namespace

// mean_out, inv_std_out: [channels], saved for the gradient.
void BatchNormForward(const float* x, const float* gamma, const float* beta,
                      const float* running_mean, const float* running_var, float* y,
                      float* new_mean, float* new_var, float* mean_out, float* inv_std_out,
                      int64_t batch, int64_t channels, int64_t plane, bool training, float momentum,
                      float epsilon, int64_t var_divisor, cudaStream_t stream) {
  if (channels == 0) return;
  const int64_t count = batch * plane;
  if (training) {
    TrainStatsKernel<<<ChannelBlocks(channels), kReduceThreads, 0, stream>>>(
        x, running_mean, running_var, new_mean, new_var, mean_out, inv_std_out, channels, count,
        plane, momentum, epsilon, var_divisor);
  } else {
    EvalStatsKernel<<<BlocksFor(channels), kThreadsPerBlock, 0, stream>>>(
        running_mean, running_var, new_mean, new_var, mean_out, inv_std_out, channels, epsilon);
  }
  const int64_t n = count * channels;
  NormalizeKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(
      x, gamma, beta, mean_out, inv_std_out, y, n, channels, plane);
}

// dx, dgamma, dbeta: null where not wanted. stats: device scratch for
// 2 * channels floats, needed when dx is wanted.
void BatchNormGradient(const float* x, const float* gamma, const float* mean, const float* inv_std,
                       const float* training_flag, const float* dy, const float* d_new_mean,
                       const float* d_new_var, float* dx, float* dgamma, float* dbeta, float* stats,
                       int64_t batch, int64_t channels, int64_t plane, float momentum,
                       int64_t var_divisor, cudaStream_t stream) {
  if (channels == 0) return;
  const int64_t count = batch * plane;
  GradientSumsKernel<<<ChannelBlocks(channels), kReduceThreads, 0, stream>>>(
      x, dy, mean, inv_std, dgamma, dbeta, dx != nullptr ? stats : nullptr, channels, count, plane);
  if (dx == nullptr) return;
  const int64_t n = count * channels;
  InputGradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(
      x, gamma, mean, inv_std, training_flag, dy, d_new_mean, d_new_var, stats, dx, n, channels,
      plane, count, momentum, var_divisor);
}

}  // namespace cuda
}  // namespace tessera
