// concat's CUDA kernels; registered for Device::kCuda in concat.cc.
//
// The output is `outer` rows of `row` floats; part k fills columns
// [offset[k], offset[k] + width[k]) of every row, and holds its own piece of
// row o at o * width[k] (the layout of concat.cc). Both kernels run one
// thread per output element, so every element is written by exactly one
// thread: the forward gathers from the parts, the gradient scatters dy back.
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

constexpr int kMaxParts = 8;  // the op takes 2 to 8 inputs

// Passed by value as a kernel argument. T is const float for the forward's
// inputs and float for the gradients (where null means "not wanted").
template <typename T>
struct Parts {
  T* data[kMaxParts];
  int64_t width[kMaxParts];
  int64_t offset[kMaxParts];
  int count;
};

// The part that column c (0 <= c < row) belongs to; parts of zero width are
// passed over since c >= offset + 0.
template <typename T>
__device__ inline int PartOf(const Parts<T>& p, int64_t c) {
  int k = 0;
  while (k + 1 < p.count && c >= p.offset[k] + p.width[k]) ++k;
  return k;
}

__global__ void ConcatForwardKernel(Parts<const float> parts, float* y, int64_t row, int64_t n) {
  for (int64_t i : GridStride{n}) {
    const int64_t o = i / row, c = i - o * row;
    const int k = PartOf(parts, c);
    y[i] = parts.data[k][o * parts.width[k] + (c - parts.offset[k])];
  }
}

__global__ void ConcatGradientKernel(const float* dy, Parts<float> grads, int64_t row, int64_t n) {
  for (int64_t i : GridStride{n}) {
    const int64_t o = i / row, c = i - o * row;
    const int k = PartOf(grads, c);
    float* dx = grads.data[k];
    if (dx != nullptr) dx[o * grads.width[k] + (c - grads.offset[k])] = dy[i];
  }
}

// Fills p from the first `count` (1 to kMaxParts) entries; returns the row
// length.
template <typename T>
int64_t MakeParts(T* const* data, const int64_t* widths, int count, Parts<T>& p) {
  int64_t row = 0;
  p.count = count;
  for (int k = 0; k < kMaxParts; ++k) {
    p.data[k] = k < count ? data[k] : nullptr;
    p.width[k] = k < count ? widths[k] : 0;
    p.offset[k] = row;
    row += p.width[k];
  }
  return row;
}

}  // namespace

void ConcatForward(const float* const* parts, const int64_t* widths, int count, int64_t outer,
                   float* y, cudaStream_t stream) {
  Parts<const float> p;
  const int64_t row = MakeParts(parts, widths, count, p);
  const int64_t n = outer * row;
  if (n == 0) return;
  ConcatForwardKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(p, y, row, n);
}

void ConcatGradient(const float* dy, float* const* grads, const int64_t* widths, int count,
                    int64_t outer, cudaStream_t stream) {
  Parts<float> p;
  const int64_t row = MakeParts(grads, widths, count, p);
  const int64_t n = outer * row;
  if (n == 0) return;
  ConcatGradientKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(dy, p, row, n);
}

}  // namespace cuda
}  // namespace tessera
