// The CUDA backend: a caching device allocator, one stream with cuBLAS and
// cuDNN handles bound to it, explicit host<->device copies, and the vector
// primitives of core/backend.h (backend_kernels.cu). Registers itself for
// Device::kCuda when the process sees a GPU; otherwise GetBackend(kCuda)
// stays nullptr and GPU tests skip.
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <unordered_map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/backend.h"
#include "core/cuda/backend_kernels.h"
#include "core/cuda/cuda_context.h"

namespace tessera {
namespace {

// Errors inside Backend's void methods are device faults (a kernel that
// wrote out of bounds, a lost device), not user input: report and abort.
void CheckCuda(cudaError_t error, const char* what) {
  if (error != cudaSuccess) {
    fprintf(stderr, "tessera: CUDA error in %s: %s (%s)\n", what, cudaGetErrorName(error),
            cudaGetErrorString(error));
    abort();
  }
}

// Allocation sizes repeat every training step, so freed blocks are kept in
// per-size free lists and handed out again without cudaMalloc (which also
// synchronises the device). Sizes are rounded so that nearby sizes share a
// list: to 512 bytes below 1 MiB, to 1 MiB above. Reuse is safe without
// events because all work runs on the backend's single stream, in order.
class CachingAllocator {
 public:
  static size_t Round(size_t bytes) {
    constexpr size_t kSmall = 512, kLarge = size_t{1} << 20;
    const size_t unit = bytes < kLarge ? kSmall : kLarge;
    return (bytes + unit - 1) / unit * unit;
  }

  // Throws OutOfMemoryError when cudaMalloc fails twice, or the allocation
  // would take the memory held (in use and cached) past `limit` (0: none),
  // the cache freed in between either way.
  void* Allocate(size_t bytes, size_t limit) {
    const size_t rounded = Round(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(rounded);
    if (it != free_.end() && !it->second.empty()) {
      void* ptr = it->second.back();
      it->second.pop_back();
      stats_.cached_bytes -= rounded;
      return Track(ptr, rounded);
    }
    auto within_limit = [&] {
      return limit == 0 || stats_.in_use_bytes + stats_.cached_bytes + rounded <= limit;
    };
    void* ptr = nullptr;
    if (!within_limit() || cudaMalloc(&ptr, rounded) != cudaSuccess) {
      cudaGetLastError();  // clear the sticky out-of-memory error
      ReleaseCachedLocked();
      if (!within_limit() || cudaMalloc(&ptr, rounded) != cudaSuccess) {
        cudaGetLastError();
        throw OutOfMemoryError(Device::kCuda, bytes, stats_.in_use_bytes, limit);
      }
    }
    ++stats_.device_allocations;
    return Track(ptr, rounded);
  }

  void Deallocate(void* ptr, size_t bytes) {
    const size_t rounded = Round(bytes);
    std::lock_guard<std::mutex> lock(mutex_);
    free_[rounded].push_back(ptr);
    stats_.in_use_bytes -= rounded;
    stats_.cached_bytes += rounded;
  }

  void ReleaseCache() {
    std::lock_guard<std::mutex> lock(mutex_);
    ReleaseCachedLocked();
  }

  void ResetPeak() {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.peak_in_use_bytes = stats_.in_use_bytes;
  }

  CudaMemoryStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return stats_;
  }

 private:
  void* Track(void* ptr, size_t rounded) {
    stats_.in_use_bytes += rounded;
    if (stats_.in_use_bytes > stats_.peak_in_use_bytes)
      stats_.peak_in_use_bytes = stats_.in_use_bytes;
    return ptr;
  }
  void ReleaseCachedLocked() {
    for (auto& [size, ptrs] : free_) {
      for (void* p : ptrs) cudaFree(p);  // synchronises: no kernel still uses p
    }
    free_.clear();
    stats_.cached_bytes = 0;
  }

