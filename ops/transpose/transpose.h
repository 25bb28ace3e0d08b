// transpose's index map, shared by the CPU kernel (transpose.cc) and the
// GPU kernel (transpose.cu). Only <cstdint>: nvcc compiles this without
// Abseil.
#ifndef TESSERA_OPS_TRANSPOSE_TRANSPOSE_H_
#define TESSERA_OPS_TRANSPOSE_TRANSPOSE_H_

#include <cstdint>

#ifdef __CUDACC__
#define TRANSPOSE_HD __host__ __device__ inline
#else
#define TRANSPOSE_HD inline
#endif

namespace tessera {
namespace transpose {

constexpr int kMaxRank = 8;

// y = x with its axes permuted: y's axis i is x's axis perm[i]. Passed by
// value to the GPU kernel.
struct Plan {
  int rank;
  int64_t out_dims[kMaxRank];
  // The stride in x of each of y's axes (x's stride of axis perm[i]).
  int64_t in_strides[kMaxRank];
};

// The offset in x of y's element at row-major offset `o`.
TRANSPOSE_HD int64_t SourceOffset(const Plan& p, int64_t o) {
  int64_t at = 0;
  for (int i = p.rank - 1; i >= 0; --i) {
    at += (o % p.out_dims[i]) * p.in_strides[i];
    o /= p.out_dims[i];
  }
  return at;
}

}  // namespace transpose
}  // namespace tessera

#endif  // TESSERA_OPS_TRANSPOSE_TRANSPOSE_H_
