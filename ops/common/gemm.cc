#include "ops/common/gemm.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include "core/thread_pool.h"

// Highway runtime dispatch: this file is compiled once per SIMD target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "ops/common/gemm.cc"
#include "hwy/aligned_allocator.h"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
// MicroKernel, kMr and kNv, per target.
#include "hwy/targets.h"
#include "ops/common/gemm_kernel-inl.h"

HWY_BEFORE_NAMESPACE();
namespace tessera {
namespace HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// A packed GEMM in the style of Goto and BLIS. The micro-kernel broadcasts
// A and loads vectors of B, so in BLIS's terms A is the operand whose
// micro-panel stays in L1 and B the one streamed from an L2-sized block:
//   each thread owns a fixed range of rows or of columns of C and, for it:
//   for each block of up to kMcMax rows of op(A):
//     for each block of kc rows of K:
//       pack the A block [rows, kc] into micro-panels of kMr rows (k-major):
//         it stays in L3 and is packed once, whatever N is
//       for each block of nc columns (kc * nc floats, 3/4 of a 1 MiB L2):
//         pack op(B)[kc, nc] into panels of nr columns (k-major)
//         for each micro-panel of A (8 x kc, in L1 across the row):
//           run the kMr x nr micro-kernel on every panel of the B block
// With rows split (large M), every thread needs every B block: the threads
// pack each block together, a slice each, and meet at a barrier before
// reading it (at 2048^3 on 2 threads, B packed by each thread for itself
// was a third of the packing time). With columns split (small M), each
// thread packs its own B columns and the small A. Packing reads A and B
// directly in either orientation. Each C element is summed in the same k
// order (k blocks of KBlock(k)) by one thread, whatever the thread count:
// results are deterministic, and the same for every thread count.
constexpr int64_t kKcMax = 512;
// Rows per thread share below which threads split columns instead.
constexpr int64_t kMc = 96;
// Rows of A packed at once: kMcMax * kc floats (2 MiB) per thread, in L3.
constexpr int64_t kMcMax = 1024;
// The B block's share of L2 (1 MiB on AVX-512 parts, Zen 4 and 5 included;
// 512 KiB on Zen 2 and 3).
#if HWY_TARGET <= HWY_AVX3 && HWY_TARGET != HWY_SCALAR
constexpr int64_t kBBlockBytes = 768 << 10;
#else
constexpr int64_t kBBlockBytes = 384 << 10;
#endif

// K is cut into equal blocks of at most kKcMax (rounded up to 8): a short
// last block would pay the C tile's load and store for little work. Only k
// decides it, so the summation order is fixed.
int64_t KBlock(int64_t k) {
  const int64_t blocks = (k + kKcMax - 1) / kKcMax;
  return std::min(kKcMax, ((k + blocks - 1) / blocks + 7) / 8 * 8);
}

int64_t PanelWidth() { return kNv * static_cast<int64_t>(hn::Lanes(hn::ScalableTag<float>())); }

struct Operand {
  const float* data;
  bool transposed;
  int64_t ld;  // row stride of the stored (untransposed) matrix
};

// out[k * stride + r] = src[r * ld + k] for r < 4, k < kc: four rows read
// along k, written k-major, 4x4 at a time through registers.
void Transpose4Rows(const float* src, int64_t ld, int64_t kc, float* out, int64_t stride) {
  int64_t k = 0;
#if HWY_TARGET != HWY_SCALAR
  const hn::FixedTag<float, 4> d4;
  for (; k + 4 <= kc; k += 4) {
    const auto r0 = hn::LoadU(d4, src + k), r1 = hn::LoadU(d4, src + ld + k);
    const auto r2 = hn::LoadU(d4, src + 2 * ld + k), r3 = hn::LoadU(d4, src + 3 * ld + k);
    const auto t0 = hn::InterleaveLower(d4, r0, r1), t1 = hn::InterleaveLower(d4, r2, r3);
    const auto t2 = hn::InterleaveUpper(d4, r0, r1), t3 = hn::InterleaveUpper(d4, r2, r3);
    hn::StoreU(hn::ConcatLowerLower(d4, t1, t0), d4, out + k * stride);
    hn::StoreU(hn::ConcatUpperUpper(d4, t1, t0), d4, out + (k + 1) * stride);
    hn::StoreU(hn::ConcatLowerLower(d4, t3, t2), d4, out + (k + 2) * stride);
    hn::StoreU(hn::ConcatUpperUpper(d4, t3, t2), d4, out + (k + 3) * stride);
  }
#endif
  for (; k < kc; ++k) {
    for (int64_t r = 0; r < 4; ++r) out[k * stride + r] = src[r * ld + k];
  }
}

// out[k * stride + r] = src[r * ld + k] for r < 8, k < kc, 8x8 at a time
// in 256-bit registers: half the shuffles per float of Transpose4Rows, and
// eight lines read at once keep more misses in flight when the lines come
// from DRAM (a transposed weight).
void Transpose8Rows(const float* src, int64_t ld, int64_t kc, float* out, int64_t stride) {
  int64_t k = 0;
#if HWY_TARGET <= HWY_AVX2 && HWY_TARGET != HWY_SCALAR
  const hn::FixedTag<float, 8> d8;
  const hn::Repartition<double, decltype(d8)> dd;
  auto pairs_lo = [&](hn::Vec<decltype(d8)> x, hn::Vec<decltype(d8)> y) {
    return hn::BitCast(d8, hn::InterleaveLower(dd, hn::BitCast(dd, x), hn::BitCast(dd, y)));
  };
  auto pairs_hi = [&](hn::Vec<decltype(d8)> x, hn::Vec<decltype(d8)> y) {
    return hn::BitCast(d8, hn::InterleaveUpper(dd, hn::BitCast(dd, x), hn::BitCast(dd, y)));
  };
  for (; k + 8 <= kc; k += 8) {
    const float* s = src + k;
    const auto r0 = hn::LoadU(d8, s), r1 = hn::LoadU(d8, s + ld);
    const auto r2 = hn::LoadU(d8, s + 2 * ld), r3 = hn::LoadU(d8, s + 3 * ld);
    const auto r4 = hn::LoadU(d8, s + 4 * ld), r5 = hn::LoadU(d8, s + 5 * ld);
    const auto r6 = hn::LoadU(d8, s + 6 * ld), r7 = hn::LoadU(d8, s + 7 * ld);
    // Within each 128-bit half: t0 = r0[0] r1[0] r0[1] r1[1], t1 = r0[2] ...
    const auto t0 = hn::InterleaveLower(d8, r0, r1), t1 = hn::InterleaveUpper(d8, r0, r1);
    const auto t2 = hn::InterleaveLower(d8, r2, r3), t3 = hn::InterleaveUpper(d8, r2, r3);
    const auto t4 = hn::InterleaveLower(d8, r4, r5), t5 = hn::InterleaveUpper(d8, r4, r5);
    const auto t6 = hn::InterleaveLower(d8, r6, r7), t7 = hn::InterleaveUpper(d8, r6, r7);
    // u0 = rows 0-3 at k and k + 4, u1 at k + 1 and k + 5, ...; u4.. rows 4-7.
    const auto u0 = pairs_lo(t0, t2), u1 = pairs_hi(t0, t2);
    const auto u2 = pairs_lo(t1, t3), u3 = pairs_hi(t1, t3);
    const auto u4 = pairs_lo(t4, t6), u5 = pairs_hi(t4, t6);
    const auto u6 = pairs_lo(t5, t7), u7 = pairs_hi(t5, t7);
    float* o = out + k * stride;
    hn::StoreU(hn::ConcatLowerLower(d8, u4, u0), d8, o);
    hn::StoreU(hn::ConcatLowerLower(d8, u5, u1), d8, o + stride);
    hn::StoreU(hn::ConcatLowerLower(d8, u6, u2), d8, o + 2 * stride);
    hn::StoreU(hn::ConcatLowerLower(d8, u7, u3), d8, o + 3 * stride);
    hn::StoreU(hn::ConcatUpperUpper(d8, u4, u0), d8, o + 4 * stride);
    hn::StoreU(hn::ConcatUpperUpper(d8, u5, u1), d8, o + 5 * stride);
    hn::StoreU(hn::ConcatUpperUpper(d8, u6, u2), d8, o + 6 * stride);
    hn::StoreU(hn::ConcatUpperUpper(d8, u7, u3), d8, o + 7 * stride);
  }
#endif
  if (k < kc) {
    Transpose4Rows(src + k, ld, kc - k, out + k * stride, stride);
    Transpose4Rows(src + 4 * ld + k, ld, kc - k, out + k * stride + 4, stride);
  }
}

// Packs `width` lines of a stored matrix that run along k into a k-major
// panel of `width` columns: out[k * width + j] = line j at k, j < valid,
// and 0 for j >= valid. Line j starts at src + j * ld.
void PackLinesAlongK(const float* src, int64_t ld, int64_t kc, int64_t width, int64_t valid,
                     float* out) {
  int64_t j = 0;
  for (; j + 8 <= valid; j += 8) Transpose8Rows(src + j * ld, ld, kc, out + j, width);
  for (; j + 4 <= valid; j += 4) Transpose4Rows(src + j * ld, ld, kc, out + j, width);
  for (; j < valid; ++j) {
    for (int64_t k = 0; k < kc; ++k) out[k * width + j] = src[j * ld + k];
  }
  for (; j < width; ++j) {
    for (int64_t k = 0; k < kc; ++k) out[k * width + j] = 0.0f;
  }
}

// Packs a k-major panel whose rows are stored contiguously: out[k * width +
// j] = src[k * ld + j] for j < valid, 0 beyond.
void PackRowsAlongK(const float* src, int64_t ld, int64_t kc, int64_t width, int64_t valid,
                    float* out) {
  const hn::ScalableTag<float> d;
  const int64_t lanes = hn::Lanes(d);
  if (valid == width && width % lanes == 0) {  // whole panels: copy in registers
    for (int64_t k = 0; k < kc; ++k) {
      for (int64_t j = 0; j < width; j += lanes) {
        hn::StoreU(hn::LoadU(d, src + k * ld + j), d, out + k * width + j);
      }
    }
    return;
  }
  for (int64_t k = 0; k < kc; ++k) {
    float* dst = out + k * width;
    std::memcpy(dst, src + k * ld, valid * sizeof(float));
    std::fill(dst + valid, dst + width, 0.0f);
  }
}

// Packs rows [r0, r0+rows) x cols [k0, k0+kc) of op(A) into micro-panels of
// kMr rows: panel p holds, for each k, the kMr values of rows p*kMr...; rows
// past the end are zero.
void PackA(const Operand& a, int64_t r0, int64_t rows, int64_t k0, int64_t kc, float* out) {
  for (int64_t p = 0; p < rows; p += kMr) {
    const int64_t valid = std::min(kMr, rows - p);
    if (a.transposed) {  // row r of op(A) is column r of the stored A
      PackRowsAlongK(a.data + k0 * a.ld + r0 + p, a.ld, kc, kMr, valid, out);
    } else {
      PackLinesAlongK(a.data + (r0 + p) * a.ld + k0, a.ld, kc, kMr, valid, out);
    }
    out += kc * kMr;
  }
}

// Packs rows [k0, k0+kc) x cols [c0, c0+cols) of op(B) into panels of nr
// columns, k-major inside each panel; columns past the end are zero.
void PackB(const Operand& b, int64_t k0, int64_t kc, int64_t c0, int64_t cols, int64_t nr,
           float* out) {
  for (int64_t p = 0; p < cols; p += nr) {
    const int64_t valid = std::min(nr, cols - p);
    if (b.transposed) {  // column c of op(B) is row c of the stored B
      PackLinesAlongK(b.data + (c0 + p) * b.ld + k0, b.ld, kc, nr, valid, out);
    } else {
      PackRowsAlongK(b.data + k0 * b.ld + c0 + p, b.ld, kc, nr, valid, out);
    }
    out += kc * nr;
  }
}

// Floats in B packed whole (every k block, every panel), as PackWholeB
// writes it and GemmImpl reads it.
int64_t PackedBSize(int64_t n, int64_t k) {
  const int64_t nr = PanelWidth();
  return k * ((n + nr - 1) / nr) * nr;
}

// Packs all of op(B): k block k0 (KBlock(k) rows, fewer in the last) starts
// at k0 * n_panels * nr and holds every panel in order, panel p at p * kc *
// nr within the block.
void PackWholeB(bool trans_b, int64_t n, int64_t k, const float* b_data, float* out) {
  const int64_t nr = PanelWidth();
  const Operand b{b_data, trans_b, trans_b ? k : n};
  const int64_t n_panels = (n + nr - 1) / nr;
  const int64_t kb = KBlock(k);
  for (int64_t k0 = 0; k0 < k; k0 += kb) {
    const int64_t kc = std::min(kb, k - k0);
    float* block = out + k0 * n_panels * nr;
    ParallelFor(n_panels, 4, [&](int64_t p0, int64_t p1) {
      PackB(b, k0, kc, p0 * nr, std::min(n, p1 * nr) - p0 * nr, nr, block + p0 * kc * nr);
    });
  }
}

// A barrier for the threads of one GemmImpl call: they spin (a block's
// packing takes microseconds, a wake-up through the kernel tens of them on a
// VM), then yield, so that a descheduled partner gets the core back.
class SpinBarrier {
 public:
  explicit SpinBarrier(int threads) : threads_(threads) {}

