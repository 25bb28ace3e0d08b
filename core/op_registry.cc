#include "core/op_registry.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tessera {

const char* AttrTypeName(AttrType type) {
  switch (type) {
    case AttrType::kInt:
      return "int";
    case AttrType::kFloat:
      return "float";
    case AttrType::kString:
      return "string";
    case AttrType::kBool:
      return "bool";
    case AttrType::kInts:
      return "list of ints";
    case AttrType::kFloats:
      return "list of floats";
  }
  return "unknown";
}

std::optional<AttrType> TypeOf(const AttrValue& value) {
  switch (value.value_case()) {
    case AttrValue::kI:
      return AttrType::kInt;
    case AttrValue::kF:
      return AttrType::kFloat;
    case AttrValue::kS:
      return AttrType::kString;
    case AttrValue::kB:
      return AttrType::kBool;
    case AttrValue::kInts:
      return AttrType::kInts;
    case AttrValue::kFloats:
      return AttrType::kFloats;
    case AttrValue::VALUE_NOT_SET:
      return std::nullopt;
  }
  return std::nullopt;
}

AttrValue IntAttr(int64_t v) {
  AttrValue a;
  a.set_i(v);
  return a;
}
AttrValue FloatAttr(float v) {
  AttrValue a;
  a.set_f(v);
  return a;
}
AttrValue StringAttr(const std::string& v) {
  AttrValue a;
  a.set_s(v);
  return a;
}
AttrValue BoolAttr(bool v) {
  AttrValue a;
  a.set_b(v);
  return a;
}
AttrValue IntsAttr(const std::vector<int64_t>& v) {
  AttrValue a;
  a.mutable_ints();  // an empty list is still a list
  for (int64_t x : v) a.mutable_ints()->add_v(x);
  return a;
}
AttrValue FloatsAttr(const std::vector<float>& v) {
  AttrValue a;
  a.mutable_floats();
  for (float x : v) a.mutable_floats()->add_v(x);
  return a;
}

const AttrValue& Attrs::Get(const std::string& name, AttrType type) const {
  auto it = values_.find(name);
  if (it == values_.end() || TypeOf(it->second) != type) {
    fprintf(stderr, "tessera: kernel asked for undeclared %s attribute '%s'\n", AttrTypeName(type),
            name.c_str());
    abort();
  }
  return it->second;
}

int64_t Attrs::GetInt(const std::string& name) const { return Get(name, AttrType::kInt).i(); }
float Attrs::GetFloat(const std::string& name) const { return Get(name, AttrType::kFloat).f(); }
const std::string& Attrs::GetString(const std::string& name) const {
  return Get(name, AttrType::kString).s();
}
bool Attrs::GetBool(const std::string& name) const { return Get(name, AttrType::kBool).b(); }
std::vector<int64_t> Attrs::GetInts(const std::string& name) const {
  const auto& v = Get(name, AttrType::kInts).ints().v();
  return {v.begin(), v.end()};
}
std::vector<float> Attrs::GetFloats(const std::string& name) const {
  const auto& v = Get(name, AttrType::kFloats).floats().v();
  return {v.begin(), v.end()};
}

OpSchema& OpSchema::Input(const std::string& name) {
  inputs_.push_back({name, true, false});
  return *this;
}
OpSchema& OpSchema::NonDifferentiableInput(const std::string& name) {
  inputs_.push_back({name, false, false});
  return *this;
}
OpSchema& OpSchema::OptionalInput(const std::string& name) {
  inputs_.push_back({name, true, true});
  return *this;
}
OpSchema& OpSchema::Output(const std::string& name) {
  outputs_.push_back(name);
  optional_outputs_.push_back(false);
  return *this;
}
OpSchema& OpSchema::OptionalOutput(const std::string& name) {
  outputs_.push_back(name);
  optional_outputs_.push_back(true);
  return *this;
}
OpSchema& OpSchema::Attr(const std::string& name, AttrType type, AttrValue default_value) {
  if (TypeOf(default_value) != type) {
    fprintf(stderr, "tessera: op %s: default of attribute %s is not a %s\n", name_.c_str(),
            name.c_str(), AttrTypeName(type));
    abort();
  }
  attrs_.push_back({name, type, std::move(default_value)});
  return *this;
}
OpSchema& OpSchema::RequiredAttr(const std::string& name, AttrType type) {
  attrs_.push_back({name, type, std::nullopt});
  return *this;
}
OpSchema& OpSchema::ShapeFn(tessera::ShapeFn fn) {
  shape_fn_ = std::move(fn);
  return *this;
}
OpSchema& OpSchema::GradientReads(std::vector<int> inputs, std::vector<int> outputs) {
  gradient_reads_inputs_ = std::move(inputs);
  gradient_reads_outputs_ = std::move(outputs);
  return *this;
}

