#include "core/cpu_vector_math.h"

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace tessera {
namespace {

// 1000 elements: many full vectors on any SIMD target, then a tail.
constexpr int64_t kN = 1000;

std::vector<float> Random(uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(kN);
  for (float& x : v) x = dist(rng);
  return v;
}

// Runs `update(begin, end)` over [0, kN) in chunks that start and end at
// `split` points, the way ParallelFor hands chunks to threads.
void InChunks(const std::vector<int64_t>& splits,
              const std::function<void(int64_t, int64_t)>& update) {
  int64_t begin = 0;
  for (int64_t end : splits) {
    update(begin, end);
    begin = end;
  }
  update(begin, kN);
}

const std::vector<std::vector<int64_t>> kChunkings = {{}, {7}, {3, 500, 501, 999}};

TEST(CpuVectorMathTest, SgdMomentumMatchesTheFormulaAndIgnoresChunkBoundaries) {
  const std::vector<float> g = Random(1, -1, 1), w0 = Random(2, -1, 1), v0 = Random(3, -1, 1);
  const float lr = 0.01f, momentum = 0.9f, decay = 5e-4f;
  std::vector<float> first_w, first_v;
  for (const auto& splits : kChunkings) {
    std::vector<float> w = w0, v = v0;
    InChunks(splits, [&](int64_t b, int64_t e) {
      cpu_math::SgdMomentum(lr, momentum, decay, g.data() + b, w.data() + b, v.data() + b, e - b);
    });
    for (int64_t i = 0; i < kN; ++i) {
      const double vi = double(momentum) * v0[i] + (g[i] + double(decay) * w0[i]);
      ASSERT_NEAR(v[i], vi, 1e-6) << i;
      ASSERT_NEAR(w[i], w0[i] - double(lr) * vi, 1e-6) << i;
    }
    if (first_w.empty()) {
      first_w = w, first_v = v;
    } else {  // The tail runs through the same vector arithmetic: bitwise equal.
      EXPECT_EQ(w, first_w);
      EXPECT_EQ(v, first_v);
    }
  }
}

TEST(CpuVectorMathTest, AdamMatchesTheFormulaAndIgnoresChunkBoundaries) {
  const std::vector<float> g = Random(4, -1, 1), w0 = Random(5, -1, 1), m0 = Random(6, -1, 1),
                           v0 = Random(7, 0, 1);
  const float lr_t = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, decay = 1e-4f;
  std::vector<float> first_w;
  for (const auto& splits : kChunkings) {
    std::vector<float> w = w0, m = m0, v = v0;
    InChunks(splits, [&](int64_t b, int64_t e) {
      cpu_math::Adam(lr_t, beta1, beta2, eps, decay, g.data() + b, w.data() + b, m.data() + b,
                     v.data() + b, e - b);
    });
    for (int64_t i = 0; i < kN; ++i) {
      const double gi = g[i] + double(decay) * w0[i];
      const double mi = beta1 * double(m0[i]) + (1 - double(beta1)) * gi;
      const double vi = beta2 * double(v0[i]) + (1 - double(beta2)) * gi * gi;
      ASSERT_NEAR(m[i], mi, 1e-6) << i;
      ASSERT_NEAR(v[i], vi, 1e-6) << i;
      ASSERT_NEAR(w[i], w0[i] - lr_t * mi / (std::sqrt(vi) + eps), 1e-6) << i;
    }
    if (first_w.empty()) {
      first_w = w;
    } else {
      EXPECT_EQ(w, first_w);
    }
  }
}

TEST(CpuVectorMathTest, FillAndAxpyCoverEveryElement) {
  for (int64_t n : {0, 1, 15, 16, 17, 999}) {
    std::vector<float> x(n + 1, -7.0f);  // one guard element past the end
    cpu_math::Fill(2.5f, x.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(x[i], 2.5f) << n << " " << i;
    EXPECT_EQ(x[n], -7.0f) << "Fill wrote past the end, n=" << n;

    std::vector<float> y(n + 1, 1.0f);
    cpu_math::Axpy(-2.0f, x.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], -4.0f) << n << " " << i;
    EXPECT_EQ(y[n], 1.0f) << "Axpy wrote past the end, n=" << n;
  }
}

}  // namespace
}  // namespace tessera
