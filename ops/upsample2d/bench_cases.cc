// //bench:op_benchmark's cases for upsample2d (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(
    bench::Bytes("upsample2d", "nearest_x2_16x64x28x28", {bench::In({16, 64, 28, 28})},
                 {{"scale", IntsAttr({2, 2})}}, 0),
    bench::Bytes("upsample2d", "bilinear_x2_16x64x28x28", {bench::In({16, 64, 28, 28})},
                 {{"scale", IntsAttr({2, 2})}, {"mode", StringAttr("bilinear")}}, 0));

}  // namespace
}  // namespace tessera
