// //bench:op_benchmark's cases for reshape (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(bench::Bytes("reshape", "16x64x56x56_to_16x-1",
                                          {bench::In({16, 64, 56, 56})},
                                          {{"shape", IntsAttr({16, -1})}}, 0));

}  // namespace
}  // namespace tessera
