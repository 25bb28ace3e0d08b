// //bench:op_benchmark's cases for transpose (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(bench::Bytes("transpose", "nchw_to_nhwc_16x64x56x56",
                                          {bench::In({16, 64, 56, 56})},
                                          {{"perm", IntsAttr({0, 2, 3, 1})}}, 0));

}  // namespace
}  // namespace tessera
