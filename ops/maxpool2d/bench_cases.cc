// //bench:op_benchmark's cases for maxpool2d (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(
    bench::Bytes("maxpool2d", "3s2_16x64x56x56", {bench::In({16, 64, 56, 56})},
                 {{"kernel", IntsAttr({3, 3})}, {"stride", IntsAttr({2, 2})}}, 0));

}  // namespace
}  // namespace tessera
