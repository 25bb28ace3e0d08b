// conv_transpose2d's CUDA kernel; the convolutions are cuDNN calls in
// conv_transpose2d.cc. This one resizes images at their far edges, for the
// problems whose output_padding cuDNN cannot express (see there).
#include "core/cuda/kernel_util.cuh"

namespace tessera {
namespace cuda {
namespace {

// dst[p, i, j] = src[p, i, j] where i < src_h and j < src_w, else 0, for
// dst [planes, dst_h, dst_w] and src [planes, src_h, src_w]: zero-pads at the
// bottom and right where dst is larger, crops there where it is smaller.
__global__ void CopyWindowKernel(const float* src, float* dst, int64_t n, int64_t src_h,
                                 int64_t src_w, int64_t dst_h, int64_t dst_w) {
  // n > 0 implies dst_h > 0 and dst_w > 0.
  for (int64_t idx : GridStride{n}) {
    const int64_t j = idx % dst_w;
    const int64_t i = (idx / dst_w) % dst_h;
    const int64_t p = idx / (dst_w * dst_h);
    dst[idx] = (i < src_h && j < src_w) ? src[(p * src_h + i) * src_w + j] : 0.0f;
  }
}

}  // namespace

void ConvTranspose2dCopyWindow(const float* src, float* dst, int64_t planes, int64_t src_h,
                               int64_t src_w, int64_t dst_h, int64_t dst_w, cudaStream_t stream) {
  const int64_t n = planes * dst_h * dst_w;
  CopyWindowKernel<<<BlocksFor(n), kThreadsPerBlock, 0, stream>>>(src, dst, n, src_h, src_w, dst_h,
                                                                  dst_w);
}

}  // namespace cuda
}  // namespace tessera
