#include "core/test_ops.h"

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"

namespace tessera {
namespace {

absl::StatusOr<std::vector<Shape>> SameShapes(const std::vector<Shape>& in, const Attrs&) {
  if (in[0] != in[1]) {
    return absl::InvalidArgumentError(
        absl::StrCat("shapes ", ShapeToString(in[0]), " and ", ShapeToString(in[1]), " differ"));
  }
  return std::vector<Shape>{in[0]};
}

// test_add passes its gradient through to both inputs, as add does;
// test_add_copying is the same op with kernels that copy it.
TESSERA_REGISTER_OP("test_add")
    .Input("x")
    .Input("y")
    .Output("z")
    .ShapeFn(SameShapes)
    .GradientPassesThrough(0)
    .GradientPassesThrough(1);
TESSERA_REGISTER_OP("test_add_copying").Input("x").Input("y").Output("z").ShapeFn(SameShapes);
// y = 2x and, when something reads it, the optional output extra = x + 1.
TESSERA_REGISTER_OP("test_double")
    .Input("x")
    .Output("y")
    .OptionalOutput("extra")
    .ShapeFn([](const std::vector<Shape>& in, const Attrs&) -> absl::StatusOr<std::vector<Shape>> {
      return std::vector<Shape>{in[0], in[0]};
    });
TESSERA_REGISTER_OP("test_mul").Input("x").Input("y").Output("z").ShapeFn(SameShapes);
TESSERA_REGISTER_OP("test_scale")
    .Input("x")
    .Output("y")
    .Attr("factor", AttrType::kFloat, FloatAttr(2.0f))
    .ShapeFn(SameShapeAsInput(0));
TESSERA_REGISTER_OP("test_sum")
    .Input("x")
    .Output("y")
    .ShapeFn([](const std::vector<Shape>&, const Attrs&) -> absl::StatusOr<std::vector<Shape>> {
      return std::vector<Shape>{Shape{}};
    });

template <typename F>
void Map2(const Tensor& a, const Tensor& b, Tensor& out, F f) {
  for (int64_t i = 0; i < out.num_elements(); ++i) out.data()[i] = f(a.data()[i], b.data()[i]);
}

absl::Status AddForward(KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  Map2(in[0], in[1], out[0], [](float a, float b) { return a + b; });
  return absl::OkStatus();
}
absl::Status AddGradient(KernelContext&, GradientArgs& args) {
  for (Tensor& g : args.input_grads) {
    if (g.defined()) args.output_grads[0].CopyInto(g);
  }
  return absl::OkStatus();
}
TESSERA_REGISTER_KERNEL("test_add", Device::kCpu, AddForward, AddGradient);
TESSERA_REGISTER_KERNEL("test_add_copying", Device::kCpu, AddForward, AddGradient);

TESSERA_REGISTER_KERNEL(
    "test_double", Device::kCpu,
    [](KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
      for (int64_t i = 0; i < in[0].num_elements(); ++i) {
        out[0].data()[i] = 2 * in[0].data()[i];
        if (out[1].defined()) out[1].data()[i] = in[0].data()[i] + 1;
      }
      return absl::OkStatus();
    },
    [](KernelContext&, GradientArgs& args) {
      const Tensor& dextra = args.output_grads[1];  // undefined when none flows back
      for (int64_t i = 0; i < args.inputs[0].num_elements(); ++i) {
        args.input_grads[0].data()[i] =
            2 * args.output_grads[0].data()[i] + (dextra.defined() ? dextra.data()[i] : 0.0f);
      }
      return absl::OkStatus();
    });

TESSERA_REGISTER_KERNEL(
    "test_mul", Device::kCpu,
    [](KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
      Map2(in[0], in[1], out[0], [](float a, float b) { return a * b; });
      return absl::OkStatus();
    },
    [](KernelContext&, GradientArgs& args) {
      for (int i = 0; i < 2; ++i) {
        if (args.input_grads[i].defined()) {
          Map2(args.output_grads[0], args.inputs[1 - i], args.input_grads[i],
               [](float g, float other) { return g * other; });
        }
      }
      return absl::OkStatus();
    });

TESSERA_REGISTER_KERNEL(
    "test_scale", Device::kCpu,
    [](KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
      const float f = ctx.attrs.GetFloat("factor");
      for (int64_t i = 0; i < in[0].num_elements(); ++i) out[0].data()[i] = f * in[0].data()[i];
      return absl::OkStatus();
    },
    [](KernelContext& ctx, GradientArgs& args) {
      const float f = ctx.attrs.GetFloat("factor");
      for (int64_t i = 0; i < args.inputs[0].num_elements(); ++i) {
        args.input_grads[0].data()[i] = f * args.output_grads[0].data()[i];
      }
      return absl::OkStatus();
    });

TESSERA_REGISTER_KERNEL(
    "test_sum", Device::kCpu,
    [](KernelContext&, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
      double s = 0;
      for (int64_t i = 0; i < in[0].num_elements(); ++i) s += in[0].data()[i];
      out[0].data()[0] = static_cast<float>(s);
      return absl::OkStatus();
    },
    [](KernelContext&, GradientArgs& args) {
      for (int64_t i = 0; i < args.inputs[0].num_elements(); ++i) {
        args.input_grads[0].data()[i] = args.output_grads[0].data()[0];
      }
      return absl::OkStatus();
    });

}  // namespace
}  // namespace tessera

namespace tessera {
namespace {
// An op with a schema and no kernel on any device.
TESSERA_REGISTER_OP("test_no_kernel").Input("x").Output("y").ShapeFn(SameShapeAsInput(0));
}  // namespace
}  // namespace tessera
