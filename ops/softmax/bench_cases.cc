// //bench:op_benchmark's cases for softmax (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(bench::Bytes("softmax", "64x1000", {bench::In({64, 1000})}));

}  // namespace
}  // namespace tessera
