#include "core/tensor.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <utility>

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

// The CPU allocator reuses freed blocks of the same size, but gives them
// back rather than hold more than the most it has had in use plus a fixed
// slack (BlockCachePolicy::within_peak_in_use, slack_bytes).
TEST(CpuBackend, TheBlockCacheStaysBelowTheInUseHighWaterMarkPlusSlack) {
  Backend& cpu = *GetBackend(Device::kCpu);
  ASSERT_TRUE(cpu.block_cache().within_peak_in_use);
  cpu.ReleaseCache();
  cpu.ResetPeakHeldBytes();
  const size_t base = cpu.HeldBytes(), mb = size_t{1} << 20;
  const size_t slack = cpu.block_cache().slack_bytes;
  ASSERT_GT(slack, 4 * mb);
  void* a = cpu.Allocate(slack + 4 * mb);
  cpu.Deallocate(a, slack + 4 * mb);  // kept
  EXPECT_EQ(cpu.HeldBytes(), base + slack + 4 * mb);
  void* b = cpu.Allocate(slack + 4 * mb);  // the same block again
  EXPECT_EQ(b, a);
  static_cast<float*>(b)[mb - 1] = 1.0f;  // writable
  cpu.Deallocate(b, slack + 4 * mb);
  // A small miss fits in the slack: the freed block stays.
  void* small = cpu.Allocate(2 * mb);
  EXPECT_EQ(cpu.HeldBytes(), base + slack + 6 * mb);
  cpu.Deallocate(small, 2 * mb);
  // A large miss: keeping both freed blocks would hold 2 slack + 9 MB where
  // slack + 4 MB was the most in use, more than the slack allows; the oldest
  // (slack + 4 MB) goes, the 2 MB block stays.
  void* c = cpu.Allocate(slack + 3 * mb);
  EXPECT_EQ(cpu.HeldBytes(), base + slack + 5 * mb);
  cpu.Deallocate(c, slack + 3 * mb);
  EXPECT_EQ(cpu.PeakHeldBytes(), base + slack + 6 * mb);
  cpu.ReleaseCache();
  EXPECT_EQ(cpu.HeldBytes(), base);
}

TEST(ThreadPool, CoversRangeOnceInChunks) {
  ThreadPool pool(3);
  std::vector<int> hits(1000, 0);
  pool.ParallelFor(1000, 10, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) ++hits[i];
  });
  for (int h : hits) ASSERT_EQ(h, 1);
}

// A ParallelFor inside a chunk of another runs serially on the calling
// thread, as one call over its whole range, instead of deadlocking.
TEST(ThreadPool, NestedCallRunsSeriallyOnTheCallingThread) {
  ThreadPool pool(3);
  std::mutex mutex;
  std::vector<std::pair<int64_t, int64_t>> inner_ranges;
  std::atomic<int> outer_chunks{0}, inner_on_other_thread{0};
  pool.ParallelFor(3, 1, [&](int64_t, int64_t) {
    ++outer_chunks;
    const std::thread::id outer = std::this_thread::get_id();
    pool.ParallelFor(5, 1, [&](int64_t b, int64_t e) {
      if (std::this_thread::get_id() != outer) ++inner_on_other_thread;
      std::lock_guard<std::mutex> lock(mutex);
      inner_ranges.emplace_back(b, e);
    });
  });
  EXPECT_EQ(outer_chunks.load(), 3) << "the outer loop did not split, so nothing was nested";
  EXPECT_EQ(inner_on_other_thread.load(), 0);
  ASSERT_EQ(inner_ranges.size(), 3u);
  for (const auto& [b, e] : inner_ranges) {
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 5);
  }
}

TEST(ThreadPool, SmallChunksForTestingSplitsSmallLoops) {
  ThreadPool pool(3);
  auto chunks = [&] {
    std::atomic<int> count{0};
    pool.ParallelFor(10, 1000, [&](int64_t, int64_t) { ++count; });
    return count.load();
  };
  EXPECT_EQ(chunks(), 1);
  SetSmallChunksForTesting(true);
  const int split = chunks();
  SetSmallChunksForTesting(false);
  EXPECT_EQ(split, 3);
}

}  // namespace
}  // namespace tessera
