// //bench:op_benchmark's cases for softmax_cross_entropy (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(bench::Bytes("softmax_cross_entropy", "64x1000",
                                          {bench::In({64, 1000}), bench::Labels(64, 1000)}));

}  // namespace
}  // namespace tessera