  std::mutex mutex_;
  std::unordered_map<size_t, std::vector<void*>> free_;
  CudaMemoryStats stats_;
};

class CudaBackend final : public Backend {
 public:
  CudaBackend() {
    CheckCuda(cudaStreamCreateWithFlags(&context_.stream, cudaStreamNonBlocking),
              "cudaStreamCreate");
    CheckCuda(cudaMalloc(&scratch_, 64), "cudaMalloc(scratch)");
  }

  Device device() const override { return Device::kCuda; }
  CudaContext& context() { return context_; }
  CachingAllocator& allocator() { return allocator_; }

  void* Allocate(size_t bytes) override { return allocator_.Allocate(bytes, memory_limit()); }
  void Deallocate(void* ptr, size_t bytes) override { allocator_.Deallocate(ptr, bytes); }
  void ReleaseCache() override { allocator_.ReleaseCache(); }
  size_t PeakHeldBytes() override { return allocator_.stats().peak_in_use_bytes; }
  void ResetPeakHeldBytes() override { allocator_.ResetPeak(); }
  size_t HeldBytes() override {
    const CudaMemoryStats stats = allocator_.stats();
    return stats.in_use_bytes + stats.cached_bytes;
  }
  AvailableMemory Available() override {
    size_t free = 0, total = 0;
    CheckCuda(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
    // Cached blocks are free to this process (the allocator releases them
    // and retries before failing).
    return CapByLimit({double(free + allocator_.stats().cached_bytes), "free GPU memory"},
                      memory_limit(), HeldBytes());
  }

  // Host memory may be reused as soon as these return, so they wait.
  void CopyToHost(const void* src, void* dst, size_t bytes) override {
    CheckCuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, context_.stream),
              "copy to host");
    Synchronize();
  }
  void CopyFromHost(const void* src, void* dst, size_t bytes) override {
    CheckCuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, context_.stream),
              "copy to device");
    Synchronize();
  }
  void CopyWithin(const void* src, void* dst, size_t bytes) override {
    CheckCuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, context_.stream),
              "device copy");
  }
  void Synchronize() override {
    CheckCuda(cudaStreamSynchronize(context_.stream),
              "a kernel on the stream (cudaStreamSynchronize)");
  }

  void Fill(Tensor& x, float value) override {
    cuda::LaunchFill(x.data(), x.num_elements(), value, context_.stream);
    CheckCuda(cudaGetLastError(), "Fill");
  }
  void Axpy(float alpha, const Tensor& x, Tensor& y) override {
    cuda::LaunchAxpy(alpha, x.data(), y.data(), x.num_elements(), context_.stream);
    CheckCuda(cudaGetLastError(), "Axpy");
  }
  double SumOfSquares(const Tensor& x) override {
    auto* sum = static_cast<double*>(scratch_);
    CheckCuda(cudaMemsetAsync(sum, 0, sizeof(double), context_.stream), "memset");
    cuda::LaunchSumOfSquares(x.data(), x.num_elements(), sum, context_.stream);
    CheckCuda(cudaGetLastError(), "SumOfSquares");
    double host = 0;
    CopyToHost(sum, &host, sizeof(host));
    return host;
  }
  bool AllFinite(const Tensor& x) override {
    auto* flag = static_cast<int*>(scratch_);
    CheckCuda(cudaMemsetAsync(flag, 0, sizeof(int), context_.stream), "memset");
    cuda::LaunchFindNonFinite(x.data(), x.num_elements(), flag, context_.stream);
    CheckCuda(cudaGetLastError(), "AllFinite");
    int host = 0;
    CopyToHost(flag, &host, sizeof(host));
    return host == 0;
  }
  void SgdMomentumUpdate(Tensor& weights, const Tensor& grad, Tensor& velocity, float lr,
                         float momentum, float weight_decay) override {
    cuda::LaunchSgdMomentum(weights.data(), grad.data(), velocity.data(), weights.num_elements(),
                            lr, momentum, weight_decay, context_.stream);
    CheckCuda(cudaGetLastError(), "SgdMomentumUpdate");
  }
  void AdamUpdate(Tensor& weights, const Tensor& grad, Tensor& m, Tensor& v, float lr_t,
                  float beta1, float beta2, float eps, float weight_decay) override {
    cuda::LaunchAdam(weights.data(), grad.data(), m.data(), v.data(), weights.num_elements(), lr_t,
                     beta1, beta2, eps, weight_decay, context_.stream);
    CheckCuda(cudaGetLastError(), "AdamUpdate");
  }

 private:
  CudaContext context_;
  CachingAllocator allocator_;
  void* scratch_ = nullptr;  // 64 bytes for reduction results
};

