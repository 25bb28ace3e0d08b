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

inline const float* DataOrNull(const Tensor& t, bool wanted) {
  return wanted && t.defined() ? t.data() : nullptr;
}
inline float* DataOrNull(Tensor& t) { return t.defined() ? t.data() : nullptr; }
inline const float* Offset(const float* p, int64_t i) { return p == nullptr ? nullptr : p + i; }
inline float* Offset(float* p, int64_t i) { return p == nullptr ? nullptr : p + i; }

}  // namespace elementwise_internal

// F is the functor (any instance of it: kGradientUses is all the CPU side
// reads); GpuF its tessera::cuda instance, which the GPU launchers take.
template <class F, class GpuF>
bool RegisterUnaryElementwise(const char* op, UnaryForwardFn forward, UnaryGradientFn gradient) {
  using namespace elementwise_internal;  // NOLINT: local helpers
  constexpr bool kReadsX = (F::kGradientUses & kUsesInput) != 0;
  constexpr bool kReadsY = (F::kGradientUses & kUsesOutput) != 0;
  KernelDef cpu;
  cpu.forward = [forward](KernelContext& ctx, const std::vector<Tensor>& in,
                          std::vector<Tensor>& out) {
    const float* x = in[0].data();
    float* y = out[0].data();
    ParallelFor(out[0].num_elements(), kElementwiseMinChunk,
                [&](int64_t b, int64_t e) { forward(ctx.attrs, x + b, y + b, e - b); });
    return absl::OkStatus();
  };
  cpu.gradient = [gradient](KernelContext& ctx, GradientArgs& args) {
    float* dx = DataOrNull(args.input_grads[0]);
    if (dx == nullptr) return absl::OkStatus();
    const float* x = DataOrNull(args.inputs[0], kReadsX);
    const float* y = DataOrNull(args.outputs[0], kReadsY);
    const float* dy = args.output_grads[0].data();
    ParallelFor(args.output_grads[0].num_elements(), kElementwiseMinChunk,
                [&](int64_t b, int64_t e) {
                  gradient(ctx.attrs, Offset(x, b), Offset(y, b), dy + b, dx + b, e - b);
                });
    return absl::OkStatus();
  };
  KernelRegistry::Global().Register(op, Device::kCpu, cpu);
#if TESSERA_CUDA
  KernelDef gpu;
  const std::string name = op;
  gpu.forward = [name](KernelContext& ctx, const std::vector<Tensor>& in,
                       std::vector<Tensor>& out) {
    cuda::UnaryForward(MakeElementwiseFunctor<GpuF>(ctx.attrs), in[0].data(), out[0].data(),
                       out[0].num_elements(), CudaContextOf(ctx.backend).stream);
    return CudaLaunchStatus(absl::StrCat(name, " forward").c_str());
  };
  gpu.gradient = [name](KernelContext& ctx, GradientArgs& args) {
    float* dx = DataOrNull(args.input_grads[0]);
    if (dx == nullptr) return absl::OkStatus();
    cuda::UnaryGradient(MakeElementwiseFunctor<GpuF>(ctx.attrs),
                        DataOrNull(args.inputs[0], kReadsX), DataOrNull(args.outputs[0], kReadsY),
                        args.output_grads[0].data(), dx, args.output_grads[0].num_elements(),
                        CudaContextOf(ctx.backend).stream);
    return CudaLaunchStatus(absl::StrCat(name, " gradient").c_str());
  };
  KernelRegistry::Global().Register(op, Device::kCuda, gpu);
#endif
  return true;
}

template <class F, class GpuF>
bool RegisterBinaryElementwise(const char* op, BinaryForwardFn forward, BinaryGradientFn gradient) {
  using namespace elementwise_internal;  // NOLINT: local helpers
  constexpr bool kReadsInputs = (F::kGradientUses & kUsesInput) != 0;
  KernelDef cpu;
  cpu.forward = [forward](KernelContext& ctx, const std::vector<Tensor>& in,
                          std::vector<Tensor>& out) {
    const float* a = in[0].data();
    const float* b = in[1].data();
    float* y = out[0].data();
    ParallelFor(out[0].num_elements(), kElementwiseMinChunk,
                [&](int64_t i, int64_t e) { forward(ctx.attrs, a + i, b + i, y + i, e - i); });
    return absl::OkStatus();
  };
  cpu.gradient = [gradient](KernelContext& ctx, GradientArgs& args) {
    float* da = DataOrNull(args.input_grads[0]);
    float* db = DataOrNull(args.input_grads[1]);
    if (da == nullptr && db == nullptr) return absl::OkStatus();
    const float* a = DataOrNull(args.inputs[0], kReadsInputs);
    const float* b = DataOrNull(args.inputs[1], kReadsInputs);
    const float* dy = args.output_grads[0].data();
    ParallelFor(args.output_grads[0].num_elements(), kElementwiseMinChunk,
                [&](int64_t i, int64_t e) {
                  gradient(ctx.attrs, Offset(a, i), Offset(b, i), dy + i, Offset(da, i),
                           Offset(db, i), e - i);
                });
    return absl::OkStatus();
  };
  KernelRegistry::Global().Register(op, Device::kCpu, cpu);
#if TESSERA_CUDA
  KernelDef gpu;
  const std::string name = op;
  gpu.forward = [name](KernelContext& ctx, const std::vector<Tensor>& in,
                       std::vector<Tensor>& out) {
    cuda::BinaryForward(MakeElementwiseFunctor<GpuF>(ctx.attrs), in[0].data(), in[1].data(),
                        out[0].data(), out[0].num_elements(), CudaContextOf(ctx.backend).stream);
    return CudaLaunchStatus(absl::StrCat(name, " forward").c_str());
  };
  gpu.gradient = [name](KernelContext& ctx, GradientArgs& args) {
    float* da = DataOrNull(args.input_grads[0]);
    float* db = DataOrNull(args.input_grads[1]);
    if (da == nullptr && db == nullptr) return absl::OkStatus();
    cuda::BinaryGradient(
        MakeElementwiseFunctor<GpuF>(ctx.attrs), DataOrNull(args.inputs[0], kReadsInputs),
        DataOrNull(args.inputs[1], kReadsInputs), args.output_grads[0].data(), da, db,
        args.output_grads[0].num_elements(), CudaContextOf(ctx.backend).stream);
    return CudaLaunchStatus(absl::StrCat(name, " gradient").c_str());
  };
  KernelRegistry::Global().Register(op, Device::kCuda, gpu);
#endif
  return true;
}

}  // namespace tessera

#endif  // TESSERA_OPS_COMMON_ELEMENTWISE_KERNELS_H_
