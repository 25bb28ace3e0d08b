#include "ops/common/gemm.h"

#include <cmath>
#include <random>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "core/thread_pool.h"
#include "gtest/gtest.h"
#include "hwy/targets.h"

namespace tessera {
namespace {

std::vector<float> Random(int64_t n, int seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Every transpose combination, sizes that hit full tiles, leftover rows and
// leftover columns, with and without accumulation.
TEST(Gemm, MatchesReferenceOnAwkwardShapes) {
  const int64_t shapes[][3] = {{1, 1, 1},     {4, 16, 8},  {5, 17, 3},    {7, 33, 29},
                               {64, 10, 256}, {13, 40, 1}, {97, 35, 300}, {200, 70, 513}};
  for (const auto& s : shapes) {
    const int64_t m = s[0], n = s[1], k = s[2];
    for (int ta = 0; ta < 2; ++ta) {
      for (int tb = 0; tb < 2; ++tb) {
        for (int acc = 0; acc < 2; ++acc) {
          const std::vector<float> a = Random(m * k, 1), b = Random(k * n, 2);
          std::vector<float> c = Random(m * n, 3), expected = c;
          Gemm(ta, tb, m, n, k, a.data(), b.data(), c.data(), acc);
          ReferenceGemm(ta, tb, m, n, k, a.data(), b.data(), expected.data(), acc);
          for (int64_t i = 0; i < m * n; ++i) {
            ASSERT_NEAR(c[i], expected[i], 1e-4 * (1 + std::sqrt(double(k))))
                << "m=" << m << " n=" << n << " k=" << k << " ta=" << ta << " tb=" << tb
                << " acc=" << acc << " at " << i;
          }
        }
      }
    }
  }
}

TEST(Gemm, SameResultForSameThreadCount) {
  SetNumCpuThreads(2);
  const int64_t m = 67, n = 45, k = 300;
  const std::vector<float> a = Random(m * k, 4), b = Random(k * n, 5);
  std::vector<float> c1(m * n), c2(m * n);
  Gemm(false, true, m, n, k, a.data(), b.data(), c1.data(), false);
  Gemm(false, true, m, n, k, a.data(), b.data(), c2.data(), false);
  EXPECT_EQ(c1, c2);
}

// Shapes that take each micro-kernel edge and both thread splits (few rows:
// by columns; many rows: by rows), several K blocks included.
TEST(Gemm, LargerShapesMatchReference) {
  SetNumCpuThreads(2);
  const int64_t shapes[][3] = {{64, 1000, 700}, {300, 97, 520}, {8, 2000, 33}};
  for (const auto& s : shapes) {
    const int64_t m = s[0], n = s[1], k = s[2];
    for (int tb = 0; tb < 2; ++tb) {
      const std::vector<float> a = Random(m * k, 6), b = Random(k * n, 7);
      std::vector<float> c(m * n), expected(m * n);
      Gemm(false, tb, m, n, k, a.data(), b.data(), c.data(), false);
      ReferenceGemm(false, tb, m, n, k, a.data(), b.data(), expected.data(), false);
      for (int64_t i = 0; i < m * n; ++i) {
        ASSERT_NEAR(c[i], expected[i], 1e-4 * (1 + std::sqrt(double(k))))
            << "m=" << m << " n=" << n << " k=" << k << " tb=" << tb << " at " << i;
      }
    }
  }
}

// With rows split over threads, the threads share each packed B block, each
// packing a slice of its panels (a barrier per block). Shapes with tails
// everywhere: rows that do not split evenly, several k blocks, several
// column blocks with a partial last panel, several A blocks per thread
// (m > 2 x 1024), and a thread count (3) that does not divide the panels.
// Every C element is summed in the same order whatever the split, so each
// thread count must give the one-thread result bit for bit.
TEST(Gemm, SharedBRowSplitMatchesReferenceAndOneThread) {
  const int64_t shapes[][3] = {{100, 61, 17}, {300, 1000, 520}, {197, 2000, 1100}, {2100, 53, 40}};
  for (const auto& s : shapes) {
    const int64_t m = s[0], n = s[1], k = s[2];
    for (int tb = 0; tb < 2; ++tb) {
      const std::vector<float> a = Random(m * k, 14), b = Random(k * n, 15);
      std::vector<float> one(m * n), expected(m * n);
      SetNumCpuThreads(1);
      Gemm(false, tb, m, n, k, a.data(), b.data(), one.data(), false);
      ReferenceGemm(false, tb, m, n, k, a.data(), b.data(), expected.data(), false);
      for (int64_t i = 0; i < m * n; ++i) {
        ASSERT_NEAR(one[i], expected[i], 1e-4 * (1 + std::sqrt(double(k))))
            << "m=" << m << " n=" << n << " k=" << k << " tb=" << tb << " at " << i;
      }
      for (int threads : {2, 3}) {
        SetNumCpuThreads(threads);
        std::vector<float> c = Random(m * n, 16);
        Gemm(false, tb, m, n, k, a.data(), b.data(), c.data(), false);
        EXPECT_EQ(c, one) << "m=" << m << " n=" << n << " k=" << k << " tb=" << tb
                          << " threads=" << threads;
      }
    }
  }
  SetNumCpuThreads(2);
}

// The shared-B split through a packing function (GemmImplicitB): each thread
// asks it for a slice of a block's columns, a partial panel last.
TEST(GemmImplicitB, SharedBRowSplitMatchesGemm) {
  SetNumCpuThreads(2);
  const int64_t m = 250, n = 777, k = 600;
  const std::vector<float> a = Random(m * k, 17), b = Random(k * n, 18);
  std::vector<float> expected(m * n), c(m * n);
  Gemm(false, false, m, n, k, a.data(), b.data(), expected.data(), false);
  const PackBFn pack = [&](int64_t k0, int64_t kc, int64_t c0, int64_t cols, int64_t nr,
                           float* out) {
    for (int64_t p = 0; p * nr < cols; ++p) {
      for (int64_t kk = 0; kk < kc; ++kk) {
        for (int64_t j = 0; j < nr; ++j) {
          const int64_t col = c0 + p * nr + j;
          out[(p * kc + kk) * nr + j] = p * nr + j < cols ? b[(k0 + kk) * n + col] : 0.0f;
        }
      }
    }
  };
  GemmImplicitB(false, m, n, k, a.data(), pack, c.data(), false);
  EXPECT_EQ(c, expected);
}

// A product started inside a parallel loop runs on that thread alone (the
// pool does not nest): the row split then has no one to share B with, and
// must neither wait for a partner nor differ in its result.
TEST(Gemm, NestedInParallelLoopMatchesTopLevel) {
  SetNumCpuThreads(2);
  const int64_t m = 300, n = 200, k = 130;
  const std::vector<float> a = Random(m * k, 19), b = Random(k * n, 20);
  std::vector<float> expected(m * n);
  Gemm(false, false, m, n, k, a.data(), b.data(), expected.data(), false);
  std::vector<std::vector<float>> c(2, std::vector<float>(m * n));
  ParallelFor(2, 1, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      Gemm(false, false, m, n, k, a.data(), b.data(), c[i].data(), false);
    }
  });
  EXPECT_EQ(c[0], expected);
  EXPECT_EQ(c[1], expected);
}

// A weight read three times at one version: the second call packs it into
// the cache, the third reads the cached packing; all three agree with Gemm
// bit for bit.
TEST(GemmVersionedB, CachedPackingGivesGemmsResult) {
  SetNumCpuThreads(2);
  const int64_t m = 64, n = 300, k = 600;
  for (int tb = 0; tb < 2; ++tb) {
    const std::vector<float> a = Random(m * k, 8);
    Tensor w = Tensor::FromVector({tb ? n : k, tb ? k : n}, Random(k * n, 9));
    std::vector<float> expected(m * n);
    Gemm(false, tb, m, n, k, a.data(), w.data(), expected.data(), false);
    const GemmCacheStats before = GetGemmCacheStats();
    for (int call = 0; call < 3; ++call) {
      std::vector<float> c(m * n);
      GemmVersionedB(false, tb, m, n, k, a.data(), std::as_const(w).data(), w.version(), c.data(),
                     false);
      EXPECT_EQ(c, expected) << "call " << call << " tb=" << tb;
    }
    const GemmCacheStats after = GetGemmCacheStats();
    EXPECT_EQ(after.packs - before.packs, 1);
    EXPECT_EQ(after.hits - before.hits, 1);
  }
}

// A packing made by one SIMD target is not served to another (their panel
// widths differ): switching targets between calls still gives the product.
TEST(GemmVersionedB, PackingIsKeptPerTarget) {
  SetNumCpuThreads(2);
  const int64_t m = 16, n = 70, k = 90;
  const std::vector<float> a = Random(m * k, 12);
  Tensor w = Tensor::FromVector({n, k}, Random(k * n, 13));
  std::vector<float> expected(m * n);
  ReferenceGemm(false, true, m, n, k, a.data(), std::as_const(w).data(), expected.data(), false);
  std::vector<int64_t> targets;
  for (int64_t t : {int64_t{HWY_AVX3}, int64_t{HWY_AVX2}, int64_t{HWY_SSE4}}) {
    if ((hwy::SupportedTargets() & t) != 0) targets.push_back(t);
  }
  if (targets.size() < 2) GTEST_SKIP() << "this CPU has one SIMD target of those compiled";
  for (int64_t target : targets) {
    hwy::SetSupportedTargetsForTest(target);
    for (int call = 0; call < 3; ++call) {  // cached from the second call on
      std::vector<float> c(m * n);
      GemmVersionedB(false, true, m, n, k, a.data(), std::as_const(w).data(), w.version(), c.data(),
                     false);
      for (int64_t i = 0; i < m * n; ++i) {
        ASSERT_NEAR(c[i], expected[i], 1e-3)
            << hwy::TargetName(target) << " call " << call << " at " << i;
      }
    }
  }
  hwy::SetSupportedTargetsForTest(0);
}

// The test that fails when a stale packing is used: the weight changes
// (through the writable data(), as an optimizer writes it) after its
// packing was cached, and the next product must use the new values.
TEST(GemmVersionedB, NewValuesAfterTheWeightIsWritten) {
  SetNumCpuThreads(2);
  const int64_t m = 16, n = 70, k = 90;
  const std::vector<float> a = Random(m * k, 10);
  Tensor w = Tensor::FromVector({n, k}, Random(k * n, 11));
  std::vector<float> c(m * n), expected(m * n);
  for (int call = 0; call < 3; ++call) {  // cached from the second call on
    GemmVersionedB(false, true, m, n, k, a.data(), std::as_const(w).data(), w.version(), c.data(),
                   false);
  }
  const uint64_t old_version = w.version();
  float* writable = w.data();
  EXPECT_NE(w.version(), old_version);
  for (int64_t i = 0; i < n * k; ++i) writable[i] = -2.0f * writable[i] + 0.5f;
  for (int call = 0; call < 3; ++call) {
    GemmVersionedB(false, true, m, n, k, a.data(), std::as_const(w).data(), w.version(), c.data(),
                   false);
    ReferenceGemm(false, true, m, n, k, a.data(), std::as_const(w).data(), expected.data(), false);
    for (int64_t i = 0; i < m * n; ++i) {
      ASSERT_NEAR(c[i], expected[i], 1e-3) << "call " << call << " at " << i;
    }
  }
}

TEST(Gemm, NamesItsTarget) { EXPECT_STRNE(GemmTargetName(), ""); }

}  // namespace
}  // namespace tessera
