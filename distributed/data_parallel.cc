#include "distributed/data_parallel.h"

#include <zlib.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/status_macros.h"
#include "distributed/mpi_communicator.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#if TESSERA_CUDA
#include "distributed/nccl_communicator.h"
#endif

namespace tessera::distributed {
namespace {

uint32_t Crc(uint32_t crc, const void* data, size_t bytes) {
  const auto* p = static_cast<const Bytef*>(data);
  while (bytes > 0) {
    const uInt n = static_cast<uInt>(std::min<size_t>(bytes, 1u << 30));
    crc = crc32(crc, p, n);
    p += n;
    bytes -= n;
  }
  return crc;
}

uint32_t TensorChecksum(uint32_t crc, const std::string& name, const Tensor& t) {
  crc = Crc(crc, name.data(), name.size());
  const std::vector<float> values = t.ToVector();
  return Crc(crc, values.data(), values.size() * sizeof(float));
}

}  // namespace

uint32_t ExecutableChecksum() {
  std::ifstream file("/proc/self/exe", std::ios::binary);
  std::vector<char> chunk(1 << 20);
  uint32_t crc = crc32(0, nullptr, 0);
  while (file) {
    file.read(chunk.data(), chunk.size());
    crc = Crc(crc, chunk.data(), static_cast<size_t>(file.gcount()));
  }
  return crc;
}

uint32_t GraphChecksum(const Graph& graph) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    graph.def().SerializeToCodedStream(&coded);
  }
  return Crc(crc32(0, nullptr, 0), bytes.data(), bytes.size());
}

uint32_t StateChecksum(const ParameterStore& params, Optimizer* optimizer) {
  uint32_t crc = crc32(0, nullptr, 0);
  for (const auto& [name, p] : params.all()) crc = TensorChecksum(crc, name, p.value);
  if (optimizer != nullptr) {
    for (const auto& [name, t] : optimizer->State()) crc = TensorChecksum(crc, name, *t);
    const int64_t steps = optimizer->steps();
    crc = Crc(crc, &steps, sizeof(steps));
  }
  return crc;
}

absl::StatusOr<std::unique_ptr<DataParallel>> DataParallel::Create(
    const Graph& graph, ParameterStore& params, Executor& executor,
    const DataParallelOptions& options) {
  std::unique_ptr<DataParallel> dp(new DataParallel(World::Get(), graph, params, executor));
  dp->options_ = options;
  if (!dp->world_.is_distributed()) return dp;
  if (options.device == Device::kCpu) {
    dp->comm_ = std::make_unique<MpiCommunicator>(dp->world_);
  } else {
#if TESSERA_CUDA
    TS_ASSIGN_OR_RETURN(dp->comm_, CreateNcclCommunicator(dp->world_));
#else
    return dp->world_.Agree(absl::FailedPreconditionError(
        "data-parallel training on the GPU needs NCCL, and this build has no CUDA"));
#endif
  }
  dp->reducer_ = std::make_unique<GradientReducer>(*dp->comm_, params, GradientOrder(graph, params),
                                                   options.bucket_bytes, options.overlap);
  executor.AddHook(dp->reducer_.get());
  return dp;
}

DataParallel::~DataParallel() {
  if (reducer_) executor_.RemoveHook(reducer_.get());
}

absl::StatusOr<int64_t> DataParallel::ShardSize(int64_t global_batch) {
  if (global_batch % size() != 0) {
    return world_.Agree(absl::InvalidArgumentError(
        absl::StrCat("--batch_size=", global_batch, " is the global batch, which ", size(),
                     " ranks cannot split evenly: use a multiple of ", size(),
                     " (or another number of ranks)")));
  }
  return global_batch / size();
}

void DataParallel::TakeShard(const std::vector<float>& images, const std::vector<float>& labels,
                             std::vector<float>& shard_images,
                             std::vector<float>& shard_labels) const {
  const size_t per_image = images.size() / labels.size();
  const size_t shard = labels.size() / size();
  const size_t first = shard * rank();
  shard_images.assign(images.begin() + first * per_image,
                      images.begin() + (first + shard) * per_image);
  shard_labels.assign(labels.begin() + first, labels.begin() + first + shard);
}

