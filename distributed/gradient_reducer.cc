#include "distributed/gradient_reducer.h"

#include <algorithm>
#include <chrono>

#include "core/backend.h"

namespace tessera::distributed {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

std::vector<std::string> GradientOrder(const Graph& graph, const ParameterStore& params) {
  std::vector<std::pair<int, std::string>> first_reader;
  for (const auto& [name, p] : params.all()) {
    if (!p.trainable) continue;
    int first = -1;
    for (int i = 0; i < static_cast<int>(graph.nodes().size()) && first < 0; ++i) {
      for (const std::string& in : graph.nodes()[i].inputs) first = in == name ? i : first;
    }
    first_reader.push_back({first, name});
  }
  // Last reader first; ties by name, so that every rank agrees.
  std::sort(first_reader.begin(), first_reader.end(), [](const auto& a, const auto& b) {
    if ((a.first < 0) != (b.first < 0)) return b.first < 0;
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> order;
  for (const auto& [index, name] : first_reader) order.push_back(name);
  return order;
}

GradientReducer::GradientReducer(Communicator& comm, ParameterStore& params,
                                 const std::vector<std::string>& order, int64_t bucket_bytes,
                                 bool overlap)
    : comm_(comm), params_(params), backend_(*GetBackend(comm.device())), overlap_(overlap) {
  std::vector<int64_t> sizes;
  for (const std::string& name : order) {
    const int64_t n = params_.Find(name)->value.num_elements();
    if (sizes.empty() || sizes.back() * 4 >= bucket_bytes) {
      sizes.push_back(0);
      buckets_.emplace_back();
    }
    slots_[name] = {static_cast<int>(buckets_.size()) - 1, sizes.back()};
    sizes.back() += n;
    ++buckets_.back().size;
  }
  for (size_t b = 0; b < buckets_.size(); ++b) {
    buckets_[b].data = Tensor::Zeros({sizes[b]}, comm.device());
    buckets_[b].pending = buckets_[b].size;
    stats_.bytes_per_step += sizes[b] * 4;
  }
  stats_.buckets = static_cast<int>(buckets_.size());
  if (comm_.blocks_caller()) thread_ = std::thread([this] { CommLoop(); });
}

GradientReducer::~GradientReducer() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

absl::Status GradientReducer::GradientReady(const std::string& name, Parameter& param) {
  auto it = slots_.find(name);
  if (it == slots_.end()) return absl::OkStatus();
  const Tensor& grad = param.grad;
  Bucket& bucket = buckets_[it->second.bucket];
  backend_.CopyWithin(grad.data(), bucket.data.data() + it->second.offset,
                      grad.num_elements() * sizeof(float));
  --bucket.pending;
  if (overlap_) LaunchReadyBuckets(/*all=*/false);
  return absl::OkStatus();
}

void GradientReducer::LaunchReadyBuckets(bool all) {
  while (next_launch_ < static_cast<int>(buckets_.size()) &&
         (all || buckets_[next_launch_].pending == 0)) {
    Launch(next_launch_++);
  }
}

void GradientReducer::Launch(int bucket) {
  if (!comm_.blocks_caller()) {
    absl::Status s =
        comm_.AllReduceAverage(buckets_[bucket].data.data(), buckets_[bucket].data.num_elements());
    if (!s.ok() && comm_status_.ok()) comm_status_ = s;
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(bucket);
  }
  cv_.notify_all();
}

void GradientReducer::CommLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    const int bucket = queue_.front();
    queue_.pop_front();
    lock.unlock();
    const auto start = Clock::now();
    absl::Status s =
        comm_.AllReduceAverage(buckets_[bucket].data.data(), buckets_[bucket].data.num_elements());
    const double seconds = Since(start);
    lock.lock();
    comm_seconds_ += seconds;
    if (!s.ok() && comm_status_.ok()) comm_status_ = s;
    ++completed_;
    cv_.notify_all();
  }
}

absl::Status GradientReducer::Finish() {
  for (const auto& [name, slot] : slots_) {
    if (buckets_[slot.bucket].pending != 0) {
      return absl::InternalError("a parameter's gradient never reached the gradient reducer: " +
                                 name);
    }
  }
  LaunchReadyBuckets(/*all=*/true);
  const auto wait_start = Clock::now();
  if (thread_.joinable()) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return completed_ == static_cast<int>(buckets_.size()); });
    completed_ = 0;
    stats_.reduce_seconds += comm_seconds_;
    comm_seconds_ = 0;
  }
  stats_.exposed_seconds += Since(wait_start);
  ++stats_.steps;
  next_launch_ = 0;
  for (Bucket& b : buckets_) b.pending = b.size;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!comm_status_.ok()) return comm_status_;
  }
  for (const auto& [name, slot] : slots_) {
    Tensor& grad = params_.Find(name)->grad;
    backend_.CopyWithin(buckets_[slot.bucket].data.data() + slot.offset, grad.data(),
                        grad.num_elements() * sizeof(float));
  }
  return absl::OkStatus();
}

}  // namespace tessera::distributed
