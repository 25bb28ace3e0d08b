// //bench:op_benchmark's cases for conv_transpose2d (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(
    bench::Flops("conv_transpose2d", "4x4s2p1_16x64x14x14_to32",
                 {bench::In({16, 64, 14, 14}), bench::In({64, 32, 4, 4}), bench::In({32})},
                 {{"stride", IntsAttr({2, 2})}, {"padding", IntsAttr({1, 1})}}));

}  // namespace
}  // namespace tessera
