#ifndef TESSERA_CORE_KERNEL_REGISTRY_H_
#define TESSERA_CORE_KERNEL_REGISTRY_H_

// Kernels per (op, device), each a forward and a gradient entry (like
// TensorFlow's REGISTER_KERNEL_BUILDER and Caffe's Forward/Backward pair).
// A device without a kernel for an op is an error naming both; nothing ever
// falls back silently to another device.
//
//   TESSERA_REGISTER_KERNEL("relu", Device::kCpu, ReluForward, ReluGradient);

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/backend.h"
#include "core/op_registry.h"
#include "core/tensor.h"

namespace tessera {

struct KernelContext {
  const Attrs& attrs;
  Backend& backend;
  // Training mode (dropout active, batch statistics) or evaluation.
  bool training = true;
  // Per node and step; ops that draw random numbers derive them from it.
  uint64_t seed = 0;
  // Tensors the forward kernel keeps for its gradient kernel (e.g. a dropout
  // mask or max-pool argmax). The gradient sees what the forward left here.
  std::vector<Tensor>& saved;
};

// `outputs` arrive allocated with the inferred shapes on the kernel's device;
// the kernel fills them. An optional output (OpSchema::OptionalOutput) may
// arrive shape-only (Tensor::defined() false): the kernel skips it.
using ForwardKernel = std::function<absl::Status(
    KernelContext& ctx, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs)>;

struct GradientArgs {
  const std::vector<Tensor>& inputs;
  const std::vector<Tensor>& outputs;
  // Same shapes as outputs; zeros where nothing flowed back, except for an
  // optional output (OpSchema::OptionalOutput): shape-only there.
  const std::vector<Tensor>& output_grads;
  // Allocated (not zeroed) with the input's shape where the gradient is
  // wanted, undefined where not (or where the executor passes an output's
  // gradient on itself: OpSchema::GradientPassesThrough); the kernel
  // overwrites the defined ones.
  std::vector<Tensor>& input_grads;
};
using GradientKernel = std::function<absl::Status(KernelContext& ctx, GradientArgs& args)>;

struct KernelDef {
  ForwardKernel forward;
  GradientKernel gradient;
};

class KernelRegistry {
 public:
  static KernelRegistry& Global();
  // Aborts on a duplicate (op, device).
  bool Register(const std::string& op, Device device, KernelDef kernel);
  // NotFound naming the op and device when absent.
  absl::StatusOr<const KernelDef*> Find(const std::string& op, Device device) const;
  bool Has(const std::string& op, Device device) const;

 private:
  std::map<std::pair<std::string, Device>, KernelDef> kernels_;
};

}  // namespace tessera

#define TESSERA_REGISTER_KERNEL(op, device, forward, gradient) \
  static const bool TS_CONCAT_(tessera_kernel_, __COUNTER__) = \
      ::tessera::KernelRegistry::Global().Register(op, device, \
                                                   ::tessera::KernelDef{forward, gradient})

#endif  // TESSERA_CORE_KERNEL_REGISTRY_H_
