// //bench:op_benchmark's cases for dropout (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(
    // The gradient reads the saved mask.
    bench::Bytes("dropout", "16x64x56x56", {bench::In({16, 64, 56, 56})},
                 {{"rate", FloatAttr(0.5f)}}));

}  // namespace
}  // namespace tessera
