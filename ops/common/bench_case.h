#ifndef TESSERA_OPS_COMMON_BENCH_CASE_H_
#define TESSERA_OPS_COMMON_BENCH_CASE_H_

// Benchmark cases live with their op: ops/<op>/bench_cases.cc registers the
// shapes //bench:op_benchmark times, e.g.
//
//   #include "ops/common/bench_case.h"
//   namespace tessera {
//   namespace {
//   TESSERA_REGISTER_BENCH_CASES(
//       bench::Bytes("lrn", "alexnet_norm1_16x96x55x55", {bench::In({16, 96, 55, 55})},
//                    {{"size", IntAttr(5)}}));
//   }  // namespace
//   }  // namespace tessera
//
// tessera_op (ops/op.bzl) builds the file into :<op>_bench_cases, which
// //ops:all_bench_cases links. Elementwise ops need no file: op_benchmark
// derives their case from the schema. op_benchmark fails for a registered
// op that has no case.

#include <map>
#include <string>
#include <vector>

#include "core/op_registry.h"
#include "core/tensor.h"

namespace tessera {
namespace bench {

enum class Fill { kUniform, kPositive, kClasses };

struct Input {
  Shape shape;
  Fill fill = Fill::kUniform;
  int64_t classes = 0;  // kClasses: integer labels in [0, classes)
};

// Uniform in [-1, 1).
Input In(Shape shape);
// In [0.5, 1.5): variances and the like, which must be positive.
Input Positive(Shape shape);
// [batch] integer labels in [0, classes).
Input Labels(int64_t batch, int64_t classes);

// kBytes: the rate is bytes per second; kFlops: the op's FLOPs (its
// schema's .Flops) per second, for compute-bound ops.
enum class Work { kBytes, kFlops };

struct Case {
  std::string op;
  std::string label;  // part of the benchmark name: no spaces
  std::vector<Input> inputs;
  std::map<std::string, AttrValue> attrs;
  Work work = Work::kBytes;
  // Inputs whose gradient a train step wants; empty: every differentiable one.
  std::vector<int> grad_inputs;
  // kBytes: forward traffic is every input and output once; gradient traffic
  // is every output gradient, every wanted input gradient, and this many
  // tensors the size of input 0 that the gradient must read (x or y: 1;
  // add: 0; mul: x and y, 2).
  int grad_reads = 1;
};

Case Bytes(std::string op, std::string label, std::vector<Input> inputs,
           std::map<std::string, AttrValue> attrs = {}, int grad_reads = 1);
// The gradient counts the forward's FLOPs once per wanted gradient of
// input 0 or 1 (x, weight); a bias gradient, a sum, is not counted.
Case Flops(std::string op, std::string label, std::vector<Input> inputs,
           std::map<std::string, AttrValue> attrs, std::vector<int> grad_inputs = {});

// Every case registered so far, in registration order.
const std::vector<Case>& RegisteredCases();

struct CaseRegistration {
  explicit CaseRegistration(std::vector<Case> cases);
};

}  // namespace bench
}  // namespace tessera

#define TESSERA_REGISTER_BENCH_CASES(...)                     \
  static const ::tessera::bench::CaseRegistration TS_CONCAT_( \
      tessera_bench_cases_, __COUNTER__)(std::vector<::tessera::bench::Case>{__VA_ARGS__})

#endif  // TESSERA_OPS_COMMON_BENCH_CASE_H_
