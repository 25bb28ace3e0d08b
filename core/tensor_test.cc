#include "core/tensor.h"

#include "core/backend.h"
#include "core/thread_pool.h"
#include "gtest/gtest.h"

namespace tessera {
namespace {

TEST(Tensor, SharesOnCopyAndDeepCopiesOnClone) {
  Tensor a = Tensor::FromVector({2, 2}, {1, 2, 3, 4});
  Tensor shared = a;
  Tensor cloned = a.Clone();
  a.data()[0] = 9;
  EXPECT_EQ(shared.data()[0], 9);
  EXPECT_EQ(cloned.data()[0], 1);
  Tensor view = a.Reshaped({4});
  EXPECT_EQ(view.shape(), (Shape{4}));
  EXPECT_EQ(view.data()[3], 4);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.data()) % 64, 0u) << "CPU buffers are 64-byte aligned";
}

TEST(Tensor, FillAndAxpy) {
  Tensor x = Tensor::Filled({3}, 2.0f);
  Tensor y = Tensor::FromVector({3}, {1, 2, 3});
  GetBackend(Device::kCpu)->Axpy(0.5f, x, y);
  EXPECT_EQ(y.ToVector(), (std::vector<float>{2, 3, 4}));
  EXPECT_EQ(Tensor::Zeros({0}).num_elements(), 0);
}

TEST(ThreadPool, CoversRangeOnceInChunks) {
  ThreadPool pool(3);
  std::vector<int> hits(1000, 0);
  pool.ParallelFor(1000, 10, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) ++hits[i];
  });
  for (int h : hits) ASSERT_EQ(h, 1);
  // Nested calls run serially instead of deadlocking.
  int64_t total = 0;
  pool.ParallelFor(1, 1, [&](int64_t, int64_t) {
    pool.ParallelFor(5, 1, [&](int64_t b, int64_t e) { total += e - b; });
  });
  EXPECT_EQ(total, 5);
}

}  // namespace
}  // namespace tessera