CudaBackend* g_backend = nullptr;

// nullptr (and no GPU tests) when there is no usable GPU: no driver, no
// device, or a library that cannot start.
Backend* MakeCudaBackend() {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess || count == 0) {
    cudaGetLastError();
    return nullptr;
  }
  CheckCuda(cudaSetDevice(0), "cudaSetDevice");
  auto* backend = new CudaBackend();
  CudaContext& context = backend->context();
  const cublasStatus_t blas = cublasCreate(&context.cublas);
  const cudnnStatus_t dnn = cudnnCreate(&context.cudnn);
  if (blas != CUBLAS_STATUS_SUCCESS || dnn != CUDNN_STATUS_SUCCESS) {
    fprintf(stderr,
            "tessera: a GPU is present but cuBLAS (%s) or cuDNN (%s) failed to "
            "start; is "
            "LD_LIBRARY_PATH missing their libraries? Running without the GPU.\n",
            cublasGetStatusName(blas), cudnnGetErrorString(dnn));
    return nullptr;
  }
  cublasSetStream(context.cublas, context.stream);
  cudnnSetStream(context.cudnn, context.stream);
  g_backend = backend;
  return backend;
}

const bool kRegistered = [] {
  RegisterBackend(Device::kCuda, &MakeCudaBackend);
  return true;
}();

}  // namespace

void* CudaContext::Workspace(size_t bytes) {
  if (bytes > workspace_bytes) {
    if (workspace != nullptr) CheckCuda(cudaFree(workspace), "cudaFree(workspace)");
    workspace = nullptr;
    workspace_bytes = 0;
    CheckCuda(cudaMalloc(&workspace, bytes), "cudaMalloc(workspace)");
    workspace_bytes = bytes;
  }
  return workspace;
}

CudaContext& CudaContextOf(Backend& backend) {
  if (backend.device() != Device::kCuda || g_backend == nullptr) {
    fprintf(stderr, "tessera: CudaContextOf called with the %s backend\n",
            DeviceName(backend.device()));
    abort();
  }
  return static_cast<CudaBackend&>(backend).context();
}

CudaMemoryStats GetCudaMemoryStats() {
  return g_backend != nullptr ? g_backend->allocator().stats() : CudaMemoryStats{};
}

absl::Status CudaStatus(cudaError_t error, const char* what) {
  if (error == cudaSuccess) return absl::OkStatus();
  if (error == cudaErrorMemoryAllocation) {
    return absl::ResourceExhaustedError(absl::StrCat(what, ": out of GPU memory"));
  }
  return absl::InternalError(absl::StrCat(what, ": CUDA error ", cudaGetErrorName(error), " (",
                                          cudaGetErrorString(error), ")"));
}

absl::Status CublasStatus(cublasStatus_t status, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": cuBLAS error ", cublasGetStatusName(status)));
}

absl::Status CudnnStatus(cudnnStatus_t status, const char* what) {
  if (status == CUDNN_STATUS_SUCCESS) return absl::OkStatus();
  return absl::InternalError(absl::StrCat(what, ": cuDNN error ", cudnnGetErrorString(status)));
}

}  // namespace tessera
