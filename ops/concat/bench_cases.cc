// //bench:op_benchmark's cases for concat (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(
    bench::Bytes("concat", "2x16x64x56x56_axis1",
                 {bench::In({16, 64, 56, 56}), bench::In({16, 64, 56, 56})}, {}, 0));

}  // namespace
}  // namespace tessera
