// //bench:op_benchmark's cases for matmul (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(
    bench::Flops("matmul", "fc6_64x9216_to4096",
                 {bench::In({64, 9216}), bench::In({4096, 9216}), bench::In({4096})}, {}),
    bench::Flops("matmul", "fc7_64x4096_to4096",
                 {bench::In({64, 4096}), bench::In({4096, 4096}), bench::In({4096})}, {}));

}  // namespace
}  // namespace tessera
