#ifndef TESSERA_CORE_OP_REGISTRY_H_
#define TESSERA_CORE_OP_REGISTRY_H_

// The op schema registry (like TensorFlow's REGISTER_OP): an op's name,
// inputs, outputs, typed attributes with defaults, and shape inference.
// Device-free; kernels are registered separately (core/kernel_registry.h).
//
//   TESSERA_REGISTER_OP("relu")
//       .Input("x")
//       .Output("y")
//       .Doc("max(x, 0), elementwise.")
//       .ShapeFn(SameShapeAsInput(0));

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/graph.pb.h"
#include "core/shape.h"
#include "core/status_macros.h"

namespace tessera {

enum class AttrType { kInt, kFloat, kString, kBool, kInts, kFloats };
const char* AttrTypeName(AttrType type);
// The type an AttrValue holds, or nullopt when it holds nothing.
std::optional<AttrType> TypeOf(const AttrValue& value);

AttrValue IntAttr(int64_t v);
AttrValue FloatAttr(float v);
AttrValue StringAttr(const std::string& v);
AttrValue BoolAttr(bool v);
AttrValue IntsAttr(const std::vector<int64_t>& v);
AttrValue FloatsAttr(const std::vector<float>& v);

// A node's attributes after validation: every declared attribute present,
// with defaults filled in and types checked. Getters abort on a name the
// schema does not declare (a programmer error, not a user's).
class Attrs {
 public:
  Attrs() = default;
  explicit Attrs(std::map<std::string, AttrValue> values) : values_(std::move(values)) {}

  int64_t GetInt(const std::string& name) const;
  float GetFloat(const std::string& name) const;
  const std::string& GetString(const std::string& name) const;
  bool GetBool(const std::string& name) const;
  std::vector<int64_t> GetInts(const std::string& name) const;
  std::vector<float> GetFloats(const std::string& name) const;
  bool Has(const std::string& name) const { return values_.count(name) > 0; }
  const std::map<std::string, AttrValue>& values() const { return values_; }

 private:
  const AttrValue& Get(const std::string& name, AttrType type) const;
  std::map<std::string, AttrValue> values_;
};

// Computes output shapes from input shapes; returns InvalidArgument naming
// the problem (the caller adds the node's name).
using ShapeFn = std::function<absl::StatusOr<std::vector<Shape>>(const std::vector<Shape>& inputs,
                                                                 const Attrs& attrs)>;

// Forward FLOPs of one call from its input and output shapes and attributes
// (a multiply-add is 2 FLOPs, the convention of most FLOP counters such as
// fvcore); negative when the shapes do not say (malformed input to a tool).
using FlopsFn = std::function<double(const std::vector<Shape>& inputs,
                                     const std::vector<Shape>& outputs, const Attrs& attrs)>;

// What one forward call costs: //tools:summary prints it, the benchmarks put
// measured times against it (roofline).
struct OpCost {
  double flops = 0;
  // Memory traffic of a straightforward kernel: every input read once and
  // every output written once, 4 bytes a float.
  double bytes = 0;
};

// Scratch memory one call's kernels allocate beyond its inputs and outputs
// (e.g. a convolution's im2col columns), in bytes; freed when the call
// returns. The memory estimate (core/memory_estimate.h) adds it at that node.
struct OpWorkspace {
  double forward_bytes = 0;
  // Per input: the gradient call's scratch when that input's gradient is
  // wanted (the call needs the largest of the wanted ones); missing: none.
  std::vector<double> gradient_bytes;
};
using WorkspaceFn = std::function<OpWorkspace(
    const std::vector<Shape>& inputs, const std::vector<Shape>& outputs, const Attrs& attrs)>;
// The tensors a training forward keeps for its gradient (KernelContext::
// saved: max pool's argmax, LRN's scale, dropout's mask), bytes per tensor.
// They live from the node's forward until its gradient ran; the memory
// estimate counts them.
using SavedFn = std::function<std::vector<double>(
    const std::vector<Shape>& inputs, const std::vector<Shape>& outputs, const Attrs& attrs)>;

struct OpInputDef {
  std::string name;
  bool differentiable = true;  // false for e.g. integer class labels
  bool optional = false;       // only trailing inputs may be optional
};

struct AttrDef {
  std::string name;
  AttrType type;
  std::optional<AttrValue> default_value;  // nullopt: required
};

class OpSchema {
 public:
  explicit OpSchema(std::string name) : name_(std::move(name)) {}

