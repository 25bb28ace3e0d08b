// //bench:op_benchmark's cases for batch_norm2d (see ops/common/bench_case.h).

#include "ops/common/bench_case.h"

namespace tessera {
namespace {

TESSERA_REGISTER_BENCH_CASES(bench::Bytes("batch_norm2d", "16x64x56x56",
                                          {bench::In({16, 64, 56, 56}), bench::In({64}),
                                           bench::In({64}), bench::In({64}),
                                           bench::Positive({64})}));

}  // namespace
}  // namespace tessera
