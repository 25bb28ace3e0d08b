#include "core/op_test_case.h"

#include <algorithm>
#include <numeric>
#include <random>

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

}  // namespace tessera
