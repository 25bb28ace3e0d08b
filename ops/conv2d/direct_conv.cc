#include "ops/conv2d/direct_conv.h"

#include <algorithm>
#include <atomic>
#include <vector>

#include "core/thread_pool.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/conv2d/direct_conv.cc"
#include "hwy/aligned_allocator.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace conv {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The register tile: kR pixels x V vectors of output channels, with V
// (1 to 4) chosen per shape to waste the fewest lanes on the output-channel
// count. AVX-512 has 32 vector registers: kR x V accumulators, V weights
// and a broadcast fit for these kR; 16-register targets take fewer pixels.
#if HWY_TARGET <= HWY_AVX3 && HWY_TARGET != HWY_SCALAR
constexpr int kRegisters = 32;
#else
constexpr int kRegisters = 16;
#endif
template <int V>
constexpr int TilePixels() {
  return std::min(kRegisters == 32 ? 12 : 6, (kRegisters - 2 - V) / V);
}

// Everything a tile needs, fixed for one call.
struct Plan {
  ConvGeometry g;
  PhaseLayout layout;  // of the input the tiles read (phases, or x itself)
  int64_t groups, out_per_group;
  int64_t k;       // g.col_rows(): taps x channels of one group
  int64_t v;       // vectors per output-channel block
  int64_t block;   // output channels per block: v x lanes
  int64_t blocks;  // per group
  int64_t pixels;  // out_h x out_w
};

// One register tile: for r < R and v < V,
//   tile[r][v] = init + sum over i < n of base[r][off[i]] * w[i * V lanes + v lanes ...]
// (vectors of lanes floats), with init the tile itself (accumulate), the
// broadcast bias[v] (not null) or 0. The forward runs it with a pixel per r
// and a tap per i, the weight gradient with a tap per r and a pixel per i.
template <int V, int R>
HWY_NOINLINE void Tile(const float* const* base, const int64_t* HWY_RESTRICT off, int64_t n,
                       const float* HWY_RESTRICT w, const float* bias, bool accumulate,
                       float* HWY_RESTRICT tile) {
  const hn::ScalableTag<float> d;
  using Vec = decltype(hn::Zero(d));
  const int64_t lanes = hn::Lanes(d), stride = V * lanes;
  const float* b[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) b[r] = base[r];
  Vec acc[R][V];
#pragma GCC unroll 16
  for (int v = 0; v < V; ++v) {
    const Vec init = bias != nullptr ? hn::LoadU(d, bias + v * lanes) : hn::Zero(d);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      acc[r][v] = accumulate ? hn::Load(d, tile + r * stride + v * lanes) : init;
    }
  }
  for (int64_t i = 0; i < n; ++i, w += stride) {
    const int64_t o = off[i];
    Vec wv[V];
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) wv[v] = hn::LoadU(d, w + v * lanes);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const Vec x = hn::Set(d, b[r][o]);
#pragma GCC unroll 16
      for (int v = 0; v < V; ++v) acc[r][v] = hn::MulAdd(x, wv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int v = 0; v < V; ++v) hn::Store(acc[r][v], d, tile + r * stride + v * lanes);
  }
}

void TransposeInto(const float* src, int64_t ld, int64_t rows, int64_t cols, int64_t width,
                   int64_t zero_to, float* dst);

