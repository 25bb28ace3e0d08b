#include "ops/transpose/transpose_tiles.h"

#include <algorithm>

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/transpose/transpose_tiles.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
// After foreach_target.h: compiled once per target.
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace transpose {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Cache block: kBlock source rows of kBlock floats (16 KB) stay in L1 while
// their transposes are written.
constexpr int64_t kBlock = 64;

void Transpose2DImpl(const float* src, int64_t src_stride, float* dst, int64_t dst_stride,
                     int64_t rows, int64_t cols) {
  for (int64_t a0 = 0; a0 < rows; a0 += kBlock) {
    const int64_t a1 = std::min(rows, a0 + kBlock);
    for (int64_t b0 = 0; b0 < cols; b0 += kBlock) {
      const int64_t b1 = std::min(cols, b0 + kBlock);
      int64_t a = a0;
#if HWY_TARGET != HWY_SCALAR
      // 4x4 tiles in 128-bit vectors, which every other target has: four
      // source rows in, four destination rows out.
      const hn::FixedTag<float, 4> d;
      for (; a + 4 <= a1; a += 4) {
        int64_t b = b0;
        for (; b + 4 <= b1; b += 4) {
          const float* s = src + b * src_stride + a;
          const auto r0 = hn::LoadU(d, s);
          const auto r1 = hn::LoadU(d, s + src_stride);
          const auto r2 = hn::LoadU(d, s + 2 * src_stride);
          const auto r3 = hn::LoadU(d, s + 3 * src_stride);
          const auto t0 = hn::InterleaveLower(d, r0, r1);  // r0[0] r1[0] r0[1] r1[1]
          const auto t1 = hn::InterleaveLower(d, r2, r3);  // r2[0] r3[0] r2[1] r3[1]
          const auto t2 = hn::InterleaveUpper(d, r0, r1);  // r0[2] r1[2] r0[3] r1[3]
          const auto t3 = hn::InterleaveUpper(d, r2, r3);  // r2[2] r3[2] r2[3] r3[3]
          float* o = dst + a * dst_stride + b;
          hn::StoreU(hn::ConcatLowerLower(d, t1, t0), d, o);
          hn::StoreU(hn::ConcatUpperUpper(d, t1, t0), d, o + dst_stride);
          hn::StoreU(hn::ConcatLowerLower(d, t3, t2), d, o + 2 * dst_stride);
          hn::StoreU(hn::ConcatUpperUpper(d, t3, t2), d, o + 3 * dst_stride);
        }
        for (; b < b1; ++b) {
          for (int64_t k = 0; k < 4; ++k)
            dst[(a + k) * dst_stride + b] = src[b * src_stride + a + k];
        }
      }
#endif
      for (; a < a1; ++a) {
        for (int64_t b = b0; b < b1; ++b) dst[a * dst_stride + b] = src[b * src_stride + a];
      }
    }
  }
}

}  // namespace HWY_NAMESPACE
}  // namespace transpose
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace transpose {

HWY_EXPORT(Transpose2DImpl);

void Transpose2D(const float* src, int64_t src_stride, float* dst, int64_t dst_stride, int64_t rows,
                 int64_t cols) {
  HWY_DYNAMIC_DISPATCH(Transpose2DImpl)(src, src_stride, dst, dst_stride, rows, cols);
}

}  // namespace transpose
}  // namespace tessera
#endif  // HWY_ONCE
