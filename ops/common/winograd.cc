#include "ops/common/winograd.h"

#include <algorithm>
#include <atomic>

#include "core/thread_pool.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/common/winograd.cc"
#include "hwy/aligned_allocator.h"
#include "hwy/cache_control.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// MicroKernel, kMr and kNv, per target.
#include "ops/common/gemm_kernel-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace conv {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using tessera::HWY_NAMESPACE::kMr;
using tessera::HWY_NAMESPACE::kNv;
using tessera::HWY_NAMESPACE::MicroKernel;

constexpr int64_t kOut = 4;   // output pixels per tile side
constexpr int64_t kIn = 6;    // input pixels per tile side (kOut + 3 - 1)
constexpr int64_t kPos = 36;  // positions of a transformed tile

// Tiles per block, the GEMMs' column count: the block's transformed input
// and products (36 x (in_ch + out_ch) x tiles floats) stay near 1 MiB, in
// the L2 cache. A multiple of 16 and of 48 (the GEMM's panel width), fixed
// by the shape only.
int64_t TilesPerBlock(const WinogradConv& p) {
  constexpr int64_t kBlockFloats = int64_t{1} << 18;
  if (SmallChunksForTesting()) return 5;  // several blocks, partial vectors
  const int64_t floats_per_tile = kPos * (p.in_ch + p.out_ch);
  return std::clamp<int64_t>(kBlockFloats / floats_per_tile / 48 * 48, 48, 384);
}

// B^T d for one column d0..d5 of a patch (or d B for one row).
template <class V>
HWY_INLINE void InputTransform1D(V d0, V d1, V d2, V d3, V d4, V d5, V* t) {
  const hn::DFromV<V> d;
  const V four = hn::Set(d, 4.0f), five = hn::Set(d, 5.0f), two = hn::Set(d, 2.0f);
  t[0] = hn::MulAdd(four, d0, hn::NegMulAdd(five, d2, d4));
  t[1] = hn::NegMulAdd(four, hn::Add(d1, d2), hn::Add(d3, d4));
  t[2] = hn::MulAdd(four, hn::Sub(d1, d2), hn::Sub(d4, d3));
  t[3] = hn::MulAdd(two, hn::Sub(d3, d1), hn::Sub(d4, d2));
  t[4] = hn::MulAdd(two, hn::Sub(d1, d3), hn::Sub(d4, d2));
  t[5] = hn::MulAdd(four, d1, hn::NegMulAdd(five, d3, d5));
}

// A^T m for one column m0..m5 of a transformed tile.
template <class V>
HWY_INLINE void OutputTransform1D(V m0, V m1, V m2, V m3, V m4, V m5, V* o) {
  const hn::DFromV<V> d;
  const V sum12 = hn::Add(m1, m2), diff12 = hn::Sub(m1, m2);
  const V sum34 = hn::Add(m3, m4), diff34 = hn::Sub(m3, m4);
  o[0] = hn::Add(hn::Add(m0, sum12), sum34);
  o[1] = hn::MulAdd(hn::Set(d, 2.0f), diff34, diff12);
  o[2] = hn::MulAdd(hn::Set(d, 4.0f), sum34, sum12);
  o[3] = hn::Add(hn::MulAdd(hn::Set(d, 8.0f), diff34, diff12), m5);
}

// Where tile t lies: image n, tile row th, first tile column tw, and how
// many tiles of that tile row the block [t, end) holds from there.
struct Segment {
  int64_t n, th, tw, count;
};
Segment SegmentAt(int64_t t, int64_t end, int64_t tiles_h, int64_t tiles_w) {
  const int64_t per_image = tiles_h * tiles_w, rem = t % per_image;
  return {t / per_image, rem / tiles_w, rem % tiles_w, std::min(end - t, tiles_w - rem % tiles_w)};
}

// Stores `valid` lanes of v at dst (all of them when valid == lanes).
template <class D, class V>
HWY_INLINE void StorePartial(D d, V v, int64_t valid, float* HWY_RESTRICT dst) {
  if (valid == static_cast<int64_t>(hn::Lanes(d))) {
    hn::StoreU(v, d, dst);
    return;
  }
  // A masked store: a 56-pixel row is 14 tiles, so every vector of such a
  // layer took this path (a spill and a scalar copy were a large share of
  // the input transform).
  hn::BlendedStore(v, hn::FirstN(d, static_cast<size_t>(valid)), d, dst);
}