// One block of output channels over pixels [pix0, pix1) of one image: tiles
// of R pixels, each written to y's planes (channel-major) from the
// pixel-major tile. src: the image's group input (channel 0, phase (0, 0),
// row 0); off[k]: where tap k of pixel (0, 0) reads, relative to src; wp:
// the block's packed weight, [k][V x lanes]; bias: the block's, or null.
template <int V>
void Run(const Plan& p, const float* src, const int64_t* off, const float* wp, const float* bias,
         int64_t channels, int64_t pix0, int64_t pix1, float* y) {
  constexpr int R = TilePixels<V>();
  // Pixels per strip: a multiple of every R; the strip's pixel-major sums
  // (plus a short tile's overhang) stay in the L1 cache until transposed.
  constexpr int64_t kStrip = 48;
  const int64_t width = V * hn::Lanes(hn::ScalableTag<float>());
  HWY_ALIGN float strip[(kStrip + R) * V * HWY_MAX_BYTES / sizeof(float)];
  for (int64_t s0 = pix0; s0 < pix1; s0 += kStrip) {
    const int64_t s1 = std::min(pix1, s0 + kStrip);
    for (int64_t q = s0; q < s1; q += R) {
      const int64_t count = std::min<int64_t>(R, s1 - q);
      // Each pixel's input at tap 0; past count, the last pixel again
      // (read, never stored), so a short tile needs no other code.
      const float* base[R];
      int64_t oh = q / p.g.out_w, ow = q % p.g.out_w;
      for (int r = 0; r < R; ++r) {
        base[r] = src + oh * p.layout.cols + ow;
        if (r + 1 < count && ++ow == p.g.out_w) {
          ow = 0;
          ++oh;
        }
      }
      Tile<V, R>(base, off, p.k, wp, bias, false, strip + (q - s0) * width);
    }
    // y[c][s0 + i] = strip[i][c].
    TransposeInto(strip, width, s1 - s0, channels, p.pixels, 0, y + s0);
  }
}

// Vectors per block: the fewest vector FMAs for out_per_group channels
// (blocks x V), ties to the wider block (fewer passes over the input).
int64_t ChooseVectors(int64_t out_per_group) {
  const int64_t lanes = hn::Lanes(hn::ScalableTag<float>());
  int64_t best = 4, best_cost = INT64_MAX;
  for (int64_t v = 4; v >= 1; --v) {
    const int64_t cost = (out_per_group + v * lanes - 1) / (v * lanes) * v;
    if (cost < best_cost) {
      best = v;
      best_cost = cost;
    }
  }
  return best;
}

int64_t Lanes() { return hn::Lanes(hn::ScalableTag<float>()); }

std::vector<int64_t> TapOffsets(const ConvGeometry& g, const PhaseLayout& L);

