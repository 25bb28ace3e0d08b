// //bench:op_benchmark's cases for bias_add (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(bench::Bytes("bias_add", "16x64x56x56",
                                          {bench::In({16, 64, 56, 56}), bench::In({64})}, {}, 0));

}  // namespace
}  // namespace tessera