  void Wait() {
    const int64_t generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) == threads_ - 1) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.store(generation + 1, std::memory_order_release);
      return;
    }
    for (int i = 0; generation_.load(std::memory_order_acquire) == generation; ++i) {
      if (i < 4096) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  const int threads_;
  std::atomic<int> arrived_{0};
  std::atomic<int64_t> generation_{0};
};

// Packing buffers that outlive the call, one set per thread (a pool thread
// runs one share of one product at a time): a fresh multi-megabyte buffer
// per call costs its page faults every call. Backed by transparent huge
// pages where the kernel offers them on request: the packed B block is read
// whole for every micro-panel of A, and on 4 KiB pages its 192 pages
// overflow the L1 TLB.
class PackBuffer {
 public:
  PackBuffer() = default;
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;
  ~PackBuffer() { std::free(data_); }

  float* Get(int64_t floats) {
    const size_t bytes = static_cast<size_t>(floats) * sizeof(float);
    if (bytes > bytes_) {
      std::free(data_);
      constexpr size_t kHugePage = size_t{2} << 20;
      // Whole huge pages above 1 MiB; below, 4 KiB pages (a huge page
      // would be mostly unused memory).
      const size_t align = bytes >= (size_t{1} << 20) ? kHugePage : 4096;
      bytes_ = (bytes + align - 1) / align * align;
      data_ = static_cast<float*>(std::aligned_alloc(align, bytes_));
      HWY_ASSERT(data_ != nullptr);
#ifdef __linux__
      if (align == kHugePage) madvise(data_, bytes_, MADV_HUGEPAGE);
#endif
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t bytes_ = 0;
};

// The calling thread's buffers, one set per role (a thread's own A and B;
// the B blocks it shares with the pool as the caller). A product nested
// inside another on the same thread (a PackBFn that computes one) gets
// fresh ones.
struct OwnBuffers {
  PackBuffer a, b;
  bool in_use = false;
};
struct SharedBuffers {
  PackBuffer b[2];
  bool in_use = false;
};

template <typename Buffers>
class ScopedBuffers {
 public:
  ScopedBuffers() {
    thread_local Buffers buffers;
    if (buffers.in_use) {
      own_ = std::make_unique<Buffers>();
      buffers_ = own_.get();
    } else {
      buffers_ = &buffers;
    }
    buffers_->in_use = true;
  }
  ~ScopedBuffers() { buffers_->in_use = false; }
  ScopedBuffers(const ScopedBuffers&) = delete;
  ScopedBuffers& operator=(const ScopedBuffers&) = delete;
  Buffers* operator->() { return buffers_; }

 private:
  std::unique_ptr<Buffers> own_;
  Buffers* buffers_;
};

// What the threads of a row split share: one packed B block at a time,
// double-buffered, each thread packing a slice of its panels.
struct SharedB {
  int threads;
  SpinBarrier barrier;
  float* blocks[2];
};

// C = op(A) op(B) (+ C). packed_b, when not null, is op(B) as PackWholeB
// wrote it; pack_b, when not null, packs blocks of a B that b_data does not
// hold.
void GemmImpl(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a_data,
              const float* b_data, const float* packed_b, const PackBFn* pack_b, float* c,
              bool accumulate) {
  const int64_t nr = PanelWidth();
  const int64_t kb = KBlock(k);
  // Columns per B block: whole panels, kb * nc floats within kBBlockBytes.
  const int64_t nc =
      std::max<int64_t>(1, kBBlockBytes / static_cast<int64_t>(sizeof(float)) / (kb * nr)) * nr;
  const Operand a{a_data, trans_a, trans_a ? m : k};
  const Operand b{b_data, trans_b, trans_b ? k : n};
  const int64_t n_panels = (n + nr - 1) / nr;
  const int64_t m_blocks = (m + kMc - 1) / kMc;
  const int64_t m_tiles = (m + kMr - 1) / kMr;
  const int threads = CpuThreadPool().num_threads();
  // Packs columns [jc, jc + cols) of B's k block k0 (kc rows) into out.
  auto pack_b_block = [&](int64_t k0, int64_t kc, int64_t jc, int64_t cols, float* out) {
    if (pack_b != nullptr) {
      (*pack_b)(k0, kc, jc, cols, nr, out);
    } else {
      PackB(b, k0, kc, jc, cols, nr, out);
    }
  };
  // One thread's share of C: rows [r0, r1) x panels [p0, p1). With shared
  // (a row split), every thread runs the same sequence of B blocks: rows
  // [r0, r1) cut into `ic_blocks` A blocks, and for each, every k block
  // and column block of all of C's columns. Thread `index` packs its slice
  // of each block's panels into the shared buffer; one barrier per block
  // (before anyone reads it) suffices, as the block two back, which used
  // the same buffer, was finished by everyone before they reached the
  // previous barrier.
  auto run = [&](int64_t r0, int64_t r1, int64_t p0, int64_t p1, int64_t ic_blocks, SharedB* shared,
                 int index) {
    ScopedBuffers<OwnBuffers> buffers;
    const int64_t tiles = (r1 - r0 + kMr - 1) / kMr;
    const int64_t mc = (tiles + ic_blocks - 1) / ic_blocks * kMr;
    float* packed_a = buffers->a.Get(std::max<int64_t>(mc, kMr) * kb);
    float* own_b = nullptr;
    if (packed_b == nullptr && shared == nullptr) own_b = buffers->b.Get(kb * nc);
    const int64_t c_end = std::min(n, p1 * nr);
    int64_t block = 0;  // B blocks seen, for the shared double buffer
    for (int64_t ib = 0; ib < ic_blocks; ++ib) {
      const int64_t ic = std::min(r1, r0 + ib * mc);
      const int64_t rows = std::min(mc, r1 - ic);
      for (int64_t k0 = 0; k0 < k; k0 += kb) {
        const int64_t kc = std::min(kb, k - k0);
        const bool add_to_c = accumulate || k0 > 0;
        if (rows > 0) PackA(a, ic, rows, k0, kc, packed_a);
        for (int64_t jc = p0 * nr; jc < c_end; jc += nc, ++block) {
          const int64_t cols = std::min(nc, c_end - jc);
          const int64_t panels = (cols + nr - 1) / nr;
          const float* bblock;
          if (packed_b != nullptr) {
            bblock = packed_b + k0 * n_panels * nr + (jc / nr) * kc * nr;
          } else if (shared != nullptr) {
            float* out = shared->blocks[block & 1];
            const int64_t q0 = panels * index / shared->threads;
            const int64_t q1 = panels * (index + 1) / shared->threads;
            if (q1 > q0) {
              pack_b_block(k0, kc, jc + q0 * nr, std::min(cols, q1 * nr) - q0 * nr,
                           out + q0 * kc * nr);
            }
            shared->barrier.Wait();
            bblock = out;
          } else {
            pack_b_block(k0, kc, jc, cols, own_b);
            bblock = own_b;
          }
          for (int64_t ir = 0; ir < rows; ir += kMr) {
            const float* a_panel = packed_a + ir * kc;
            float* c_row = c + (ic + ir) * n + jc;
            const int64_t tile_rows = std::min(kMr, rows - ir);
            for (int64_t p = 0; p < panels; ++p) {
              MicroKernel(a_panel, bblock + p * kc * nr, kc, c_row + p * nr, n, tile_rows,
                          std::min(nr, cols - p * nr), add_to_c, nr);
            }
          }
        }
      }
    }
  };
  auto ic_blocks_for = [](int64_t rows) {
    return std::max<int64_t>(1, (rows + kMcMax - 1) / kMcMax);
  };
  if (m_blocks < threads) {
    ParallelFor(n_panels, 4,
                [&](int64_t p0, int64_t p1) { run(0, m, p0, p1, ic_blocks_for(m), nullptr, 0); });
    return;
  }
  // Rows split in whole micro-panels, as evenly as they go: thread t gets
  // tiles [t * m_tiles / threads, (t + 1) * m_tiles / threads).
  auto tile_begin = [&](int64_t t) { return t * m_tiles / threads * kMr; };
  auto rows_of = [&](int64_t t0, int64_t t1) {
    return std::make_pair(std::min(m, tile_begin(t0)), std::min(m, tile_begin(t1)));
  };
  if (packed_b != nullptr || threads == 1) {
    ParallelFor(threads, 1, [&](int64_t t0, int64_t t1) {
      const auto [r0, r1] = rows_of(t0, t1);
      run(r0, r1, 0, n_panels, ic_blocks_for(r1 - r0), nullptr, 0);
    });
    return;
  }
  // Every thread packs 1/threads of each B block instead of all of it. All
  // run the same number of A blocks, so that they meet the same barriers.
  ScopedBuffers<SharedBuffers> buffers;
  SharedB shared{
      threads, SpinBarrier(threads), {buffers->b[0].Get(kb * nc), buffers->b[1].Get(kb * nc)}};
  const int64_t ic_blocks = ic_blocks_for((m_tiles + threads - 1) / threads * kMr);
  ParallelFor(threads, 1, [&](int64_t t0, int64_t t1) {
    const auto [r0, r1] = rows_of(t0, t1);
    if (t1 - t0 == threads) {
      // The pool ran the loop on this thread alone (a nested call): there
      // is no one to share with.
      run(r0, r1, 0, n_panels, ic_blocks_for(r1 - r0), nullptr, 0);
    } else {
      run(r0, r1, 0, n_panels, ic_blocks, &shared, static_cast<int>(t0));
    }
  });
}

const char* TargetName() { return hwy::TargetName(HWY_TARGET); }

void PackLinesImpl(const float* lines, int64_t ld, int64_t kc, int64_t width, int64_t valid,
                   float* out) {
  PackLinesAlongK(lines, ld, kc, width, valid, out);
}

}  // namespace HWY_NAMESPACE
}  // namespace tessera
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace tessera {

HWY_EXPORT(GemmImpl);
HWY_EXPORT(PackWholeB);
HWY_EXPORT(PackedBSize);
HWY_EXPORT(TargetName);
HWY_EXPORT(PackLinesImpl);

namespace {

bool Trivial(int64_t m, int64_t n, int64_t k, float* c, bool accumulate) {
  if (m == 0 || n == 0) return true;
  if (k == 0) {
    if (!accumulate) std::fill(c, c + m * n, 0.0f);
    return true;
  }
  return false;
}

// Packed weights, most recently used first. A weight is packed into the
// cache on the second call that sees the same version: in a training step
// each version of a weight meets each orientation once, and keeping a copy
// would cost memory and traffic for nothing; a weight that is read again
// unchanged (evaluation, several forward calls per step) is packed once.
class PackedBCache {
 public:
  struct Key {
    const float* b;
    bool trans_b;
    int64_t n, k;
    // The SIMD target that packed it: panel widths differ between targets,
    // and a test (or a process pinning a lower one) may switch.
    const char* target;
    bool operator==(const Key& o) const {
      return std::tie(b, trans_b, n, k) == std::tie(o.b, o.trans_b, o.n, o.k) &&
             std::strcmp(target, o.target) == 0;
    }
  };
  struct Entry {
    Key key;
    uint64_t version;
    std::shared_ptr<hwy::AlignedFreeUniquePtr<float[]>> packed;  // null: seen once
    int64_t floats;
  };

  // The packed B for (key, version), packing it if this version was seen
  // before; null when the caller should pack per call.
  std::shared_ptr<hwy::AlignedFreeUniquePtr<float[]>> Get(const Key& key, uint64_t version) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.key == key; });
    if (it != entries_.end()) {
      entries_.splice(entries_.begin(), entries_, it);
      Entry& e = entries_.front();
      if (e.version == version && e.packed != nullptr) {
        ++stats_.hits;
        return e.packed;
      }
      if (e.version == version) {  // second sighting: pack and keep
        const int64_t floats = HWY_DYNAMIC_DISPATCH(PackedBSize)(key.n, key.k);
        if (floats > kMaxFloats) return nullptr;
        auto packed = std::make_shared<hwy::AlignedFreeUniquePtr<float[]>>(
            hwy::AllocateAligned<float>(static_cast<size_t>(floats)));
        HWY_DYNAMIC_DISPATCH(PackWholeB)(key.trans_b, key.n, key.k, key.b, packed->get());
        ++stats_.packs;
        e.packed = packed;
        e.floats = floats;
        total_floats_ += floats;
        Evict();
        return packed;
      }
      total_floats_ -= e.floats;  // a new version: the old packing is stale
      e.version = version;
      e.packed = nullptr;
      e.floats = 0;
      return nullptr;
    }
    entries_.push_front(Entry{key, version, nullptr, 0});
    Evict();
    return nullptr;
  }

  GemmCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  // Beyond this many packed floats (1 GiB), the least recently used go.
  static constexpr int64_t kMaxFloats = int64_t{1} << 28;
  static constexpr size_t kMaxEntries = 64;

  void Evict() {
    while (entries_.size() > 1 && (total_floats_ > kMaxFloats || entries_.size() > kMaxEntries)) {
      total_floats_ -= entries_.back().floats;
      entries_.pop_back();
    }
  }

  std::mutex mutex_;
  std::list<Entry> entries_;
  int64_t total_floats_ = 0;
  GemmCacheStats stats_;
};