void Forward(const ConvGeometry& g, int64_t batch, int64_t groups, int64_t out_per_group,
             const float* x, const float* w, const float* bias, float* y) {
  Plan p;
  p.g = g;
  p.groups = groups;
  p.out_per_group = out_per_group;
  p.k = g.col_rows();
  p.v = ChooseVectors(out_per_group);
  p.block = p.v * Lanes();
  p.blocks = (out_per_group + p.block - 1) / p.block;
  p.pixels = g.col_cols();
  const bool phased = UsePhases(g);
  p.layout = MakePhaseLayout(g);  // x's own layout when not phased
  const int64_t channels = groups * g.channels;
  const int64_t x_image = channels * g.in_h * g.in_w;
  const int64_t phased_image = channels * p.layout.channel();
  const int64_t y_image = groups * out_per_group * p.pixels;

  // Where tap k = (c, kh, kw) of output pixel (0, 0) reads, from the group's
  // channel 0 (of the phases, or of x).
  const std::vector<int64_t> off = TapOffsets(g, p.layout);
  // wp[grp][blk][k][j] = w[grp * O_g + blk * block + j][k], 0 past O_g; the
  // bias likewise padded.
  const int64_t blocks_total = groups * p.blocks;
  auto wp = hwy::AllocateAligned<float>(static_cast<size_t>(blocks_total * p.k * p.block));
  auto bp = hwy::AllocateAligned<float>(static_cast<size_t>(blocks_total * p.block));
  ParallelFor(blocks_total, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      const int64_t grp = b / p.blocks, first = (b % p.blocks) * p.block;
      const int64_t valid = std::min(p.block, out_per_group - first);
      float* dst = wp.get() + b * p.k * p.block;
      for (int64_t k = 0; k < p.k; ++k) {
        for (int64_t j = 0; j < p.block; ++j) {
          dst[k * p.block + j] = j < valid ? w[(grp * out_per_group + first + j) * p.k + k] : 0.0f;
        }
      }
      for (int64_t j = 0; j < p.block; ++j) {
        bp[b * p.block + j] =
            bias != nullptr && j < valid ? bias[grp * out_per_group + first + j] : 0.0f;
      }
    }
  });

  // Images in chunks whose phases stay near the L2 cache's size: split, then
  // read while still there.
  const int64_t chunk =
      phased
          ? std::clamp<int64_t>((int64_t{1} << 18) / std::max<int64_t>(1, phased_image), 1, batch)
          : batch;
  hwy::AlignedFreeUniquePtr<float[]> phases;
  if (phased) phases = hwy::AllocateAligned<float>(static_cast<size_t>(chunk * phased_image));
  // Work items: (image, block, run of pixels); a run is a few dozen tiles,
  // enough items for the threads whatever the batch.
  // A multiple of 24, so that only a run's last tile is short (R is 2, 3,
  // 6, 8 or 12).
  const int64_t run =
      SmallChunksForTesting() ? 7 : std::max<int64_t>(96, (p.pixels / 8 + 23) / 24 * 24);
  const int64_t runs = (p.pixels + run - 1) / run;
  for (int64_t n0 = 0; n0 < batch; n0 += chunk) {
    const int64_t count = std::min(chunk, batch - n0);
    for (int64_t j = 0; phased && j < count; ++j) {
      SplitPhases(g, p.layout, channels, x + (n0 + j) * x_image, phases.get() + j * phased_image);
    }
    const float* in = phased ? phases.get() : x + n0 * x_image;
    const int64_t in_image = phased ? phased_image : x_image;
    const int64_t group_in = phased ? g.channels * p.layout.channel() : g.image_size();
    ParallelFor(count * blocks_total * runs, 1, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const int64_t j = i / (blocks_total * runs), b = i / runs % blocks_total, r = i % runs;
        const int64_t grp = b / p.blocks, first = (b % p.blocks) * p.block;
        const float* src = in + j * in_image + grp * group_in;
        const float* wb = wp.get() + b * p.k * p.block;
        const float* bb = bias != nullptr ? bp.get() + b * p.block : nullptr;
        const int64_t valid = std::min(p.block, out_per_group - first);
        float* out = y + (n0 + j) * y_image + (grp * out_per_group + first) * p.pixels;
        const int64_t q0 = r * run, q1 = std::min(p.pixels, q0 + run);
        switch (p.v) {
          case 1:
            Run<1>(p, src, off.data(), wb, bb, valid, q0, q1, out);
            break;
          case 2:
            Run<2>(p, src, off.data(), wb, bb, valid, q0, q1, out);
            break;
          case 3:
            Run<3>(p, src, off.data(), wb, bb, valid, q0, q1, out);
            break;
          default:
            Run<4>(p, src, off.data(), wb, bb, valid, q0, q1, out);
            break;
        }
      }
    });
  }
}