absl::Status DataParallel::CheckSameRun(const std::string& run_settings) {
  if (!world_.is_distributed()) return absl::OkStatus();
  struct Item {
    const char* what;
    const char* advice;
    uint32_t checksum;
  };
  const std::vector<Item> mine = {
      {"executable", "every rank must run the same build of the trainer", ExecutableChecksum()},
      {"graph", "every rank must train the same graph (--graph, --image_size)",
       GraphChecksum(graph_)},
      {"settings", "every rank must be given the same training flags",
       Crc(crc32(0, nullptr, 0), run_settings.data(), run_settings.size())},
      {"initial parameters", "every rank must draw them from the same --seed",
       StateChecksum(params_, nullptr)},
  };
  std::string encoded;
  for (const Item& item : mine) absl::StrAppend(&encoded, item.checksum, ",");
  TS_ASSIGN_OR_RETURN(std::vector<std::string> all, world_.AllGather(encoded));
  const std::vector<std::string> root = absl::StrSplit(all[0], ',');
  std::string differences;
  for (size_t i = 0; i < mine.size(); ++i) {
    const uint32_t root_checksum = static_cast<uint32_t>(std::stoul(root[i]));
    if (root_checksum == mine[i].checksum) continue;
    absl::StrAppend(&differences, differences.empty() ? "" : "; ", "its ", mine[i].what,
                    absl::StrFormat(" (checksum %08x) is not rank 0's (%08x): ", mine[i].checksum,
                                    root_checksum),
                    mine[i].advice);
  }
  return world_.Agree(differences.empty() ? absl::OkStatus()
                                          : absl::FailedPreconditionError(differences));
}

absl::Status DataParallel::BroadcastState(Optimizer& optimizer, int64_t& epoch,
                                          int64_t& batch_in_epoch) {
  if (!world_.is_distributed()) return absl::OkStatus();
  for (auto& [name, p] : params_.all()) {
    TS_RETURN_IF_ERROR(comm_->Broadcast(p.value.data(), p.value.num_elements(), 0));
  }
  for (auto& [name, t] : optimizer.State()) {
    TS_RETURN_IF_ERROR(comm_->Broadcast(t->data(), t->num_elements(), 0));
  }
  int64_t position[3] = {optimizer.steps(), epoch, batch_in_epoch};
  TS_RETURN_IF_ERROR(world_.Broadcast(position, sizeof(position), 0));
  optimizer.set_steps(position[0]);
  epoch = position[1];
  batch_in_epoch = position[2];
  // Bitwise the same everywhere, or the ranks would drift apart unseen.
  const uint32_t checksum = StateChecksum(params_, &optimizer);
  TS_ASSIGN_OR_RETURN(std::vector<std::string> all, world_.AllGather(absl::StrCat(checksum)));
  return world_.Agree(all[0] == absl::StrCat(checksum)
                          ? absl::OkStatus()
                          : absl::DataLossError(absl::StrFormat(
                                "after the broadcast from rank 0 its parameters and optimizer "
                                "state (checksum %08x) differ from rank 0's (%s)",
                                checksum, all[0])));
}

absl::StatusOr<float> DataParallel::AverageLoss(float loss) {
  if (!world_.is_distributed()) return loss;
  double sum = loss;
  TS_RETURN_IF_ERROR(world_.AllReduceSum(&sum, 1));
  return static_cast<float>(sum / size());
}

absl::Status DataParallel::FinishGradients() {
  return reducer_ ? reducer_->Finish() : absl::OkStatus();
}

absl::Status DataParallel::BroadcastBuffers() {
  if (!world_.is_distributed()) return absl::OkStatus();
  for (auto& [name, p] : params_.all()) {
    if (p.trainable) continue;
    TS_RETURN_IF_ERROR(comm_->Broadcast(p.value.data(), p.value.num_elements(), 0));
  }
  return absl::OkStatus();
}

uint64_t DataParallel::RankSeed(uint64_t seed) const {
  return seed ^ (0x9E3779B97F4A7C15ull * static_cast<uint64_t>(rank()));
}

std::string DataParallel::Summary(double train_seconds) const {
  if (!reducer_) return "";
  const ReducerStats& s = reducer_->stats();
  return absl::StrFormat(
      "%d ranks, %d gradient buckets (%.3g MB a step), all-reduce %.1f%% of training time, "
      "%.1f%% not hidden behind backward",
      size(), s.buckets, s.bytes_per_step / 1e6, 100 * s.reduce_seconds / train_seconds,
      100 * s.exposed_seconds / train_seconds);
}

}  // namespace tessera::distributed