// dst[0, n) = src[0, n), whole vectors and a masked tail.
template <class D>
HWY_INLINE void CopyPartial(D d, const float* HWY_RESTRICT src, int64_t n,
                            float* HWY_RESTRICT dst) {
  const int64_t lanes = hn::Lanes(d);
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) hn::StoreU(hn::LoadU(d, src + i), d, dst + i);
  if (i < n) StorePartial(d, hn::LoadU(d, src + i), n - i, dst + i);
}

// v[xi][c][j] = (B^T d B)[xi] for the patch of tile t0 + j, j < nt, and every
// input channel c. Tiles of one tile row sit in vector lanes: the six rows
// of their patches are copied (zero padded) into `rows`, where tile l's
// columns start at 4 l, and two interleaved loads give columns 0-3 and 4-5.
void TransformInput(const WinogradConv& p, int64_t tiles_h, int64_t tiles_w, const float* x,
                    int64_t t0, int64_t nt, float* rows, float* v) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const int64_t lanes = hn::Lanes(d);
  HWY_ALIGN float rowt[kPos * HWY_MAX_BYTES / sizeof(float)];  // [r][xi col][lane]
  for (int64_t t = t0; t < t0 + nt;) {
    const Segment s = SegmentAt(t, t0 + nt, tiles_h, tiles_w);
    const int64_t groups = (s.count + lanes - 1) / lanes, width = kOut * groups * lanes + kOut;
    const int64_t ih0 = kOut * s.th - p.pad_h, iw0 = kOut * s.tw - p.pad_w;
    const int64_t lo = std::clamp<int64_t>(-iw0, 0, width);
    const int64_t hi = std::clamp<int64_t>(p.in_w - iw0, lo, width);
    const int64_t r0 = std::clamp<int64_t>(-ih0, 0, kIn),
                  r1 = std::clamp<int64_t>(p.in_h - ih0, r0, kIn);
    for (int64_t c = 0; c < p.in_ch; ++c) {
      const float* plane = x + s.n * p.x_image_stride + c * p.in_h * p.in_w;
      // The next channel's rows, short runs far apart: fetched early, they
      // arrive while this channel is transformed.
      if (c + 1 < p.in_ch && hi > lo) {
        for (int64_t r = r0; r < r1; ++r) {
          const float* next = plane + p.in_h * p.in_w + (ih0 + r) * p.in_w + iw0;
          for (int64_t j = lo; j < hi; j += 16) hwy::Prefetch(next + j);
          hwy::Prefetch(next + hi - 1);
        }
      }
      for (int64_t r = 0; r < kIn; ++r) {
        float* row = rows + r * width;
        const int64_t ih = ih0 + r;
        if (ih < 0 || ih >= p.in_h) {
          std::fill(row, row + width, 0.0f);
          continue;
        }
        const float* src = plane + ih * p.in_w + iw0;
        std::fill(row, row + lo, 0.0f);
        std::copy(src + lo, src + hi, row + lo);
        std::fill(row + hi, row + width, 0.0f);
      }
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t valid = std::min(lanes, s.count - g * lanes);
        for (int64_t r = 0; r < kIn; ++r) {
          const float* src = rows + r * width + kOut * g * lanes;
          V a0, a1, a2, a3, b0, b1, b2, b3;
          hn::LoadInterleaved4(d, src, a0, a1, a2, a3);
          hn::LoadInterleaved4(d, src + kOut, b0, b1, b2, b3);
          V t6[kIn];
          InputTransform1D(a0, a1, a2, a3, b0, b1, t6);
          for (int64_t j = 0; j < kIn; ++j) hn::Store(t6[j], d, rowt + (r * kIn + j) * lanes);
        }
        float* dst = v + c * nt + (t - t0) + g * lanes;
        for (int64_t j = 0; j < kIn; ++j) {
          auto at = [&](int64_t r) { return hn::Load(d, rowt + (r * kIn + j) * lanes); };
          V t6[kIn];
          InputTransform1D(at(0), at(1), at(2), at(3), at(4), at(5), t6);
          for (int64_t i = 0; i < kIn; ++i) {
            StorePartial(d, t6[i], valid, dst + (i * kIn + j) * p.in_ch * nt);
          }
        }
      }
    }
    t += s.count;
  }
}

