// libFuzzer target: the graph loader. Text (.pbtxt) -> GraphDef -> Graph.
// Every op in //ops:all_ops is linked in (tools/fuzz/Makefile), so Build()
// runs the real attribute checks and shape functions. Must never abort or
// hit undefined behaviour: a malformed graph is a user mistake and must come
// back as a Status.
//
// Byte-level mutation of text rarely keeps a graph valid, so half of the
// mutations are structural (a small stand-in for libprotobuf-mutator, which
// Debian does not package): parse the input, change one thing in the
// GraphDef -- a dimension or integer attribute set to an edge value, an op
// swapped, an input rewired, an attribute added -- and print it back.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/op_registry.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/text_format.h"

// Protobuf logs every string field with invalid UTF-8 to stderr; at
// thousands of inputs a second that drowns the fuzzer's own output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<tessera::GraphDef> def = tessera::ParseGraphText(text, "fuzz.pbtxt");
  if (!def.ok()) return 0;
  absl::StatusOr<tessera::Graph> graph = tessera::Graph::Build(*def);
  if (!graph.ok()) return 0;
  // Build() checked shapes with batch 2; trainers and tools also ask for
  // other batch sizes.
  for (int64_t batch : {1, 3, 64}) {
    absl::StatusOr<std::map<std::string, tessera::Shape>> shapes = graph->InferShapes(batch);
    (void)shapes;
  }
  for (const auto& input : graph->def().input()) {
    (void)graph->InputShape(input.name(), 5);
  }
  return 0;
}

namespace {

using Rng = std::mt19937_64;

class Quiet : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int, int, const std::string&) override {}
};

template <typename T>
T Pick(Rng& rng, const std::vector<T>& v) {
  return v[rng() % v.size()];
}

int64_t InterestingInt(Rng& rng) {
  static const std::vector<int64_t> kValues = {0,
                                               1,
                                               -1,
                                               2,
                                               3,
                                               -2,
                                               7,
                                               255,
                                               256,
                                               65535,
                                               65536,
                                               int64_t{1} << 24,
                                               int64_t{1} << 31,
                                               (int64_t{1} << 31) - 1,
                                               int64_t{1} << 32,
                                               int64_t{1} << 40,
                                               int64_t{1} << 62,
                                               std::numeric_limits<int64_t>::max(),
                                               std::numeric_limits<int64_t>::min(),
                                               std::numeric_limits<int64_t>::max() / 2 + 1,
                                               -(int64_t{1} << 62)};
  switch (rng() % 4) {
    case 0:
      return static_cast<int64_t>(rng());
    case 1:
      return static_cast<int64_t>(rng() % 64);
    default:
      return Pick(rng, kValues);
  }
}

float InterestingFloat(Rng& rng) {
  static const std::vector<float> kValues = {0.0f,
                                             -0.0f,
                                             1.0f,
                                             -1.0f,
                                             0.5f,
                                             1e-30f,
                                             1e30f,
                                             3e38f,
                                             -3e38f,
                                             std::numeric_limits<float>::infinity(),
                                             -std::numeric_limits<float>::infinity(),
                                             std::numeric_limits<float>::quiet_NaN(),
                                             std::numeric_limits<float>::denorm_min(),
                                             9.3e18f,
                                             -9.3e18f};
  return Pick(rng, kValues);
}

void RandomAttrValue(Rng& rng, tessera::AttrValue* v) {
  switch (rng() % 6) {
    case 0:
      v->set_i(InterestingInt(rng));
      break;
    case 1:
      v->set_f(InterestingFloat(rng));
      break;
    case 2:
      v->set_s(Pick<std::string>(rng, {"nearest", "bilinear", "", "x"}));
      break;
    case 3:
      v->set_b(rng() % 2);
      break;
    case 4: {
      auto* ints = v->mutable_ints();
      ints->clear_v();
      for (int n = rng() % 5; n > 0; --n) ints->add_v(InterestingInt(rng));
      break;
    }
    default: {
      auto* floats = v->mutable_floats();
      floats->clear_v();
      for (int n = rng() % 3; n > 0; --n) floats->add_v(InterestingFloat(rng));
    }
  }
}

// Every value name a node input could refer to.
std::vector<std::string> ValueNames(const tessera::GraphDef& def) {
  std::vector<std::string> names;
  for (const auto& in : def.input()) names.push_back(in.name());
  for (const auto& p : def.parameter()) names.push_back(p.name());
  for (const auto& n : def.node()) {
    names.push_back(n.name());
    names.push_back(n.name() + ":1");
  }
  if (names.empty()) names.push_back("x");
  return names;
}