// dst[p * width + c] = src[c * ld + p] for c < rows, p < cols, and 0 for
// rows <= c < zero_to: 4 x 4 blocks through registers, in strips that stay
// in the L1 cache.
void TransposeInto(const float* src, int64_t ld, int64_t rows, int64_t cols, int64_t width,
                   int64_t zero_to, float* dst) {
  for (int64_t p0 = 0; p0 < cols; p0 += 64) {
    const int64_t p1 = std::min(cols, p0 + 64);
    int64_t c = 0;
#if HWY_TARGET != HWY_SCALAR
    const hn::FixedTag<float, 4> d4;
    for (; c + 4 <= rows; c += 4) {
      const float* s = src + c * ld;
      int64_t p = p0;
      for (; p + 4 <= p1; p += 4) {
        const auto r0 = hn::LoadU(d4, s + p), r1 = hn::LoadU(d4, s + ld + p);
        const auto r2 = hn::LoadU(d4, s + 2 * ld + p), r3 = hn::LoadU(d4, s + 3 * ld + p);
        const auto t0 = hn::InterleaveLower(d4, r0, r1), t1 = hn::InterleaveLower(d4, r2, r3);
        const auto t2 = hn::InterleaveUpper(d4, r0, r1), t3 = hn::InterleaveUpper(d4, r2, r3);
        float* o = dst + p * width + c;
        hn::StoreU(hn::ConcatLowerLower(d4, t1, t0), d4, o);
        hn::StoreU(hn::ConcatUpperUpper(d4, t1, t0), d4, o + width);
        hn::StoreU(hn::ConcatLowerLower(d4, t3, t2), d4, o + 2 * width);
        hn::StoreU(hn::ConcatUpperUpper(d4, t3, t2), d4, o + 3 * width);
      }
      for (; p < p1; ++p) {
        for (int64_t i = 0; i < 4; ++i) dst[p * width + c + i] = s[i * ld + p];
      }
    }
#endif
    for (; c < std::max(rows, zero_to); ++c) {
      if (c < rows) {
        for (int64_t p = p0; p < p1; ++p) dst[p * width + c] = src[c * ld + p];
      } else {
        for (int64_t p = p0; p < p1; ++p) dst[p * width + c] = 0.0f;
      }
    }
  }
}

// The tap offsets of a geometry: where tap k = (c, kh, kw) of output pixel
// (0, 0) reads, from channel 0 of the input laid out as L.
std::vector<int64_t> TapOffsets(const ConvGeometry& g, const PhaseLayout& L) {
  std::vector<int64_t> off(g.col_rows());
  for (int64_t k = 0; k < g.col_rows(); ++k) {
    const int64_t kw = k % g.kernel_w, kh = k / g.kernel_w % g.kernel_h;
    const int64_t c = k / (g.kernel_w * g.kernel_h);
    off[k] = c * L.channel() + ((kh % L.stride_h) * L.stride_w + kw % L.stride_w) * L.plane() +
             (kh / L.stride_h) * L.cols + kw / L.stride_w;
  }
  return off;
}

// out[c] = sum over p < cols of src[p * width + c], for c < width (a
// multiple of the vector length): two chains of vector adds per vector of
// channels, in float over one span, then widened.
void SumPixels(const float* HWY_RESTRICT src, int64_t cols, int64_t width, double* out) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = hn::Lanes(d);
  HWY_ALIGN float lane_sums[HWY_MAX_BYTES / sizeof(float)];
  for (int64_t c = 0; c < width; c += lanes) {
    auto even = hn::Zero(d), odd = hn::Zero(d);
    int64_t p = 0;
    for (; p + 2 <= cols; p += 2) {
      even = hn::Add(even, hn::Load(d, src + p * width + c));
      odd = hn::Add(odd, hn::Load(d, src + (p + 1) * width + c));
    }
    if (p < cols) even = hn::Add(even, hn::Load(d, src + p * width + c));
    hn::Store(hn::Add(even, odd), d, lane_sums);
    for (int64_t i = 0; i < lanes; ++i) out[c + i] = lane_sums[i];
  }
}

// Accumulates the tap tiles [t0, t1) of one (group, block) over pixels
// [i0, i1) of a chunk (see WeightGradient).
template <int V>
void WeightTiles(const float* in, const int64_t* taps, int64_t k, const int64_t* pix_off,
                 const float* dyt, int64_t t0, int64_t t1, int64_t i0, int64_t i1, bool accumulate,
                 float* acc) {
  constexpr int R = TilePixels<V>();
  const int64_t width = V * hn::Lanes(hn::ScalableTag<float>());
  for (int64_t t = t0; t < t1; ++t) {
    const float* base[R];
    for (int r = 0; r < R; ++r) base[r] = in + taps[std::min<int64_t>(t * R + r, k - 1)];
    Tile<V, R>(base, pix_off + i0, i1 - i0, dyt + i0 * width, nullptr, accumulate,
               acc + t * R * width);
  }
}

