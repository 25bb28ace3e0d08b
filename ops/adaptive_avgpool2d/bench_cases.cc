// //bench:op_benchmark's cases for adaptive_avgpool2d (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(bench::Bytes("adaptive_avgpool2d", "16x256x13x13_to_6x6",
                                          {bench::In({16, 256, 13, 13})},
                                          {{"output_size", IntsAttr({6, 6})}}, 0));

}  // namespace
}  // namespace tessera