OpSchema& OpSchema::InPlace() {
  in_place_ = true;
  return *this;
}

OpSchema& OpSchema::GradientPassesThrough(int input, int output) {
  // Declared next to the inputs and outputs it names: a wrong index is a
  // programmer error, found at static initialisation.
  if (input < 0 || input >= static_cast<int>(inputs_.size()) || output < 0 ||
      output >= static_cast<int>(outputs_.size())) {
    fprintf(stderr, "tessera: op %s: GradientPassesThrough(%d, %d) names no declared input/output\n",
            name_.c_str(), input, output);
    abort();
  }
  gradient_passes_through_[input] = output;
  return *this;
}

int OpSchema::GradientPassThroughOutput(int input) const {
  auto it = gradient_passes_through_.find(input);
  return it == gradient_passes_through_.end() ? -1 : it->second;
}

OpSchema& OpSchema::Workspace(const std::string& what, WorkspaceFn fn) {
  workspace_name_ = what;
  workspace_fn_ = std::move(fn);
  return *this;
}

OpSchema& OpSchema::Saves(SavedFn fn) {
  saved_fn_ = std::move(fn);
  return *this;
}

std::vector<double> OpSchema::SavedBytes(const std::vector<Shape>& inputs,
                                         const std::vector<Shape>& outputs,
                                         const Attrs& attrs) const {
  return saved_fn_ ? saved_fn_(inputs, outputs, attrs) : std::vector<double>{};
}

OpWorkspace OpSchema::WorkspaceBytes(const std::vector<Shape>& inputs,
                                     const std::vector<Shape>& outputs, const Attrs& attrs) const {
  return workspace_fn_ ? workspace_fn_(inputs, outputs, attrs) : OpWorkspace{};
}

bool OpSchema::GradientReadsInput(int i) const {
  return !gradient_reads_inputs_ ||
         std::count(gradient_reads_inputs_->begin(), gradient_reads_inputs_->end(), i) > 0;
}

bool OpSchema::GradientReadsOutput(int k) const {
  return !gradient_reads_outputs_ ||
         std::count(gradient_reads_outputs_->begin(), gradient_reads_outputs_->end(), k) > 0;
}

OpSchema& OpSchema::Flops(FlopsFn fn) {
  flops_fn_ = std::move(fn);
  return *this;
}

std::optional<OpCost> OpSchema::ForwardCost(const std::vector<Shape>& inputs,
                                            const std::vector<Shape>& outputs,
                                            const Attrs& attrs) const {
  if (!flops_fn_) return std::nullopt;
  const double flops = flops_fn_(inputs, outputs, attrs);
  if (flops < 0) return std::nullopt;
  double elements = 0;
  for (const Shape& s : inputs) elements += static_cast<double>(NumElements(s));
  for (const Shape& s : outputs) elements += static_cast<double>(NumElements(s));
  return OpCost{flops, 4.0 * elements};
}

FlopsFn FlopsPerOutputElement(double k) {
  return [k](const std::vector<Shape>&, const std::vector<Shape>& outputs, const Attrs&) {
    return outputs.empty() ? -1.0 : k * static_cast<double>(NumElements(outputs[0]));
  };
}

FlopsFn NoFlops() {
  return [](const std::vector<Shape>&, const std::vector<Shape>&, const Attrs&) { return 0.0; };
}

OpSchema& OpSchema::Doc(const std::string& doc) {
  doc_ = doc;
  return *this;
}

int OpSchema::min_inputs() const {
  int n = 0;
  for (const OpInputDef& in : inputs_) n += in.optional ? 0 : 1;
  return n;
}

