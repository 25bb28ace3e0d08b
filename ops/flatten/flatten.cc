// flatten: [d0, ..., d(axis-1), d(axis), ...] -> [d0, ..., d(axis-1), prod(rest)].
// With the default axis 1, NCHW images become [N, C*H*W] rows for matmul.
// The data does not move; forward and gradient are plain copies.

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> FlattenShape(const std::vector<Shape>& in, const Attrs& attrs) {
  const int64_t axis = attrs.GetInt("axis");
  if (axis < 1 || axis > static_cast<int64_t>(in[0].size())) {
    return absl::InvalidArgumentError(absl::StrCat("axis ", axis, " is out of range [1, ",
                                                   in[0].size(), "] for input ",
                                                   ShapeToString(in[0])));
  }
  Shape out(in[0].begin(), in[0].begin() + axis);
  int64_t rest = 1;
  for (size_t i = axis; i < in[0].size(); ++i) rest *= in[0][i];
  out.push_back(rest);
  return std::vector<Shape>{out};
}

TESSERA_REGISTER_OP("flatten")
    .Input("x")
    .Output("y")
    .Attr("axis", AttrType::kInt, IntAttr(1))
    .Doc("Collapses the dimensions from `axis` on into one.")
    .ShapeFn(FlattenShape)
    // The gradient reads only shapes, and dx is dy in x's shape: the
    // executor hands dy's buffer on as a view.
    .GradientReads({}, {})
    .GradientPassesThrough(0)
    .Flops(NoFlops());

absl::Status Forward(KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  in[0].CopyInto(out[0]);
  return absl::OkStatus();
}

absl::Status Gradient(KernelContext&, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  args.output_grads[0].CopyInto(args.input_grads[0]);
  return absl::OkStatus();
}

// CopyInto copies on the tensors' device (on the GPU: on the backend's
// stream), so the same kernels serve both devices.
TESSERA_REGISTER_KERNEL("flatten", Device::kCpu, Forward, Gradient);
#if TESSERA_CUDA
TESSERA_REGISTER_KERNEL("flatten", Device::kCuda, Forward, Gradient);
#endif

}  // namespace

}  // namespace tessera
