// resize2d's CUDA kernels; registered for Device::kCuda in resize2d.cc. The
// taps and sums are resize2d.h's, as on the CPU: one thread per output
// (forward) or per input cell (gradient, a gather), so nothing races.
#include "core/cuda/kernel_util.cuh"
#include "ops/resize2d/resize2d.h"

namespace tessera {
namespace cuda {
namespace {

__global__ void ForwardKernel(const float* x, float* y, int64_t n, resize2d::Axis rows,
                              resize2d::Axis cols, float extrapolation_value) {
  for (int64_t idx : GridStride{n}) {
    const int64_t j = idx % cols.out;
    const int64_t i = (idx / cols.out) % rows.out;
    const int64_t c = idx / (cols.out * rows.out);
    y[idx] = resize2d::ForwardAt(x + c * rows.in * cols.in, i, j, cols.in, rows, cols,
                                 extrapolation_value);
  }
}

__global__ void GradientKernel(const float* dy, float* dx, int64_t n, resize2d::Axis rows,
                               resize2d::Axis cols) {
  for (int64_t idx : GridStride{n}) {
    const int64_t q = idx % cols.in;
    const int64_t p = (idx / cols.in) % rows.in;
    const int64_t c = idx / (cols.in * rows.in);
    int64_t i0, i1, j0, j1;
    resize2d::Readers(p, rows, &i0, &i1);
    resize2d::Readers(q, cols, &j0, &j1);
    dx[idx] = resize2d::GradientAt(dy + c * rows.out * cols.out, p, q, cols.out, rows, cols, i0, i1,
                                   j0, j1);
  }
}

}  // namespace

void Resize2dForward(const float* x, float* y, int64_t planes, const resize2d::Axis& rows,
                     const resize2d::Axis& cols, float extrapolation_value, cudaStream_t stream) {
  const int64_t n = planes * rows.out * cols.out;
  ForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(x, y, n, rows, cols,
                                                               extrapolation_value);
}

void Resize2dGradient(const float* dy, float* dx, int64_t planes, const resize2d::Axis& rows,
                      const resize2d::Axis& cols, cudaStream_t stream) {
  const int64_t n = planes * rows.in * cols.in;
  GradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(dy, dx, n, rows, cols);
}

}  // namespace cuda
}  // namespace tessera