absl::StatusOr<Attrs> OpSchema::ResolveAttrs(const std::map<std::string, AttrValue>& given) const {
  std::map<std::string, AttrValue> resolved;
  for (const auto& [name, value] : given) {
    const AttrDef* def = nullptr;
    for (const AttrDef& d : attrs_) {
      if (d.name == name) def = &d;
    }
    if (def == nullptr) {
      std::vector<std::string> known;
      for (const AttrDef& d : attrs_) known.push_back(d.name);
      return absl::InvalidArgumentError(
          absl::StrCat("unknown attribute '", name, "' for op ", name_,
                       " (known: ", known.empty() ? "none" : absl::StrJoin(known, ", "), ")"));
    }
    const std::optional<AttrType> type = TypeOf(value);
    if (type != def->type) {
      return absl::InvalidArgumentError(
          absl::StrCat("attribute '", name, "' of op ", name_, " must be a ",
                       AttrTypeName(def->type), ", got ", type ? AttrTypeName(*type) : "no value"));
    }
    // Bounded so that shape functions can multiply attributes and
    // dimensions without overflowing int64.
    std::vector<int64_t> ints;
    if (*type == AttrType::kInt) ints.push_back(value.i());
    if (*type == AttrType::kInts) ints.assign(value.ints().v().begin(), value.ints().v().end());
    for (int64_t v : ints) {
      if (v > kMaxDimension || v < -kMaxDimension) {
        return absl::InvalidArgumentError(absl::StrCat("attribute '", name, "' of op ", name_, ": ",
                                                       v, " is out of range (|value| <= 2^31)"));
      }
    }
    if (*type == AttrType::kInts && value.ints().v_size() > 64) {
      return absl::InvalidArgumentError(
          absl::StrCat("attribute '", name, "' of op ", name_, " has more than 64 values"));
    }
    resolved[name] = value;
  }
  for (const AttrDef& d : attrs_) {
    if (resolved.count(d.name)) continue;
    if (!d.default_value) {
      return absl::InvalidArgumentError(absl::StrCat("missing required ", AttrTypeName(d.type),
                                                     " attribute '", d.name, "' of op ", name_));
    }
    resolved[d.name] = *d.default_value;
  }
  return Attrs(std::move(resolved));
}

absl::StatusOr<std::vector<Shape>> OpSchema::InferShapes(const std::vector<Shape>& inputs,
                                                         const Attrs& attrs) const {
  if (static_cast<int>(inputs.size()) < min_inputs() ||
      static_cast<int>(inputs.size()) > max_inputs()) {
    return absl::InvalidArgumentError(
        absl::StrCat("op ", name_, " takes ", min_inputs(),
                     min_inputs() == max_inputs() ? "" : absl::StrCat(" to ", max_inputs()),
                     " inputs, got ", inputs.size()));
  }
  if (!shape_fn_) {
    return absl::InternalError(absl::StrCat("op ", name_, " has no shape function"));
  }
  TS_ASSIGN_OR_RETURN(std::vector<Shape> outputs, shape_fn_(inputs, attrs));
  if (outputs.size() != outputs_.size()) {
    return absl::InternalError(absl::StrCat("shape function of ", name_, " returned ",
                                            outputs.size(), " shapes for ", outputs_.size(),
                                            " outputs"));
  }
  return outputs;
}

OpRegistry& OpRegistry::Global() {
  static auto* registry = new OpRegistry();
  return *registry;
}

OpSchema& OpRegistry::Register(const std::string& name) {
  auto& slot = schemas_[name];
  if (slot != nullptr) {
    fprintf(stderr, "tessera: op '%s' registered twice\n", name.c_str());
    abort();
  }
  slot = std::make_unique<OpSchema>(name);
  return *slot;
}

const OpSchema* OpRegistry::Find(const std::string& name) const {
  auto it = schemas_.find(name);
  return it == schemas_.end() ? nullptr : it->second.get();
}

OpSchema* OpRegistry::FindMutable(const std::string& name) {
  auto it = schemas_.find(name);
  return it == schemas_.end() ? nullptr : it->second.get();
}

std::vector<std::string> OpRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, schema] : schemas_) names.push_back(name);
  return names;
}

ShapeFn EqualShapes(const std::string& op) {
  return [op](const std::vector<Shape>& in, const Attrs&) -> absl::StatusOr<std::vector<Shape>> {
    if (in[0] != in[1]) {
      return absl::InvalidArgumentError(
          absl::StrCat("x has shape ", ShapeToString(in[0]), " but y has shape ",
                       ShapeToString(in[1]), "; ", op, " needs equal shapes (no broadcasting)"));
    }
    return std::vector<Shape>{in[0]};
  };
}

ShapeFn SameShapeAsInput(int index) {
  return [index](const std::vector<Shape>& inputs,
                 const Attrs&) -> absl::StatusOr<std::vector<Shape>> {
    return std::vector<Shape>{inputs[index]};
  };
}

absl::Status ExpectRank(const Shape& shape, int rank, const std::string& what) {
  if (static_cast<int>(shape.size()) != rank) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must have rank ", rank, ", got shape ", ShapeToString(shape)));
  }
  return absl::OkStatus();
}

}  // namespace tessera