PackedBCache& Cache() {
  static PackedBCache* cache = new PackedBCache;
  return *cache;
}

}  // namespace

void Gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
          const float* b, float* c, bool accumulate) {
  if (Trivial(m, n, k, c, accumulate)) return;
  HWY_DYNAMIC_DISPATCH(GemmImpl)(trans_a, trans_b, m, n, k, a, b, nullptr, nullptr, c, accumulate);
}

void GemmVersionedB(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                    const float* b, uint64_t b_version, float* c, bool accumulate) {
  if (Trivial(m, n, k, c, accumulate)) return;
  // Packing B costs about 1/m of the product: only skinny products gain.
  constexpr int64_t kMaxRowsForCache = 256;
  std::shared_ptr<hwy::AlignedFreeUniquePtr<float[]>> packed;
  if (m <= kMaxRowsForCache) {
    packed = Cache().Get({b, trans_b, n, k, HWY_DYNAMIC_DISPATCH(TargetName)()}, b_version);
  }
  HWY_DYNAMIC_DISPATCH(GemmImpl)
  (trans_a, trans_b, m, n, k, a, b, packed != nullptr ? packed->get() : nullptr, nullptr, c,
   accumulate);
}

void GemmImplicitB(bool trans_a, int64_t m, int64_t n, int64_t k, const float* a,
                   const PackBFn& pack_b, float* c, bool accumulate) {
  if (Trivial(m, n, k, c, accumulate)) return;
  HWY_DYNAMIC_DISPATCH(GemmImpl)
  (trans_a, false, m, n, k, a, nullptr, nullptr, &pack_b, c, accumulate);
}

void PackLinesIntoPanel(const float* lines, int64_t ld, int64_t kc, int64_t width, int64_t valid,
                        float* out) {
  HWY_DYNAMIC_DISPATCH(PackLinesImpl)(lines, ld, kc, width, valid, out);
}

GemmCacheStats GetGemmCacheStats() { return Cache().stats(); }

const char* GemmTargetName() { return HWY_DYNAMIC_DISPATCH(TargetName)(); }

void ReferenceGemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const float* a,
                   const float* b, float* c, bool accumulate) {
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) {
        const float av = trans_a ? a[p * m + i] : a[i * k + p];
        const float bv = trans_b ? b[j * k + p] : b[p * n + j];
        s += static_cast<double>(av) * bv;
      }
      c[i * n + j] = accumulate ? c[i * n + j] + static_cast<float>(s) : static_cast<float>(s);
    }
  }
}

}  // namespace tessera
#endif  // HWY_ONCE