void MutateGraph(tessera::GraphDef& def, Rng& rng) {
  // Pointers to every integer the graph holds: dimensions and int attributes.
  // (Protobuf has no pointer to a oneof member, hence setters.)
  std::vector<std::function<void(int64_t)>> ints;
  std::vector<std::function<void(float)>> floats;
  for (auto& in : *def.mutable_input()) {
    for (auto& d : *in.mutable_shape()) ints.push_back([&d](int64_t v) { d = v; });
  }
  for (auto& p : *def.mutable_parameter()) {
    for (auto& d : *p.mutable_shape()) ints.push_back([&d](int64_t v) { d = v; });
    tessera::InitializerDef* init = p.mutable_init();
    floats.push_back([init](float v) { init->set_value(v); });
    floats.push_back([init](float v) { init->set_low(v); });
    floats.push_back([init](float v) { init->set_high(v); });
    floats.push_back([init](float v) { init->set_stddev(v); });
    floats.push_back([init](float v) { init->set_gain(v); });
  }
  for (auto& node : *def.mutable_node()) {
    for (auto& [key, value] : *node.mutable_attr()) {
      tessera::AttrValue* a = &value;
      if (a->value_case() == tessera::AttrValue::kI)
        ints.push_back([a](int64_t v) { a->set_i(v); });
      if (a->value_case() == tessera::AttrValue::kF)
        floats.push_back([a](float v) { a->set_f(v); });
      if (a->has_ints()) {
        for (auto& v : *a->mutable_ints()->mutable_v()) ints.push_back([&v](int64_t x) { v = x; });
      }
    }
  }
  const std::vector<std::string> values = ValueNames(def);
  const tessera::OpRegistry& registry = tessera::OpRegistry::Global();
  switch (rng() % 10) {
    case 0:
    case 1:
    case 2:
      if (!ints.empty()) {
        Pick(rng, ints)(InterestingInt(rng));
        return;
      }
      break;
    case 3:
      if (!floats.empty()) {
        Pick(rng, floats)(InterestingFloat(rng));
        return;
      }
      break;
    case 4:
      if (def.node_size() > 0) {
        def.mutable_node(rng() % def.node_size())->set_op(Pick(rng, registry.Names()));
        return;
      }
      break;
    case 5:
      if (def.node_size() > 0) {
        auto* node = def.mutable_node(rng() % def.node_size());
        if (node->input_size() > 0 && rng() % 3) {
          node->set_input(rng() % node->input_size(), Pick(rng, values));
        } else if (rng() % 2) {
          node->add_input(Pick(rng, values));
        } else if (node->input_size() > 0) {
          node->mutable_input()->RemoveLast();
        }
        return;
      }
      break;
    case 6:
      if (def.node_size() > 0) {
        // An attribute the op declares (or a stray one), of a random type.
        auto* node = def.mutable_node(rng() % def.node_size());
        std::string key = "bogus";
        if (const tessera::OpSchema* schema = registry.Find(node->op());
            schema != nullptr && !schema->attrs().empty() && rng() % 8) {
          key = Pick(rng, schema->attrs()).name;
        }
        RandomAttrValue(rng, &(*node->mutable_attr())[key]);
        return;
      }
      break;
    case 7: {
      // A new node on existing values.
      auto* node = def.add_node();
      node->set_name("n" + std::to_string(rng() % 1000));
      node->set_op(Pick(rng, registry.Names()));
      for (int n = 1 + rng() % 3; n > 0; --n) node->add_input(Pick(rng, values));
      if (rng() % 2) def.add_output(node->name());
      return;
    }
    case 8: {
      // Add or drop a dimension.
      std::vector<google::protobuf::RepeatedField<int64_t>*> shapes;
      for (auto& in : *def.mutable_input()) shapes.push_back(in.mutable_shape());
      for (auto& p : *def.mutable_parameter()) shapes.push_back(p.mutable_shape());
      if (!shapes.empty()) {
        auto* shape = Pick(rng, shapes);
        if (shape->size() > 0 && rng() % 2) {
          shape->RemoveLast();
        } else {
          shape->Add(InterestingInt(rng));
        }
        return;
      }
      break;
    }
    default:
      if (rng() % 2) {
        def.set_loss(Pick(rng, values));
      } else {
        def.add_output(Pick(rng, values));
      }
      return;
  }
  def.set_loss(Pick(rng, values));
}

}  // namespace

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  Rng rng(seed);
  if (rng() % 2 == 0) return LLVMFuzzerMutate(data, size, max_size);
  tessera::GraphDef def;
  google::protobuf::TextFormat::Parser parser;
  Quiet quiet;
  parser.RecordErrorsTo(&quiet);
  if (!parser.ParseFromString(std::string(reinterpret_cast<const char*>(data), size), &def)) {
    return LLVMFuzzerMutate(data, size, max_size);
  }
  for (int n = 1 + rng() % 2; n > 0; --n) MutateGraph(def, rng);
  std::string out;
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(rng() % 2);
  if (!printer.PrintToString(def, &out) || out.size() > max_size) {
    return LLVMFuzzerMutate(data, size, max_size);
  }
  std::memcpy(data, out.data(), out.size());
  return out.size();
}
