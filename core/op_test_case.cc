#include "core/op_test_case.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "core/executor.h"
#include "core/graph.h"
#include "core/status_macros.h"

namespace tessera {

namespace {
std::map<std::string, std::vector<OpTestCaseFactory>>& Cases() {
  static auto* cases = new std::map<std::string, std::vector<OpTestCaseFactory>>();
  return *cases;
}
}  // namespace

bool RegisterOpTestCases(const std::string& op, OpTestCaseFactory factory) {
  Cases()[op].push_back(factory);
  return true;
}

const std::map<std::string, std::vector<OpTestCaseFactory>>& RegisteredOpTestCases() {
  return Cases();
}

std::vector<float> RandomValues(int64_t n, uint64_t seed, float low, float high) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<float> SpacedValues(int64_t n, uint64_t seed, float gap) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<float> v(n);
  // Centred on zero, then shifted by a quarter gap so that no value sits on 0.
  for (int64_t i = 0; i < n; ++i) v[i] = (order[i] - n / 2) * gap + 0.25f * gap;
  return v;
}

Tensor RandomTensor(const Shape& shape, uint64_t seed, float low, float high) {
  return Tensor::FromVector(shape, RandomValues(NumElements(shape), seed, low, high));
}

absl::StatusOr<OptionalOutputRun> RunWithOptionalOutput(const std::string& graph_text,
                                                        const std::string& node, const Shape& shape,
                                                        Device device, uint64_t seed) {
  TS_ASSIGN_OR_RETURN(Graph graph, Graph::FromText(graph_text, "optional_output"));
  ParameterStore params = ParameterStore::Initialize(graph, 0, device);
  TS_ASSIGN_OR_RETURN(std::unique_ptr<Executor> executor,
                      Executor::Create(graph, params, {device}));
  struct Hook : ExecutorHook {
    std::string node;
    bool computed = false;
    absl::Status AfterNode(const NodeCall& call) override {
      if (!call.gradient && call.node.name == node) computed = call.outputs[1].defined();
      return absl::OkStatus();
    }
  } hook;
  hook.node = node;
  executor->AddHook(&hook);
  const Tensor x = RandomTensor(shape, 3).CopyTo(device);
  TS_RETURN_IF_ERROR(executor->Forward({{"x", x}}, /*training=*/true, seed));
  OptionalOutputRun result;
  result.output1_computed = hook.computed;
  for (const std::string& name : graph.def().output()) {
    TS_ASSIGN_OR_RETURN(Tensor value, executor->Value(name));
    result.values.push_back(value.ToVector());
  }
  TS_ASSIGN_OR_RETURN(Tensor y, executor->Value(node));
  TS_ASSIGN_OR_RETURN(
      auto dx, executor->BackwardFrom({{node, RandomTensor(y.shape(), 4).CopyTo(device)}}, {"x"}));
  result.values.push_back(dx.at("x").ToVector());
  return result;
}

}  // namespace tessera
