#ifndef TESSERA_TOOLS_FUZZ_FUZZ_MODEL_H_
#define TESSERA_TOOLS_FUZZ_FUZZ_MODEL_H_

// The small fixed model that checkpoint_fuzzer restores into and make_seeds
// writes checkpoints of: a 4 -> 3 linear layer and a frozen statistic.

#include <cstdio>
#include <cstdlib>

#include "core/graph.h"

namespace tessera::fuzz {

inline constexpr char kModelText[] = R"pb(
  name: "fuzz_linear"
  input {
    name: "x"
    shape: [ -1, 4 ]
  }
  input {
    name: "target"
    shape: [ -1, 3 ]
  }
  parameter {
    name: "w"
    shape: [ 3, 4 ]
    init { type: "xavier_uniform" }
  }
  parameter {
    name: "b"
    shape: [ 3 ]
  }
  parameter {
    name: "stat"
    shape: [ 2, 1 ]
    frozen: true
  }
  node { name: "y" op: "matmul" input: "x" input: "w" input: "b" }
  node { name: "loss" op: "l2_loss" input: "y" input: "target" }
  loss: "loss"
)pb";

inline const Graph& Model() {
  static const Graph* graph = [] {
    absl::StatusOr<Graph> g = Graph::FromText(kModelText, "fuzz_model");
    if (!g.ok()) {
      std::fprintf(stderr, "fuzz_model: %s\n", std::string(g.status().message()).c_str());
      std::abort();
    }
    return new Graph(*std::move(g));
  }();
  return *graph;
}

}  // namespace tessera::fuzz

#endif  // TESSERA_TOOLS_FUZZ_FUZZ_MODEL_H_
