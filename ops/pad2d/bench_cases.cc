// //bench:op_benchmark's cases for pad2d (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(bench::Bytes("pad2d", "1_1_2_2_16x64x56x56",
                                          {bench::In({16, 64, 56, 56})},
                                          {{"pads", IntsAttr({1, 1, 2, 2})}}, 0));

}  // namespace
}  // namespace tessera
