// //bench:op_benchmark's cases for lrn (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(bench::Bytes("lrn", "alexnet_norm1_16x96x55x55",
                                          {bench::In({16, 96, 55, 55})},
                                          {{"size", IntAttr(5)},
                                           {"alpha", FloatAttr(1e-4f)},
                                           {"beta", FloatAttr(0.75f)},
                                           {"k", FloatAttr(2.0f)}}));

}  // namespace
}  // namespace tessera
