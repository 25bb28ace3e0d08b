// matmul: a fully connected layer, y = x W^T + b.
//
// x is [batch, in], W is [out, in] (PyTorch's nn.Linear layout, so weights
// move between the frameworks unchanged) and the optional bias b is [out].
// Gradients: dx = dy W, dW = dy^T x, db = sum over the batch of dy.

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/gemm.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> MatmulShape(const std::vector<Shape>& in, const Attrs&) {
  TS_RETURN_IF_ERROR(ExpectRank(in[0], 2, "input x"));
  TS_RETURN_IF_ERROR(ExpectRank(in[1], 2, "weight W [out, in]"));
  if (in[0][1] != in[1][1]) {
    return absl::InvalidArgumentError(absl::StrCat("x has ", in[0][1], " features but W ",
                                                   ShapeToString(in[1]), " expects ", in[1][1]));
  }
  if (in.size() == 3 && in[2] != Shape{in[1][0]}) {
    return absl::InvalidArgumentError(
        absl::StrCat("bias must have shape [", in[1][0], "], got ", ShapeToString(in[2])));
  }
  return std::vector<Shape>{{in[0][0], in[1][0]}};
}

TESSERA_REGISTER_OP("matmul")
    .Input("x")
    .Input("weight")
    .OptionalInput("bias")
    .Output("y")
    .Doc("Fully connected: y = x W^T + b, W in [out, in] layout.")
    .ShapeFn(MatmulShape)
    // The gradient reads x and the weight, never y.
    .GradientReads({0, 1, 2}, {})
    .Flops([](const std::vector<Shape>& in, const std::vector<Shape>&, const Attrs&) {
      // 2 * batch * in * out; the bias is not counted.
      if (in.size() < 2 || in[0].size() != 2 || in[1].size() != 2) return -1.0;
      return 2.0 * in[0][0] * in[1][0] * in[1][1];
    });

absl::Status MatmulForward(KernelContext&, const std::vector<Tensor>& in,
                           std::vector<Tensor>& out) {
  const int64_t batch = in[0].dim(0), features = in[0].dim(1), units = in[1].dim(0);
  float* y = out[0].data();
  if (in.size() == 3) {
    const float* b = in[2].data();
    for (int64_t i = 0; i < batch; ++i) std::copy(b, b + units, y + i * units);
  }
  GemmVersionedB(false, true, batch, units, features, in[0].data(), in[1].data(), in[1].version(),
                 y, in.size() == 3);
  return absl::OkStatus();
}

absl::Status MatmulGradient(KernelContext&, GradientArgs& args) {
  const Tensor& x = args.inputs[0];
  const Tensor& w = args.inputs[1];
  const Tensor& dy = args.output_grads[0];
  const int64_t batch = x.dim(0), features = x.dim(1), units = w.dim(0);
  if (args.input_grads[0].defined()) {
    GemmVersionedB(false, false, batch, features, units, dy.data(), w.data(), w.version(),
                   args.input_grads[0].data(), false);
  }
  if (args.input_grads[1].defined()) {
    Gemm(true, false, units, features, batch, dy.data(), x.data(), args.input_grads[1].data(),
         false);
  }
  if (args.input_grads.size() == 3 && args.input_grads[2].defined()) {
    float* db = args.input_grads[2].data();
    const float* g = dy.data();
    ParallelFor(units, 64, [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j) {
        float s = 0;
        for (int64_t i = 0; i < batch; ++i) s += g[i * units + j];
        db[j] = s;
      }
    });
  }
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("matmul", Device::kCpu, MatmulForward, MatmulGradient);

}  // namespace

#if TESSERA_CUDA
// Defined in matmul.cu.
namespace cuda {
// y[i, :] = b for every row of y [batch, units].
void MatmulBroadcastBias(const float* b, float* y, int64_t batch, int64_t units,
                         cudaStream_t stream);
// db[j] = sum over i of dy[i, j], dy [batch, units].
void MatmulBiasGradient(const float* dy, float* db, int64_t batch, int64_t units,
                        cudaStream_t stream);
}  // namespace cuda

namespace {

// The GPU twin of Gemm (ops/common/gemm.h), same arguments, by cuBLAS in its
// default math mode (no TF32). cuBLAS is column-major, and a row-major matrix
// read column-major is its transpose, so row-major C = op(A) op(B) is computed
// as the column-major C^T = op(B)^T op(A)^T: the operands swap places and keep
// their transpose flags.
absl::Status GemmGpu(cublasHandle_t handle, bool trans_a, bool trans_b, int64_t m, int64_t n,
                     int64_t k, const float* a, const float* b, float* c, bool accumulate) {
  for (int64_t d : {m, n, k}) {
    if (d > std::numeric_limits<int>::max()) {
      return absl::InvalidArgumentError(
          absl::StrCat("matmul: dimension ", d, " exceeds cuBLAS's int"));
    }
  }
  // Leading dimensions: the row lengths of the row-major A [m, k] or [k, m],
  // B [k, n] or [n, k] and C [m, n]; at least 1 as cuBLAS demands even when a
  // dimension is 0.
  const int lda = static_cast<int>(std::max<int64_t>(1, trans_a ? m : k));
  const int ldb = static_cast<int>(std::max<int64_t>(1, trans_b ? k : n));
  const int ldc = static_cast<int>(std::max<int64_t>(1, n));
  const float alpha = 1.0f, beta = accumulate ? 1.0f : 0.0f;
  TS_CUBLAS_RETURN_IF_ERROR(
      cublasSgemm(handle, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                  static_cast<int>(n), static_cast<int>(m), static_cast<int>(k), &alpha, b, ldb, a,
                  lda, &beta, c, ldc),
      "matmul: cublasSgemm");
  return absl::OkStatus();
}

absl::Status MatmulForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                              std::vector<Tensor>& out) {
  CudaContext& context = CudaContextOf(ctx.backend);
  const int64_t batch = in[0].dim(0), features = in[0].dim(1), units = in[1].dim(0);
  float* y = out[0].data();
  const bool bias = in.size() == 3;
  if (bias) {
    cuda::MatmulBroadcastBias(in[2].data(), y, batch, units, context.stream);
    TS_RETURN_IF_ERROR(CudaLaunchStatus("matmul: broadcast bias"));
  }
  return GemmGpu(context.cublas, false, true, batch, units, features, in[0].data(), in[1].data(), y,
                 bias);
}

absl::Status MatmulGradientGpu(KernelContext& ctx, GradientArgs& args) {
  CudaContext& context = CudaContextOf(ctx.backend);
  const Tensor& x = args.inputs[0];
  const Tensor& w = args.inputs[1];
  const Tensor& dy = args.output_grads[0];
  const int64_t batch = x.dim(0), features = x.dim(1), units = w.dim(0);
  if (args.input_grads[0].defined()) {  // dx = dy W
    TS_RETURN_IF_ERROR(GemmGpu(context.cublas, false, false, batch, features, units, dy.data(),
                               w.data(), args.input_grads[0].data(), false));
  }
  if (args.input_grads[1].defined()) {  // dW = dy^T x
    TS_RETURN_IF_ERROR(GemmGpu(context.cublas, true, false, units, features, batch, dy.data(),
                               x.data(), args.input_grads[1].data(), false));
  }
  if (args.input_grads.size() == 3 && args.input_grads[2].defined()) {
    cuda::MatmulBiasGradient(dy.data(), args.input_grads[2].data(), batch, units, context.stream);
    TS_RETURN_IF_ERROR(CudaLaunchStatus("matmul: bias gradient"));
  }
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("matmul", Device::kCuda, MatmulForwardGpu, MatmulGradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
