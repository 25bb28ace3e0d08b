// The host side of elementwise ops: registering a functor's CPU entry
// points (one per Highway target, chosen at run time) and GPU launchers as
// the op's kernels. ops/common/elementwise_op.h calls it; an op never does.
#ifndef TESSERA_OPS_COMMON_ELEMENTWISE_KERNELS_H_
#define TESSERA_OPS_COMMON_ELEMENTWISE_KERNELS_H_

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/elementwise.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {

// Memory-bound loops: only split when a piece is large enough to pay for
// waking a worker.
constexpr int64_t kElementwiseMinChunk = 1 << 14;

// The CPU entry points elementwise_op.h defines per SIMD target (each
// builds its functor from the node's attributes) and dispatches to.
using UnaryForwardFn = void (*)(const Attrs&, const float* x, float* y, int64_t n);
using UnaryGradientFn = void (*)(const Attrs&, const float* x, const float* y, const float* dy,
                                 float* dx, int64_t n);
using BinaryForwardFn = void (*)(const Attrs&, const float* a, const float* b, float* y, int64_t n);
using BinaryGradientFn = void (*)(const Attrs&, const float* a, const float* b, const float* dy,
                                  float* da, float* db, int64_t n);

#if TESSERA_CUDA
namespace cuda {
// Defined in ops/common/elementwise.cuh, instantiated in each op's .cu.
template <class F>
void UnaryForward(const F& f, const float* x, float* y, int64_t n, void* stream);
template <class F>
void UnaryGradient(const F& f, const float* x, const float* y, const float* dy, float* dx,
                   int64_t n, void* stream);
template <class F>
void BinaryForward(const F& f, const float* a, const float* b, float* y, int64_t n, void* stream);
template <class F>
void BinaryGradient(const F& f, const float* a, const float* b, const float* dy, float* da,
                    float* db, int64_t n, void* stream);
}  // namespace cuda
#endif

namespace elementwise_internal {

// The arrays of one kernel call; null where not read or not wanted. A
// unary op uses x[0] and dx[0], a binary op x[0..1] and dx[0..1].
struct Arrays {
  const float* x[2] = {nullptr, nullptr};
  const float* y = nullptr;  // the forward's output, as the gradient reads it
  const float* dy = nullptr;
  float* out = nullptr;  // the forward's output
  float* dx[2] = {nullptr, nullptr};
  int64_t n = 0;

  // The same arrays from element `i` on (a thread's chunk).
  Arrays From(int64_t i) const {
    Arrays a = *this;
    for (int k = 0; k < 2; ++k) {
      if (a.x[k] != nullptr) a.x[k] += i;
      if (a.dx[k] != nullptr) a.dx[k] += i;
    }
    if (a.y != nullptr) a.y += i;
    if (a.dy != nullptr) a.dy += i;
    if (a.out != nullptr) a.out += i;
    a.n -= i;
    return a;
  }
};

inline const float* DataOrNull(const Tensor& t, bool wanted) {
  return wanted && t.defined() ? t.data() : nullptr;
}
inline float* DataOrNull(Tensor& t) { return t.defined() ? t.data() : nullptr; }

// How a unary and a binary op call their entry points: the only difference
// between the two.
struct Unary {
  static constexpr int kInputs = 1;
  using ForwardFn = UnaryForwardFn;
  using GradientFn = UnaryGradientFn;
  static void Forward(ForwardFn f, const Attrs& attrs, const Arrays& a) {
    f(attrs, a.x[0], a.out, a.n);
  }
  static void Gradient(GradientFn f, const Attrs& attrs, const Arrays& a) {
    f(attrs, a.x[0], a.y, a.dy, a.dx[0], a.n);
  }
#if TESSERA_CUDA
  template <class G>
  static void GpuForward(const G& g, const Arrays& a, void* stream) {
    cuda::UnaryForward(g, a.x[0], a.out, a.n, stream);
  }
  template <class G>
  static void GpuGradient(const G& g, const Arrays& a, void* stream) {
    cuda::UnaryGradient(g, a.x[0], a.y, a.dy, a.dx[0], a.n, stream);
  }
#endif
};

struct Binary {
  static constexpr int kInputs = 2;
  using ForwardFn = BinaryForwardFn;
  using GradientFn = BinaryGradientFn;
  static void Forward(ForwardFn f, const Attrs& attrs, const Arrays& a) {
    f(attrs, a.x[0], a.x[1], a.out, a.n);
  }
  static void Gradient(GradientFn f, const Attrs& attrs, const Arrays& a) {
    f(attrs, a.x[0], a.x[1], a.dy, a.dx[0], a.dx[1], a.n);
  }
#if TESSERA_CUDA
  template <class G>
  static void GpuForward(const G& g, const Arrays& a, void* stream) {
    cuda::BinaryForward(g, a.x[0], a.x[1], a.out, a.n, stream);
  }
  template <class G>
  static void GpuGradient(const G& g, const Arrays& a, void* stream) {
    cuda::BinaryGradient(g, a.x[0], a.x[1], a.dy, a.dx[0], a.dx[1], a.n, stream);
  }
#endif
};

template <class Arity>
Arrays ForwardArrays(const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  Arrays a;
  for (int k = 0; k < Arity::kInputs; ++k) a.x[k] = in[k].data();
  a.out = out[0].data();
  a.n = out[0].num_elements();
  return a;
}

// What the gradient reads (F::kGradientUses) and writes; false when no
// input gradient is wanted.
template <class Arity, class F>
bool GradientArrays(GradientArgs& args, Arrays* a) {
  constexpr bool kReadsX = (F::kGradientUses & kUsesInput) != 0;
  constexpr bool kReadsY = (F::kGradientUses & kUsesOutput) != 0;
  bool any = false;
  for (int k = 0; k < Arity::kInputs; ++k) {
    a->x[k] = DataOrNull(args.inputs[k], kReadsX);
    a->dx[k] = DataOrNull(args.input_grads[k]);
    any = any || a->dx[k] != nullptr;
  }
  a->y = DataOrNull(args.outputs[0], kReadsY);
  a->dy = args.output_grads[0].data();
  a->n = args.output_grads[0].num_elements();
  return any;
}

// Registers an elementwise op's kernels: the CPU entry points (per SIMD
// target, chosen at run time) run on the thread pool, and with CUDA the
// GPU launchers of GpuF. F is the functor (any instance of it:
// kGradientUses is all this reads).
template <class Arity, class F, class GpuF>
bool RegisterElementwise(const char* op, typename Arity::ForwardFn forward,
                         typename Arity::GradientFn gradient) {
  KernelDef cpu;
  cpu.forward = [forward](KernelContext& ctx, const std::vector<Tensor>& in,
                          std::vector<Tensor>& out) {
    const Arrays a = ForwardArrays<Arity>(in, out);
    ParallelFor(a.n, kElementwiseMinChunk, [&](int64_t b, int64_t e) {
      Arrays chunk = a.From(b);
      chunk.n = e - b;
      Arity::Forward(forward, ctx.attrs, chunk);
    });
    return absl::OkStatus();
  };
  cpu.gradient = [gradient](KernelContext& ctx, GradientArgs& args) {
    Arrays a;
    if (!GradientArrays<Arity, F>(args, &a)) return absl::OkStatus();
    ParallelFor(a.n, kElementwiseMinChunk, [&](int64_t b, int64_t e) {
      Arrays chunk = a.From(b);
      chunk.n = e - b;
      Arity::Gradient(gradient, ctx.attrs, chunk);
    });
    return absl::OkStatus();
  };
  KernelRegistry::Global().Register(op, Device::kCpu, cpu);
#if TESSERA_CUDA
  KernelDef gpu;
  const std::string name = op;
  gpu.forward = [name](KernelContext& ctx, const std::vector<Tensor>& in,
                       std::vector<Tensor>& out) {
    Arity::GpuForward(MakeElementwiseFunctor<GpuF>(ctx.attrs), ForwardArrays<Arity>(in, out),
                      CudaContextOf(ctx.backend).stream);
    return CudaLaunchStatus(absl::StrCat(name, " forward").c_str());
  };
  gpu.gradient = [name](KernelContext& ctx, GradientArgs& args) {
    Arrays a;
    if (!GradientArrays<Arity, F>(args, &a)) return absl::OkStatus();
    Arity::GpuGradient(MakeElementwiseFunctor<GpuF>(ctx.attrs), a,
                       CudaContextOf(ctx.backend).stream);
    return CudaLaunchStatus(absl::StrCat(name, " gradient").c_str());
  };
  KernelRegistry::Global().Register(op, Device::kCuda, gpu);
#endif
  return true;
}

}  // namespace elementwise_internal

// F is the functor (any instance of it: kGradientUses is all the CPU side
// reads); GpuF its tessera::cuda instance, which the GPU launchers take.
template <class F, class GpuF>
bool RegisterUnaryElementwise(const char* op, UnaryForwardFn forward, UnaryGradientFn gradient) {
  return elementwise_internal::RegisterElementwise<elementwise_internal::Unary, F, GpuF>(
      op, forward, gradient);
}

template <class F, class GpuF>
bool RegisterBinaryElementwise(const char* op, BinaryForwardFn forward, BinaryGradientFn gradient) {
  return elementwise_internal::RegisterElementwise<elementwise_internal::Binary, F, GpuF>(
      op, forward, gradient);
}

}  // namespace tessera

#endif  // TESSERA_OPS_COMMON_ELEMENTWISE_KERNELS_H_
