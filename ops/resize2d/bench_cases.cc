// //bench:op_benchmark's cases for resize2d (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(
    bench::Bytes("resize2d", "linear_16x64x28x28_to_45x45", {bench::In({16, 64, 28, 28})},
                 {{"size", IntsAttr({45, 45})}, {"mode", StringAttr("linear")}}, 0));

}  // namespace
}  // namespace tessera