// y's pixels of tiles t0 .. t0 + nt - 1 = A^T m A, m[xi][o][j] the products
// (read a vector at a time: m has a vector of slack at its end).
void TransformOutput(const WinogradConv& p, int64_t tiles_h, int64_t tiles_w, const float* m,
                     const float* bias, int64_t t0, int64_t nt, float* y) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  const int64_t lanes = hn::Lanes(d);
  HWY_ALIGN float colt[kIn * kOut * HWY_MAX_BYTES / sizeof(float)];  // [i][j][lane]
  HWY_ALIGN float line[kOut * HWY_MAX_BYTES / sizeof(float)];
  for (int64_t t = t0; t < t0 + nt;) {
    const Segment s = SegmentAt(t, t0 + nt, tiles_h, tiles_w);
    const int64_t groups = (s.count + lanes - 1) / lanes;
    for (int64_t o = 0; o < p.out_ch; ++o) {
      float* plane = y + s.n * p.y_image_stride + o * p.out_h * p.out_w;
      const V b = hn::Set(d, bias != nullptr ? bias[o] : 0.0f);
      for (int64_t g = 0; g < groups; ++g) {
        const int64_t valid = std::min(lanes, s.count - g * lanes);
        const float* src = m + o * nt + (t - t0) + g * lanes;
        for (int64_t i = 0; i < kIn; ++i) {
          auto at = [&](int64_t j) { return hn::LoadU(d, src + (i * kIn + j) * p.out_ch * nt); };
          V o4[kOut];
          OutputTransform1D(at(0), at(1), at(2), at(3), at(4), at(5), o4);
          for (int64_t j = 0; j < kOut; ++j) hn::Store(o4[j], d, colt + (i * kOut + j) * lanes);
        }
        V out[kOut][kOut];  // [row][column]
        for (int64_t j = 0; j < kOut; ++j) {
          auto at = [&](int64_t i) { return hn::Load(d, colt + (i * kOut + j) * lanes); };
          V o4[kOut];
          OutputTransform1D(at(0), at(1), at(2), at(3), at(4), at(5), o4);
          for (int64_t i = 0; i < kOut; ++i) out[i][j] = hn::Add(o4[i], b);
        }
        const int64_t ow0 = kOut * (s.tw + g * lanes);
        const int64_t cols = std::min(kOut * valid, p.out_w - ow0);
        for (int64_t i = 0; i < kOut; ++i) {
          const int64_t oh = kOut * s.th + i;
          if (oh >= p.out_h) break;
          float* dst = plane + oh * p.out_w + ow0;
          if (cols == kOut * lanes) {
            hn::StoreInterleaved4(out[i][0], out[i][1], out[i][2], out[i][3], d, dst);
          } else {
            hn::StoreInterleaved4(out[i][0], out[i][1], out[i][2], out[i][3], d, line);
            CopyPartial(d, line, cols, dst);
          }
        }
      }
    }
    t += s.count;
  }
}

// u [36][in_ch][out_ch] as the micro-kernel reads it: per position, panels
// of kMr outputs, each [in_ch][kMr], zero past out_ch.
void PackWeights(const WinogradConv& p, const float* u, float* packed) {
  const int64_t panels = (p.out_ch + kMr - 1) / kMr;
  for (int64_t xi = 0; xi < kPos; ++xi) {
    for (int64_t q = 0; q < panels; ++q) {
      const int64_t o0 = q * kMr, valid = std::min(kMr, p.out_ch - o0);
      for (int64_t i = 0; i < p.in_ch; ++i) {
        const float* src = u + (xi * p.in_ch + i) * p.out_ch + o0;
        float* dst = packed + ((xi * panels + q) * p.in_ch + i) * kMr;
        std::copy(src, src + valid, dst);
        std::fill(dst + valid, dst + kMr, 0.0f);
      }
    }
  }
}

