// transpose: permutes the axes of a tensor, as PyTorch's x.permute(perm) and
// ONNX Transpose: y's axis i is x's axis perm[i]. Any rank up to 8, any
// permutation. Gradient: dy transposed back by the inverse permutation.

#include "ops/transpose/transpose.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/rows.h"
#include "ops/transpose/transpose_tiles.h"

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

// The permutation with size-1 axes dropped and axes that stay neighbours
// merged: NCHW -> NHWC becomes [N, HW, C] read from [N, C, HW]. dims and
// in_strides are in output order, as in transpose::Plan.
struct Merged {
  std::vector<int64_t> dims, in_strides;
};

Merged MergeAxes(const transpose::Plan& p) {
  Merged m;
  for (int i = 0; i < p.rank; ++i) {
    if (p.out_dims[i] == 1) continue;
    if (!m.dims.empty() && m.in_strides.back() == p.in_strides[i] * p.out_dims[i]) {
      m.dims.back() *= p.out_dims[i];
      m.in_strides.back() = p.in_strides[i];
      continue;
    }
    m.dims.push_back(p.out_dims[i]);
    m.in_strides.push_back(p.in_strides[i]);
  }
  return m;
}

// Calls fn(x offset, y offset) for every index of the axes `outer` (output
// order) from `begin` to `end` in row-major order of those axes; y offsets
// use out_strides.
template <typename Fn>
void ForEachOuter(const std::vector<int64_t>& dims, const std::vector<int64_t>& in_strides,
                  const std::vector<int64_t>& out_strides, int64_t begin, int64_t end, Fn fn) {
  const int r = static_cast<int>(dims.size());
  std::vector<int64_t> idx(r, 0);
  int64_t rest = begin, at_in = 0, at_out = 0;
  for (int i = r - 1; i >= 0; --i) {
    idx[i] = rest % dims[i];
    rest /= dims[i];
    at_in += idx[i] * in_strides[i];
    at_out += idx[i] * out_strides[i];
  }
  for (int64_t k = begin; k < end; ++k) {
    fn(at_in, at_out);
    for (int i = r - 1; i >= 0; --i) {  // odometer step
      at_in += in_strides[i];
      at_out += out_strides[i];
      if (++idx[i] < dims[i]) break;
      at_in -= dims[i] * in_strides[i];
      at_out -= dims[i] * out_strides[i];
      idx[i] = 0;
    }
  }
}

// Below this many floats a piece of work is not worth waking a thread.
constexpr int64_t kMinChunkFloats = 1 << 14;

void TransposeCpu(const Tensor& x, const std::vector<int64_t>& perm, Tensor& y) {
  const int64_t n = y.num_elements();
  if (n == 0) return;
  const Merged m = MergeAxes(PlanFor(x.shape(), perm));
  const float* xp = x.data();
  float* yp = y.data();
  const int r = static_cast<int>(m.dims.size());
  if (r <= 1) {  // the identity on the memory
    ParallelFor(n, kMinChunkFloats,
                [&](int64_t b, int64_t e) { simd::Copy(xp + b, yp + b, e - b); });
    return;
  }
  if (m.in_strides[r - 1] == 1) {
    // The last axis stays last: copy runs of it.
    const int64_t run = m.dims[r - 1];
    std::vector<int64_t> dims(m.dims.begin(), m.dims.end() - 1);
    std::vector<int64_t> in_strides(m.in_strides.begin(), m.in_strides.end() - 1);
    std::vector<int64_t> out_strides(r - 1);
    int64_t stride = run;
    for (int i = r - 2; i >= 0; --i) {
      out_strides[i] = stride;
      stride *= m.dims[i];
    }
    ParallelFor(n / run, std::max<int64_t>(1, kMinChunkFloats / run), [&](int64_t b, int64_t e) {
      ForEachOuter(dims, in_strides, out_strides, b, e, [&](int64_t at_in, int64_t at_out) {
        simd::Copy(xp + at_in, yp + at_out, run);
      });
    });
    return;
  }
  // y's last axis (b) is strided in x, x's last axis (a, stride 1) is y's
  // axis q: a batch of 2-D transposes [b][a] -> [a][b], one per index of the
  // other axes, split into blocks of a.
  std::vector<int64_t> out_strides(r);
  int64_t stride = 1;
  for (int i = r - 1; i >= 0; --i) {
    out_strides[i] = stride;
    stride *= m.dims[i];
  }
  int q = 0;
  while (m.in_strides[q] != 1) ++q;
  const int64_t rows = m.dims[q], cols = m.dims[r - 1];
  const int64_t src_stride = m.in_strides[r - 1], dst_stride = out_strides[q];
  std::vector<int64_t> dims, in_strides, outer_out_strides;
  for (int i = 0; i < r - 1; ++i) {
    if (i == q) continue;
    dims.push_back(m.dims[i]);
    in_strides.push_back(m.in_strides[i]);
    outer_out_strides.push_back(out_strides[i]);
  }
  constexpr int64_t kRowsPerPiece = 64;
  const int64_t pieces_per_matrix = (rows + kRowsPerPiece - 1) / kRowsPerPiece;
  const int64_t matrices = n / (rows * cols);
  ParallelFor(matrices * pieces_per_matrix,
              std::max<int64_t>(1, kMinChunkFloats / (kRowsPerPiece * cols)),
              [&](int64_t b, int64_t e) {
                for (int64_t piece = b; piece < e; ++piece) {
                  const int64_t mat = piece / pieces_per_matrix;
                  const int64_t a0 = (piece % pieces_per_matrix) * kRowsPerPiece;
                  ForEachOuter(dims, in_strides, outer_out_strides, mat, mat + 1,
                               [&](int64_t at_in, int64_t at_out) {
                                 transpose::Transpose2D(xp + at_in + a0, src_stride,
                                                        yp + at_out + a0 * dst_stride, dst_stride,
                                                        std::min(kRowsPerPiece, rows - a0), cols);
                               });
                }
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
