#include "ops/common/gemm.h"

#include <cmath>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "gtest/gtest.h"

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

}  // namespace
}  // namespace tessera