void Conv3x3(const WinogradConv& p, const float* u, const float* x, const float* bias, float* y) {
  const int64_t tiles_h = (p.out_h + kOut - 1) / kOut, tiles_w = (p.out_w + kOut - 1) / kOut;
  const int64_t tiles = p.batch * tiles_h * tiles_w;
  const int64_t per_block = TilesPerBlock(p), blocks = (tiles + per_block - 1) / per_block;
  const int64_t lanes = hn::Lanes(hn::ScalableTag<float>()), nr = kNv * lanes;
  const int64_t panels = (p.out_ch + kMr - 1) / kMr;
  auto packed_u = hwy::AllocateAligned<float>(static_cast<size_t>(kPos * panels * kMr * p.in_ch));
  PackWeights(p, u, packed_u.get());
  ParallelFor(blocks, 1, [&](int64_t b0, int64_t b1) {
    // v and m have a panel of slack: the micro-kernel reads whole panels.
    auto v = hwy::AllocateAligned<float>(static_cast<size_t>(kPos * p.in_ch * per_block + nr));
    auto m = hwy::AllocateAligned<float>(static_cast<size_t>(kPos * p.out_ch * per_block + nr));
    const int64_t row_floats = kOut * ((tiles_w + lanes - 1) / lanes * lanes) + kOut;
    auto rows = hwy::AllocateAligned<float>(static_cast<size_t>(kIn * row_floats));
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t t0 = b * per_block, nt = std::min(per_block, tiles - t0);
      TransformInput(p, tiles_h, tiles_w, x, t0, nt, rows.get(), v.get());
      // m[xi] = u[xi]^T v[xi]: the tiles' rows of v are the micro-kernel's
      // B rows as they stand, no packing.
      for (int64_t xi = 0; xi < kPos; ++xi) {
        const float* a = packed_u.get() + xi * panels * kMr * p.in_ch;
        const float* bx = v.get() + xi * p.in_ch * nt;
        float* mx = m.get() + xi * p.out_ch * nt;
        for (int64_t j0 = 0; j0 < nt; j0 += nr) {
          for (int64_t q = 0; q < panels; ++q) {
            MicroKernel(a + q * kMr * p.in_ch, bx + j0, p.in_ch, mx + q * kMr * nt + j0, nt,
                        std::min(kMr, p.out_ch - q * kMr), std::min(nr, nt - j0), false, nt);
          }
        }
      }
      TransformOutput(p, tiles_h, tiles_w, m.get(), bias, t0, nt, y);
    }
  });
}

}  // namespace HWY_NAMESPACE
}  // namespace conv
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {
namespace conv {

HWY_EXPORT(Conv3x3);

namespace {
std::atomic<WinogradUse> winograd_use{WinogradUse::kAuto};
}  // namespace

void SetWinogradUseForTesting(WinogradUse use) { winograd_use.store(use); }

bool UseWinograd(const ConvGeometry& g, int64_t out_channels_per_group) {
  const WinogradUse use = winograd_use.load();
  if (use == WinogradUse::kNever) return false;
  const auto& a = g.attrs;
  if (g.kernel_h != 3 || g.kernel_w != 3 || a.stride[0] != 1 || a.stride[1] != 1 ||
      a.dilation[0] != 1 || a.dilation[1] != 1) {
    return false;
  }
  if (use == WinogradUse::kAlways) return true;
  // Below 16 channels either way the transforms, which cost per channel, not
  // per channel pair, outweigh the multiplications saved. Small images leave
  // most vector lanes of the transforms empty (a 13-pixel row is 4 tiles of
  // 16 lanes) and cut tiles at the edges: measured on AlexNet's 13x13 conv3-5
  // Winograd was no faster than the implicit GEMM, on 56x56 about twice as
  // fast; sizes in between are not measured yet.
  return g.channels >= 16 && out_channels_per_group >= 16 && g.out_h * g.out_w >= 24 * 24;
}

void WinogradTransformWeights(const float* w, int64_t out_ch, int64_t in_ch,
                              bool for_input_gradient, float* u) {
  // G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6; 1/24 -1/12 1/6; 0 0 1]
  static constexpr double kG[6][3] = {{1.0 / 4, 0, 0},
                                      {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                      {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                      {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                      {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                      {0, 0, 1}};
  // Input channels outermost and outputs innermost: each of the 36 planes of
  // u is written in order (outputs outermost scattered every write to
  // another cache line, and took longer than the convolution on AlexNet's
  // conv3).
  ParallelFor(in_ch, 4, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      for (int64_t o = 0; o < out_ch; ++o) {
        double k[3][3];
        for (int64_t r = 0; r < 3; ++r) {
          for (int64_t s = 0; s < 3; ++s) {
            k[r][s] = for_input_gradient ? w[((i * out_ch + o) * 3 + 2 - r) * 3 + 2 - s]
                                         : w[((o * in_ch + i) * 3 + r) * 3 + s];
          }
        }
        double gk[6][3];  // G k
        for (int64_t r = 0; r < 6; ++r) {
          for (int64_t s = 0; s < 3; ++s) {
            gk[r][s] = kG[r][0] * k[0][s] + kG[r][1] * k[1][s] + kG[r][2] * k[2][s];
          }
        }
        for (int64_t r = 0; r < 6; ++r) {
          for (int64_t s = 0; s < 6; ++s) {
            const double value = gk[r][0] * kG[s][0] + gk[r][1] * kG[s][1] + gk[r][2] * kG[s][2];
            u[((r * 6 + s) * in_ch + i) * out_ch + o] = static_cast<float>(value);
          }
        }
      }
    }
  });
}

void WinogradConv3x3(const WinogradConv& p, const float* u, const float* x, const float* bias,
                     float* y) {
  HWY_DYNAMIC_DISPATCH(Conv3x3)(p, u, x, bias, y);
}

}  // namespace conv
}  // namespace tessera
#endif  // HWY_ONCE