// dw = sum over images and pixels of dy x im2col(x)^T, all groups, with
// the roles of the forward's tile swapped: R taps (broadcast from the
// input, phases or x) x V vectors of output channels (dy transposed to
// pixel-major blocks), summed over every pixel of a chunk of images in
// registers. No im2col packing, and one pass over the batch instead of a
// GEMM per image. Each thread owns a fixed range of tap tiles and walks the
// pixels in blocks that stay in its cache; every sum runs in one order
// fixed by the shapes.
void WeightGradient(const ConvGeometry& g, int64_t batch, int64_t groups, int64_t out_per_group,
                    const float* x, const float* dy, float* dw, float* db) {
  const int64_t lanes = Lanes();
  const int64_t v = ChooseVectors(out_per_group), width = v * lanes;
  const int64_t blocks = (out_per_group + width - 1) / width;
  const int64_t k = g.col_rows(), pixels = g.col_cols();
  const int64_t r_taps = v == 1   ? TilePixels<1>()
                         : v == 2 ? TilePixels<2>()
                         : v == 3 ? TilePixels<3>()
                                  : TilePixels<4>();
  const int64_t tiles = (k + r_taps - 1) / r_taps;
  const bool phased = UsePhases(g);
  const PhaseLayout L = MakePhaseLayout(g);
  const int64_t channels = groups * g.channels;
  const int64_t x_image = channels * g.in_h * g.in_w;
  const int64_t phased_image = channels * L.channel();
  const int64_t in_image = phased ? phased_image : x_image;
  const int64_t group_in = phased ? g.channels * L.channel() : g.image_size();
  const int64_t y_image = groups * out_per_group * pixels;
  const std::vector<int64_t> taps = TapOffsets(g, L);
  // Images per chunk: the phases and dy's transpose within a few MiB each.
  const int64_t per_image = std::max(phased ? phased_image : 0, groups * blocks * width * pixels);
  const int64_t chunk = SmallChunksForTesting()
                            ? std::max<int64_t>(1, (batch + 1) / 2)
                            : std::clamp<int64_t>((int64_t{1} << 20) / per_image, 1, batch);
  hwy::AlignedFreeUniquePtr<float[]> phases;
  if (phased) phases = hwy::AllocateAligned<float>(static_cast<size_t>(chunk * phased_image));
  auto dyt =
      hwy::AllocateAligned<float>(static_cast<size_t>(groups * blocks * chunk * pixels * width));
  const int64_t items = groups * blocks * tiles;
  // Pixels per transposition item (a first layer has one block and few
  // images per chunk: one item per image left a thread idle), and the bias
  // gradient's partial sums, one per (image, group, block, span) and
  // channel, taken from dy's transposed copy while it is in cache and summed
  // in a fixed order at the end.
  constexpr int64_t kSpan = 512;
  const int64_t spans = (pixels + kSpan - 1) / kSpan;
  std::vector<double> bias_parts(db != nullptr ? batch * groups * blocks * spans * width : 0);
  auto acc = hwy::AllocateAligned<float>(static_cast<size_t>(items * r_taps * width));
  // pix_off[j * pixels + pix]: where pixel pix of image j reads tap 0.
  std::vector<int64_t> pix_off(chunk * pixels);
  for (int64_t j = 0; j < chunk; ++j) {
    for (int64_t pix = 0; pix < pixels; ++pix) {
      pix_off[j * pixels + pix] = j * in_image + pix / g.out_w * L.cols + pix % g.out_w;
    }
  }
  // Pixels per pass over a thread's tiles: dy's block (width floats each)
  // stays in the L2 cache while every tile reads it.
  const int64_t pass = SmallChunksForTesting() ? 5 : std::max<int64_t>(256, 4096 / v);
  for (int64_t n0 = 0; n0 < batch; n0 += chunk) {
    const int64_t count = std::min(chunk, batch - n0), span = count * pixels;
    for (int64_t j = 0; phased && j < count; ++j) {
      SplitPhases(g, L, channels, x + (n0 + j) * x_image, phases.get() + j * phased_image);
    }
    const float* in = phased ? phases.get() : x + n0 * x_image;
    // dyt[grp][blk][j * pixels + pix][c] = dy[n0 + j][grp O_g + blk width + c][pix], 0 past O_g.
    ParallelFor(count * groups * blocks * spans, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t s = b % spans, jb = b / spans;
        const int64_t j = jb / (groups * blocks), gb = jb % (groups * blocks);
        const int64_t grp = gb / blocks, first = gb % blocks * width;
        const int64_t valid = std::min(width, out_per_group - first);
        const int64_t p0 = s * kSpan, cols = std::min<int64_t>(kSpan, pixels - p0);
        const float* src = dy + (n0 + j) * y_image + (grp * out_per_group + first) * pixels + p0;
        float* dst = dyt.get() + ((gb * chunk + j) * pixels + p0) * width;
        TransposeInto(src, pixels, valid, cols, width, width, dst);
        if (db != nullptr) {
          SumPixels(dst, cols, width,
                    bias_parts.data() + (((n0 + j) * groups * blocks + gb) * spans + s) * width);
        }
      }
    });
    ParallelFor(items, 1, [&](int64_t it0, int64_t it1) {
      for (int64_t i0 = 0; i0 < span; i0 += pass) {
        const int64_t i1 = std::min(span, i0 + pass);
        const bool accumulate = n0 > 0 || i0 > 0;
        for (int64_t it = it0; it < it1;) {
          // The run of this thread's items in one (group, block).
          const int64_t gb = it / tiles, t0 = it % tiles;
          const int64_t t1 = std::min(tiles, t0 + (it1 - it));
          const float* group_in_ptr = in + gb / blocks * group_in;
          const float* block_dyt = dyt.get() + gb * chunk * pixels * width;
          float* block_acc = acc.get() + gb * tiles * r_taps * width;
          switch (v) {
            case 1:
              WeightTiles<1>(group_in_ptr, taps.data(), k, pix_off.data(), block_dyt, t0, t1, i0,
                             i1, accumulate, block_acc);
              break;
            case 2:
              WeightTiles<2>(group_in_ptr, taps.data(), k, pix_off.data(), block_dyt, t0, t1, i0,
                             i1, accumulate, block_acc);
              break;
            case 3:
              WeightTiles<3>(group_in_ptr, taps.data(), k, pix_off.data(), block_dyt, t0, t1, i0,
                             i1, accumulate, block_acc);
              break;
            default:
              WeightTiles<4>(group_in_ptr, taps.data(), k, pix_off.data(), block_dyt, t0, t1, i0,
                             i1, accumulate, block_acc);
              break;
          }
          it += t1 - t0;
        }
      }
    });
  }
  if (db != nullptr) {
    for (int64_t gb = 0; gb < groups * blocks; ++gb) {
      const int64_t grp = gb / blocks, first = gb % blocks * width;
      const int64_t valid = std::min(width, out_per_group - first);
      for (int64_t c = 0; c < valid; ++c) {
        double sum = 0;
        for (int64_t n = 0; n < batch; ++n) {
          for (int64_t s = 0; s < spans; ++s) {
            sum += bias_parts[((n * groups * blocks + gb) * spans + s) * width + c];
          }
        }
        db[grp * out_per_group + first + c] = static_cast<float>(sum);
      }
    }
  }
  // dw[grp O_g + o][tap] from the tap-major tiles.
  ParallelFor(groups * blocks, 1, [&](int64_t b0, int64_t b1) {
    for (int64_t gb = b0; gb < b1; ++gb) {
      const int64_t grp = gb / blocks, first = gb % blocks * width;
      const int64_t valid = std::min(width, out_per_group - first);
      const float* src = acc.get() + gb * tiles * r_taps * width;
      for (int64_t o = 0; o < valid; ++o) {
        float* dst = dw + (grp * out_per_group + first + o) * k;
        for (int64_t t = 0; t < k; ++t) dst[t] = src[t * width + o];
      }
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

HWY_EXPORT(Forward);
HWY_EXPORT(WeightGradient);

namespace {
std::atomic<DirectConvUse> direct_use{DirectConvUse::kAuto};
}  // namespace

void SetDirectConvUseForTesting(DirectConvUse use) { direct_use = use; }

bool UseDirectConv(const ConvGeometry& g, int64_t out_channels_per_group) {
  const auto& a = g.attrs;
  if (a.dilation[0] != 1 || a.dilation[1] != 1) return false;
  switch (direct_use.load()) {
    case DirectConvUse::kAlways:
      return true;
    case DirectConvUse::kNever:
      return false;
    case DirectConvUse::kAuto:
      break;
  }
  // Measured (ops/conv2d/bench_cases.cc): the direct kernel wins where the
  // output channels fill whole vectors and the kernel sum is long enough to
  // hide the tile's transposed store.
  return out_channels_per_group >= 32 && g.col_rows() >= 64;
}

bool UseDirectWeightGradient(const ConvGeometry& g, int64_t out_channels_per_group) {
  // The same rule as the forward, measured on the same bench cases; a
  // function of its own so that the two can part when measurements say so.
  return UseDirectConv(g, out_channels_per_group);
}

int64_t DirectConvScratchFloats(const ConvGeometry& g, int64_t batch, int64_t groups,
                                int64_t out_channels_per_group) {
  const PhaseLayout L = MakePhaseLayout(g);
  const int64_t phased_image = UsePhases(g) ? groups * g.channels * L.channel() : 0;
  // Blocks of up to 64 channels, padded (4 AVX-512 vectors).
  const int64_t padded = groups * ((out_channels_per_group + 63) / 64 * 64);
  const int64_t forward_chunk =
      phased_image > 0 ? std::clamp<int64_t>((int64_t{1} << 18) / phased_image, 1, batch) : 0;
  const int64_t forward = forward_chunk * phased_image + padded * (g.col_rows() + 1);
  const int64_t per_image = std::max(phased_image, padded * g.col_cols());
  const int64_t chunk = std::clamp<int64_t>((int64_t{1} << 20) / per_image, 1, batch);
  // The bias gradient's partial sums: doubles per image, block and span of
  // 512 pixels.
  const int64_t bias_parts = 2 * batch * padded * ((g.col_cols() + 511) / 512);
  const int64_t gradient = chunk * (phased_image + padded * g.col_cols()) +
                           padded * (g.col_rows() + 12) + chunk * g.col_cols() * 2 + bias_parts;
  return std::max(forward, gradient);
}

void DirectConvForward(const ConvGeometry& g, int64_t batch, int64_t groups, int64_t out_per_group,
                       const float* x, const float* w, const float* bias, float* y) {
  HWY_DYNAMIC_DISPATCH(Forward)(g, batch, groups, out_per_group, x, w, bias, y);
}

void DirectConvWeightGradient(const ConvGeometry& g, int64_t batch, int64_t groups,
                              int64_t out_per_group, const float* x, const float* dy, float* dw,
                              float* db) {
  HWY_DYNAMIC_DISPATCH(WeightGradient)(g, batch, groups, out_per_group, x, dy, dw, db);
}

}  // namespace conv
}  // namespace tessera
#endif  // HWY_ONCE
