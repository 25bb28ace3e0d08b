// reshape: the same values in another shape. In the `shape` attribute, 0
// keeps that dimension of the input (so the batch passes through) and one
// -1 takes whatever size is left, as in TensorFlow and PyTorch.

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> ReshapeShape(const std::vector<Shape>& in, const Attrs& attrs) {
  const std::vector<int64_t> spec = attrs.GetInts("shape");
  if (spec.empty()) return absl::InvalidArgumentError("attribute 'shape' is empty");
  Shape out;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == 0) {
      if (i >= in[0].size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "shape[", i, "] = 0 copies a dimension that input ", ShapeToString(in[0]), " lacks"));
      }
      d = in[0][i];
    } else if (d == -1) {
      if (infer >= 0) return absl::InvalidArgumentError("shape may contain only one -1");
      infer = static_cast<int>(i);
      out.push_back(1);
      continue;
    } else if (d < 0) {
      return absl::InvalidArgumentError(absl::StrCat("shape[", i, "] = ", d, " is invalid"));
    }
    if (d != 0 && known > kMaxElements / d) {
      return absl::InvalidArgumentError(
          absl::StrCat("shape ", ShapeToString(spec), " is too large"));
    }
    known *= d;
    out.push_back(d);
  }
  const int64_t total = NumElements(in[0]);
  if (infer >= 0) {
    if (known == 0 || total % known != 0) {
      return absl::InvalidArgumentError(absl::StrCat("cannot reshape ", ShapeToString(in[0]), " (",
                                                     total, " values) to ", ShapeToString(spec)));
    }
    out[infer] = total / known;
  }
  if (NumElements(out) != total) {
    return absl::InvalidArgumentError(absl::StrCat("cannot reshape ", ShapeToString(in[0]), " (",
                                                   total, " values) to ", ShapeToString(out)));
  }
  return std::vector<Shape>{out};
}

TESSERA_REGISTER_OP("reshape")
    .Input("x")
    .Output("y")
    .RequiredAttr("shape", AttrType::kInts)
    .Doc("Same values, new shape; 0 copies an input dimension, -1 is inferred.")
    .ShapeFn(ReshapeShape)
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
TESSERA_REGISTER_KERNEL("reshape", Device::kCpu, Forward, Gradient);
#if TESSERA_CUDA
TESSERA_REGISTER_KERNEL("reshape", Device::kCuda, Forward, Gradient);
#endif

}  // namespace

}  // namespace tessera
