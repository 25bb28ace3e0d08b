// //bench:op_benchmark's cases for l2_loss (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(bench::Bytes(
    "l2_loss", "16x64x56x56", {bench::In({16, 64, 56, 56}), bench::In({16, 64, 56, 56})}, {}, 2));

}  // namespace
}  // namespace tessera
