// adaptive_avgpool2d: average pooling to a fixed output size, whatever the
// input size (PyTorch's AdaptiveAvgPool2d). Output cell (i, j) averages
// input rows [floor(i*H/oh), ceil((i+1)*H/oh)) and the same for columns, so
// windows may overlap, and an output larger than the input repeats cells.
// torchvision's AlexNet puts one before its classifier so that the fully
// connected layers see 256x6x6 features for any image size.

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/rows.h"
#include "ops/common/sum.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> AdaptiveShape(const std::vector<Shape>& in, const Attrs& attrs) {
  TS_RETURN_IF_ERROR(ExpectRank(in[0], 4, "input x [N, C, H, W]"));
  const std::vector<int64_t> size = attrs.GetInts("output_size");
  if (size.size() != 2 || size[0] <= 0 || size[1] <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("output_size must be two positive ints [h, w], got ", ShapeToString(size)));
  }
  if (in[0][2] <= 0 || in[0][3] <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("input ", ShapeToString(in[0]), " has no pixels"));
  }
  return std::vector<Shape>{{in[0][0], in[0][1], size[0], size[1]}};
}

TESSERA_REGISTER_OP("adaptive_avgpool2d")
    .Input("x")
    .Output("y")
    .RequiredAttr("output_size", AttrType::kInts)
    .Doc("Average pooling to a fixed [h, w] output (PyTorch's AdaptiveAvgPool2d).")
    .ShapeFn(AdaptiveShape)
    .Flops([](const std::vector<Shape>& in, const std::vector<Shape>&, const Attrs&) {
      // Each input element is added into its windows about once.
      return in.empty() ? -1.0 : static_cast<double>(NumElements(in[0]));
    });

int64_t WindowStart(int64_t i, int64_t in, int64_t out) { return (i * in) / out; }
int64_t WindowEnd(int64_t i, int64_t in, int64_t out) { return ((i + 1) * in + out - 1) / out; }

// Below this many input floats a piece of work does not pay for waking a
// second thread (a 16x512x7x7 global pooling is 400K floats, 1.6 MB).
constexpr int64_t kMinChunkFloats = 1 << 15;

int64_t MinPlanes(int64_t h, int64_t w) { return std::max<int64_t>(1, kMinChunkFloats / (h * w)); }

// Each output row i: the column sums of its input rows [h0, h1) (Highway),
// then each output cell sums its columns [w0, w1) of them.
absl::Status Forward(KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  const int64_t planes = in[0].dim(0) * in[0].dim(1), h = in[0].dim(2), w = in[0].dim(3);
  const int64_t oh = out[0].dim(2), ow = out[0].dim(3);
  const float* x = in[0].data();
  float* y = out[0].data();
  if (oh == 1 && ow == 1) {  // global pooling: one sum per plane
    const float inv = 1.0f / static_cast<float>(h * w);
    ParallelFor(planes, MinPlanes(h, w), [&](int64_t p0, int64_t p1) {
      simd::SumEach(x + p0 * h * w, p1 - p0, h * w, y + p0);
      for (int64_t p = p0; p < p1; ++p) y[p] *= inv;
    });
    return absl::OkStatus();
  }
  ParallelFor(planes, MinPlanes(h, w), [&](int64_t p0, int64_t p1) {
    std::vector<float> colsum(w);
    for (int64_t p = p0; p < p1; ++p) {
      const float* xp = x + p * h * w;
      float* yp = y + p * oh * ow;
      for (int64_t i = 0; i < oh; ++i) {
        const int64_t h0 = WindowStart(i, h, oh), h1 = WindowEnd(i, h, oh);
        simd::SumRows(xp + h0 * w, h1 - h0, w, w, colsum.data());
        for (int64_t j = 0; j < ow; ++j) {
          const int64_t w0 = WindowStart(j, w, ow), w1 = WindowEnd(j, w, ow);
          float sum = 0.0f;
          for (int64_t c = w0; c < w1; ++c) sum += colsum[c];
          yp[i * ow + j] = sum / static_cast<float>((h1 - h0) * (w1 - w0));
        }
      }
    }
  });
  return absl::OkStatus();
}

// Each output row i: its cells' shares dy / window size summed per input
// column into one row, which every input row of the window adds (Highway).
absl::Status Gradient(KernelContext&, GradientArgs& args) {
  const Tensor& x = args.inputs[0];
  const int64_t planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t oh = args.outputs[0].dim(2), ow = args.outputs[0].dim(3);
  const float* dy = args.output_grads[0].data();
  float* dx = args.input_grads[0].data();
  ParallelFor(planes, MinPlanes(h, w), [&](int64_t p0, int64_t p1) {
    std::vector<float> share(w);
    for (int64_t p = p0; p < p1; ++p) {
      const float* dyp = dy + p * oh * ow;
      float* dxp = dx + p * h * w;
      if (oh == 1 && ow == 1) {  // global pooling: one share everywhere
        simd::Fill(dyp[0] / static_cast<float>(h * w), dxp, h * w);
        continue;
      }
      simd::Fill(0.0f, dxp, h * w);
      for (int64_t i = 0; i < oh; ++i) {
        const int64_t h0 = WindowStart(i, h, oh), h1 = WindowEnd(i, h, oh);
        std::fill(share.begin(), share.end(), 0.0f);
        for (int64_t j = 0; j < ow; ++j) {
          const int64_t w0 = WindowStart(j, w, ow), w1 = WindowEnd(j, w, ow);
          const float v = dyp[i * ow + j] / static_cast<float>((h1 - h0) * (w1 - w0));
          for (int64_t c = w0; c < w1; ++c) share[c] += v;
        }
        for (int64_t r = h0; r < h1; ++r) simd::AddTo(share.data(), w, dxp + r * w);
      }
    }
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("adaptive_avgpool2d", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in adaptive_avgpool2d.cu: the same windows (WindowStart, WindowEnd).
namespace cuda {
void AdaptiveAvgPoolForward(const float* x, float* y, int64_t planes, int64_t h, int64_t w,
                            int64_t oh, int64_t ow, cudaStream_t stream);
void AdaptiveAvgPoolGradient(const float* dy, float* dx, int64_t planes, int64_t h, int64_t w,
                             int64_t oh, int64_t ow, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  cuda::AdaptiveAvgPoolForward(in[0].data(), out[0].data(), in[0].dim(0) * in[0].dim(1),
                               in[0].dim(2), in[0].dim(3), out[0].dim(2), out[0].dim(3),
                               CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("adaptive_avgpool2d forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  const Tensor& x = args.inputs[0];
  cuda::AdaptiveAvgPoolGradient(args.output_grads[0].data(), args.input_grads[0].data(),
                                x.dim(0) * x.dim(1), x.dim(2), x.dim(3), args.outputs[0].dim(2),
                                args.outputs[0].dim(3), CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("adaptive_avgpool2d gradient");
}

TESSERA_REGISTER_KERNEL("adaptive_avgpool2d", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA
}  // namespace tessera
