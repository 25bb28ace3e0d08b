// concat: joins 2 to 8 tensors along one axis, as torch.cat.
//
// Attribute axis (default 1, the channels of NCHW); a negative axis counts
// from the end. All inputs have the same rank and agree on every other
// dimension. The gradient splits dy back into the inputs' pieces.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/rows.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

// Floats per parallel chunk below which threads cost more than they save.
constexpr int64_t kMinChunkFloats = 1 << 14;

absl::StatusOr<int> NormalizedAxis(const Attrs& attrs, int rank) {
  const int64_t axis = attrs.GetInt("axis");
  if (axis < -rank || axis >= rank) {
    return absl::InvalidArgumentError(
        absl::StrCat("axis ", axis, " is out of range for rank-", rank, " inputs"));
  }
  return static_cast<int>(axis < 0 ? axis + rank : axis);
}

absl::StatusOr<std::vector<Shape>> ConcatShape(const std::vector<Shape>& in, const Attrs& attrs) {
  const int rank = static_cast<int>(in[0].size());
  if (rank == 0) return absl::InvalidArgumentError("cannot concatenate scalars (x0 has rank 0)");
  TS_ASSIGN_OR_RETURN(const int axis, NormalizedAxis(attrs, rank));
  Shape out = in[0];
  for (size_t k = 1; k < in.size(); ++k) {
    bool match = static_cast<int>(in[k].size()) == rank;
    for (int d = 0; match && d < rank; ++d) match = d == axis || in[k][d] == in[0][d];
    if (!match) {
      return absl::InvalidArgumentError(absl::StrCat("x", k, " ", ShapeToString(in[k]),
                                                     " does not match x0 ", ShapeToString(in[0]),
                                                     " outside axis ", axis));
    }
    out[axis] += in[k][axis];
  }
  return std::vector<Shape>{out};
}

TESSERA_REGISTER_OP("concat")
    .Input("x0")
    .Input("x1")
    .OptionalInput("x2")
    .OptionalInput("x3")
    .OptionalInput("x4")
    .OptionalInput("x5")
    .OptionalInput("x6")
    .OptionalInput("x7")
    .Output("y")
    .Attr("axis", AttrType::kInt, IntAttr(1))
    .Doc("Concatenates 2 to 8 tensors along `axis` (default 1, channels).")
    .ShapeFn(ConcatShape)
    // The gradient reads only shapes.
    .GradientReads({}, {})
    .Flops(NoFlops());

// The output as `outer` rows; input k fills columns [offset[k], offset[k] +
// width[k]) of each row, where widths count the axis times the inner size.
struct Layout {
  int64_t outer = 1, row = 0;
  std::vector<int64_t> width, offset;
};

absl::StatusOr<Layout> LayoutOf(const Attrs& attrs, const std::vector<Tensor>& parts) {
  const Shape& s0 = parts[0].shape();
  TS_ASSIGN_OR_RETURN(const int axis, NormalizedAxis(attrs, static_cast<int>(s0.size())));
  Layout l;
  int64_t inner = 1;
  for (int d = 0; d < axis; ++d) l.outer *= s0[d];
  for (int d = axis + 1; d < static_cast<int>(s0.size()); ++d) inner *= s0[d];
  for (const Tensor& t : parts) {
    l.offset.push_back(l.row);
    l.width.push_back(t.dim(axis) * inner);
    l.row += l.width.back();
  }
  return l;
}

// Calls fn(k, at, part_at, count): input k's piece of row o, `count` floats
// at `part_at` in the input, sits at `at` in the output.
template <typename Fn>
void ForEachPiece(const Layout& l, const Fn& fn) {
  const int64_t min_rows = std::max<int64_t>(1, kMinChunkFloats / std::max<int64_t>(1, l.row));
  ParallelFor(l.outer, min_rows, [&](int64_t b, int64_t e) {
    for (int64_t o = b; o < e; ++o) {
      for (size_t k = 0; k < l.width.size(); ++k) {
        fn(k, o * l.row + l.offset[k], o * l.width[k], l.width[k]);
      }
    }
  });
}

absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(Layout l, LayoutOf(ctx.attrs, in));
  float* y = out[0].data();
  ForEachPiece(l, [&](size_t k, int64_t at, int64_t part_at, int64_t count) {
    simd::Copy(in[k].data() + part_at, y + at, count);
  });
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  TS_ASSIGN_OR_RETURN(Layout l, LayoutOf(ctx.attrs, args.inputs));
  const float* dy = args.output_grads[0].data();
  ForEachPiece(l, [&](size_t k, int64_t at, int64_t part_at, int64_t count) {
    Tensor& dx = args.input_grads[k];
    if (dx.defined()) simd::Copy(dy + at, dx.data() + part_at, count);
  });
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("concat", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in concat.cu. Part k (of count, 1 to 8) holds `outer` rows of
// widths[k] floats, which sit side by side in the output's rows.
namespace cuda {
void ConcatForward(const float* const* parts, const int64_t* widths, int count, int64_t outer,
                   float* y, cudaStream_t stream);
// grads[k] may be null (that gradient is not wanted).
void ConcatGradient(const float* dy, float* const* grads, const int64_t* widths, int count,
                    int64_t outer, cudaStream_t stream);
}  // namespace cuda

namespace {

constexpr size_t kMaxParts = 8;

absl::Status CheckPartCount(size_t count) {
  if (count < 1 || count > kMaxParts) {
    return absl::InvalidArgumentError(
        absl::StrCat("the CUDA concat kernel takes 1 to 8 inputs, got ", count));
  }
  return absl::OkStatus();
}

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(Layout l, LayoutOf(ctx.attrs, in));
  TS_RETURN_IF_ERROR(CheckPartCount(in.size()));
  std::vector<const float*> parts;
  for (const Tensor& t : in) parts.push_back(t.data());
  cuda::ConcatForward(parts.data(), l.width.data(), static_cast<int>(parts.size()), l.outer,
                      out[0].data(), CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("concat forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  TS_ASSIGN_OR_RETURN(Layout l, LayoutOf(ctx.attrs, args.inputs));
  TS_RETURN_IF_ERROR(CheckPartCount(args.inputs.size()));
  std::vector<float*> grads;
  bool any = false;
  for (Tensor& g : args.input_grads) {
    grads.push_back(g.defined() ? g.data() : nullptr);
    any = any || g.defined();
  }
  if (!any) return absl::OkStatus();
  cuda::ConcatGradient(args.output_grads[0].data(), grads.data(), l.width.data(),
                       static_cast<int>(grads.size()), l.outer, CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("concat gradient");
}

TESSERA_REGISTER_KERNEL("concat", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