  OpSchema& Input(const std::string& name);
  OpSchema& NonDifferentiableInput(const std::string& name);
  OpSchema& OptionalInput(const std::string& name);
  OpSchema& Output(const std::string& name);
  // An output the op computes only for readers that ask for it (max pool's
  // indices, dropout's keep mask): when nothing reads it (no node, not a
  // graph output, not the loss, no state update) the executor allocates no
  // storage for it and hands the forward kernel a shape-only tensor
  // (Tensor::defined() false) in its place, which the kernel skips; its
  // gradient slot gets an undefined tensor instead of zeros whenever no
  // gradient flows back into it. The kernels still fill it when it is
  // defined (the conformance harness, a graph that reads it).
  OpSchema& OptionalOutput(const std::string& name);
  OpSchema& Attr(const std::string& name, AttrType type, AttrValue default_value);
  OpSchema& RequiredAttr(const std::string& name, AttrType type);
  OpSchema& ShapeFn(tessera::ShapeFn fn);
  OpSchema& Doc(const std::string& doc);
  // Every op declares its forward FLOPs (see FlopsFn and the helpers below).
  OpSchema& Flops(FlopsFn fn);
  // The forward values whose data the gradient kernels read, by index
  // (default: every input and output). The executor releases the others
  // when the forward no longer needs them; the gradient then gets them with
  // their shape and no storage.
  OpSchema& GradientReads(std::vector<int> inputs, std::vector<int> outputs);
  // Output 0 may share input 0's storage (kernels that allow aliasing, such
  // as the elementwise ones): the executor then runs the op in place when
  // nothing else needs input 0.
  OpSchema& InPlace();
  // Input `input`'s gradient is output `output`'s gradient unchanged: the
  // same elements in the same order (add's x and y, bias_add's x, a
  // reshape). The executor then asks the kernel for no such gradient: it
  // hands the output gradient's buffer on as the input's (a view in the
  // input's shape), or adds it straight into a gradient the input already
  // has (fan-out), as PyTorch's autograd passes an add's gradient on. Only
  // one input can take over the buffer; for another input passing through
  // the same output, and for callers outside the executor (the gradient
  // check, the benchmarks), the kernel still writes the gradient when its
  // tensor is defined.
  OpSchema& GradientPassesThrough(int input, int output = 0);
  // Ops whose CPU kernels need scratch memory declare it; `what` names it in
  // the estimate's list of contributors ("conv1 im2col workspace").
  OpSchema& Workspace(const std::string& what, WorkspaceFn fn);
  // Ops whose training forward saves tensors for the gradient declare them.
  OpSchema& Saves(SavedFn fn);

  const std::string& name() const { return name_; }
  const std::vector<OpInputDef>& inputs() const { return inputs_; }
  const std::vector<std::string>& outputs() const { return outputs_; }
  bool output_optional(int k) const { return optional_outputs_.at(k); }
  const std::vector<AttrDef>& attrs() const { return attrs_; }
  const std::string& doc() const { return doc_; }
  int min_inputs() const;
  int max_inputs() const { return static_cast<int>(inputs_.size()); }

  // Checks attribute names and types and fills in defaults.
  absl::StatusOr<Attrs> ResolveAttrs(const std::map<std::string, AttrValue>& given) const;
  absl::StatusOr<std::vector<Shape>> InferShapes(const std::vector<Shape>& inputs,
                                                 const Attrs& attrs) const;
  bool has_flops() const { return static_cast<bool>(flops_fn_); }
  bool GradientReadsInput(int i) const;
  bool GradientReadsOutput(int k) const;
  bool in_place() const { return in_place_; }
  // The output whose gradient input `input`'s gradient is
  // (GradientPassesThrough), or -1.
  int GradientPassThroughOutput(int input) const;
  // Zero for ops that declare none.
  OpWorkspace WorkspaceBytes(const std::vector<Shape>& inputs, const std::vector<Shape>& outputs,
                             const Attrs& attrs) const;
  const std::string& workspace_name() const { return workspace_name_; }
  // Empty for ops that declare none.
  std::vector<double> SavedBytes(const std::vector<Shape>& inputs,
                                 const std::vector<Shape>& outputs, const Attrs& attrs) const;
  // nullopt when the op declares no FLOPs or its FlopsFn cannot tell.
  std::optional<OpCost> ForwardCost(const std::vector<Shape>& inputs,
                                    const std::vector<Shape>& outputs, const Attrs& attrs) const;

 private:
  std::string name_;
  std::vector<OpInputDef> inputs_;
  std::vector<std::string> outputs_;
  std::vector<bool> optional_outputs_;  // per output
  std::vector<AttrDef> attrs_;
  tessera::ShapeFn shape_fn_;
  FlopsFn flops_fn_;
  std::optional<std::vector<int>> gradient_reads_inputs_, gradient_reads_outputs_;
  bool in_place_ = false;
  std::map<int, int> gradient_passes_through_;  // input -> output
  WorkspaceFn workspace_fn_;
  SavedFn saved_fn_;
  std::string workspace_name_ = "workspace";
  std::string doc_;
};

class OpRegistry {
 public:
  static OpRegistry& Global();
  // Aborts on a duplicate name: two ops claiming one name is a build error.
  OpSchema& Register(const std::string& name);
  // nullptr when unknown.
  const OpSchema* Find(const std::string& name) const;
  // For code that completes a schema registered just before it in the same
  // file (ops/common/elementwise_op.h); nullptr when unknown.
  OpSchema* FindMutable(const std::string& name);
  std::vector<std::string> Names() const;  // sorted

 private:
  std::map<std::string, std::unique_ptr<OpSchema>> schemas_;
};

// Shape helpers shared by many ops.
ShapeFn SameShapeAsInput(int index);
// Two inputs of one shape, the output's (binary elementwise ops). No
// broadcasting: a mismatch is an error naming `op`, so a wiring mistake is
// not silently broadcast away (bias_add adds per-channel biases).
ShapeFn EqualShapes(const std::string& op);
// FLOP helpers: k per element of output 0 (elementwise ops: 1), or none
// (data movement: flatten, reshape, concat).
FlopsFn FlopsPerOutputElement(double k);
FlopsFn NoFlops();
// InvalidArgument unless `shape` has `rank` dimensions; `what` names it.
absl::Status ExpectRank(const Shape& shape, int rank, const std::string& what);

}  // namespace tessera

#define TESSERA_REGISTER_OP(name)                                           \
  static ::tessera::OpSchema& TS_CONCAT_(tessera_op_schema_, __COUNTER__) = \
      ::tessera::OpRegistry::Global().Register(name)

#endif  // TESSERA_CORE_OP_REGISTRY_H_
