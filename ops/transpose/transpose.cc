// transpose: permutes the axes of a tensor, as PyTorch's x.permute(perm) and
// ONNX Transpose: y's axis i is x's axis perm[i]. Any rank up to 8, any
// permutation. Gradient: dy transposed back by the inverse permutation.

#include "ops/transpose/transpose.h"

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> TransposeShape(const std::vector<Shape>& in,
                                                  const Attrs& attrs) {
  const std::vector<int64_t> perm = attrs.GetInts("perm");
  const int64_t rank = in[0].size();
  if (rank > transpose::kMaxRank) {
    return absl::InvalidArgumentError(absl::StrCat("input ", ShapeToString(in[0]), " has rank ",
                                                   rank, "; at most ", transpose::kMaxRank,
                                                   " is supported"));
  }
  std::vector<bool> seen(rank, false);
  bool valid = static_cast<int64_t>(perm.size()) == rank;
  for (int64_t a : perm) {
    if (!valid || a < 0 || a >= rank || seen[a]) {
      valid = false;
      break;
    }
    seen[a] = true;
  }
  if (!valid) {
    return absl::InvalidArgumentError(absl::StrCat("attribute 'perm' ", ShapeToString(perm),
                                                   " is not a permutation of the ", rank,
                                                   " axes of input ", ShapeToString(in[0])));
  }
  Shape out;
  for (int64_t a : perm) out.push_back(in[0][a]);
  return std::vector<Shape>{out};
}

TESSERA_REGISTER_OP("transpose")
    .Input("x")
    .Output("y")
    .RequiredAttr("perm", AttrType::kInts)
    .Doc("Permutes the axes: y's axis i is x's axis perm[i] (PyTorch permute).")
    .ShapeFn(TransposeShape)
    // The gradient reads only shapes.
    .GradientReads({}, {})
    .Flops(NoFlops());

// The plan that reads x (of shape `in`) into its transpose by `perm`.
transpose::Plan PlanFor(const Shape& in, const std::vector<int64_t>& perm) {
  transpose::Plan p;
  p.rank = static_cast<int>(in.size());
  std::vector<int64_t> strides(in.size(), 1);
  for (int i = p.rank - 2; i >= 0; --i) strides[i] = strides[i + 1] * in[i + 1];
  for (int i = 0; i < p.rank; ++i) {
    p.out_dims[i] = in[perm[i]];
    p.in_strides[i] = strides[perm[i]];
  }
  return p;
}

std::vector<int64_t> Inverse(const std::vector<int64_t>& perm) {
  std::vector<int64_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int64_t>(i);
  return inverse;
}

void TransposeCpu(const Tensor& x, const std::vector<int64_t>& perm, Tensor& y) {
  const transpose::Plan p = PlanFor(x.shape(), perm);
  const float* xp = x.data();
  float* yp = y.data();
  ParallelFor(y.num_elements(), 1 << 14, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) yp[o] = xp[transpose::SourceOffset(p, o)];
  });
}

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TransposeCpu(in[0], ctx.attrs.GetInts("perm"), out[0]);
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  TransposeCpu(args.output_grads[0], Inverse(ctx.attrs.GetInts("perm")), args.input_grads[0]);
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("transpose", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in transpose.cu: y[o] = x[SourceOffset(plan, o)] for o < n.
namespace cuda {
void TransposeGather(const float* x, float* y, int64_t n, const transpose::Plan& plan,
                     cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  cuda::TransposeGather(in[0].data(), out[0].data(), out[0].num_elements(),
                        PlanFor(in[0].shape(), ctx.attrs.GetInts("perm")),
                        CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("transpose forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  const Tensor& dy = args.output_grads[0];
  cuda::TransposeGather(dy.data(), args.input_grads[0].data(), dy.num_elements(),
                        PlanFor(dy.shape(), Inverse(ctx.attrs.GetInts("perm"))),
                        CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("transpose gradient");
}

TESSERA_REGISTER_KERNEL("transpose", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
