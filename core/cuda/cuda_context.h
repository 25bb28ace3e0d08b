// What a CUDA kernel needs from the backend: its stream and library handles,
// and conversions of CUDA, cuBLAS and cuDNN errors into absl::Status.
//
// Included by ops' .cc files inside `#if TESSERA_CUDA` (defined for every
// target that depends on //core/cuda, i.e. builds with --config=cuda).
#ifndef TESSERA_CORE_CUDA_CUDA_CONTEXT_H_
#define TESSERA_CORE_CUDA_CUDA_CONTEXT_H_

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "absl/status/status.h"
#include "core/backend.h"
#include "core/status_macros.h"

namespace tessera {

// All work of one CUDA backend runs in order on one stream: kernels, library
// calls and the explicit host<->device copies. The executor on that device
// therefore needs no other synchronisation.
struct CudaContext {
  cudaStream_t stream = nullptr;
  cublasHandle_t cublas = nullptr;  // bound to `stream`
  cudnnHandle_t cudnn = nullptr;    // bound to `stream`
  // Device scratch for library calls (cuDNN workspaces), grown on demand.
  void* Workspace(size_t bytes);
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
};

// The context of a CUDA backend; CHECK-fails if `backend` is another device
// (a kernel registered for kCuda is only ever given the CUDA backend).
CudaContext& CudaContextOf(Backend& backend);

// Caching-allocator statistics, for benchmarks and gpu_check.
struct CudaMemoryStats {
  size_t in_use_bytes = 0;        // held by live tensors
  size_t peak_in_use_bytes = 0;   // the most ever held at once
  size_t cached_bytes = 0;        // freed by tensors, kept for reuse
  size_t device_allocations = 0;  // cudaMalloc calls (misses of the cache)
};
CudaMemoryStats GetCudaMemoryStats();

absl::Status CudaStatus(cudaError_t error, const char* what);
absl::Status CublasStatus(cublasStatus_t status, const char* what);
absl::Status CudnnStatus(cudnnStatus_t status, const char* what);
// After a kernel launch: a launch failure (bad configuration, no kernel image
// for this GPU) names the kernel.
inline absl::Status CudaLaunchStatus(const char* what) {
  return CudaStatus(cudaGetLastError(), what);
}

}  // namespace tessera

#define TS_CUDA_RETURN_IF_ERROR(expr, what) TS_RETURN_IF_ERROR(::tessera::CudaStatus((expr), what))
#define TS_CUBLAS_RETURN_IF_ERROR(expr, what) \
  TS_RETURN_IF_ERROR(::tessera::CublasStatus((expr), what))
#define TS_CUDNN_RETURN_IF_ERROR(expr, what) \
  TS_RETURN_IF_ERROR(::tessera::CudnnStatus((expr), what))

#endif  // TESSERA_CORE_CUDA_CUDA_CONTEXT_H_
