#include "ops/common/cudnn_conv.h"

#if TESSERA_CUDA

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tessera {
namespace conv {
namespace {

enum class Pass { kForward, kBackwardData, kBackwardFilter };

const char* PassName(Pass pass) {
  switch (pass) {
    case Pass::kForward:
      return "forward";
    case Pass::kBackwardData:
      return "backward data";
    case Pass::kBackwardFilter:
      return "backward filter";
  }
  return "?";
}

// One algorithm cuDNN offers for a pass: a cudnnConvolution{Fwd,BwdData,
// BwdFilter}Algo_t, the workspace it needs, and whether its result is
// reproducible (no atomics).
struct Candidate {
  int algo;
  size_t workspace;
  bool deterministic;
};

// Algorithms needing more workspace are tried only after all others.
constexpr size_t kPreferredWorkspaceLimit = size_t{1} << 30;

// The cuDNN calls of one pass, so that one Query() serves all three: the
// number of algorithms, their ranking (_v7 heuristics) and each one's
// workspace size. Keyed by the pass's perf-result type.
template <class Perf>
struct PassApi;

template <>
struct PassApi<cudnnConvolutionFwdAlgoPerf_t> {
  static constexpr const char* kMaxCount = "cudnnGetConvolutionForwardAlgorithmMaxCount";
  static constexpr const char* kRank = "cudnnGetConvolutionForwardAlgorithm_v7";
  static cudnnStatus_t MaxCount(cudnnHandle_t h, int* n) {
    return cudnnGetConvolutionForwardAlgorithmMaxCount(h, n);
  }
  static cudnnStatus_t Rank(cudnnHandle_t h, const CudnnConv& c, int capacity, int* returned,
                            cudnnConvolutionFwdAlgoPerf_t* perf) {
    return cudnnGetConvolutionForwardAlgorithm_v7(h, c.image.get(), c.filter.get(), c.conv.get(),
                                                  c.out.get(), capacity, returned, perf);
  }
  static cudnnStatus_t Workspace(cudnnHandle_t h, const CudnnConv& c, cudnnConvolutionFwdAlgo_t a,
                                 size_t* bytes) {
    return cudnnGetConvolutionForwardWorkspaceSize(h, c.image.get(), c.filter.get(), c.conv.get(),
                                                   c.out.get(), a, bytes);
  }
};

template <>
struct PassApi<cudnnConvolutionBwdDataAlgoPerf_t> {
  static constexpr const char* kMaxCount = "cudnnGetConvolutionBackwardDataAlgorithmMaxCount";
  static constexpr const char* kRank = "cudnnGetConvolutionBackwardDataAlgorithm_v7";
  static cudnnStatus_t MaxCount(cudnnHandle_t h, int* n) {
    return cudnnGetConvolutionBackwardDataAlgorithmMaxCount(h, n);
  }
  static cudnnStatus_t Rank(cudnnHandle_t h, const CudnnConv& c, int capacity, int* returned,
                            cudnnConvolutionBwdDataAlgoPerf_t* perf) {
    return cudnnGetConvolutionBackwardDataAlgorithm_v7(h, c.filter.get(), c.out.get(), c.conv.get(),
                                                       c.image.get(), capacity, returned, perf);
  }
  static cudnnStatus_t Workspace(cudnnHandle_t h, const CudnnConv& c,
                                 cudnnConvolutionBwdDataAlgo_t a, size_t* bytes) {
    return cudnnGetConvolutionBackwardDataWorkspaceSize(h, c.filter.get(), c.out.get(),
                                                        c.conv.get(), c.image.get(), a, bytes);
  }
};

template <>
struct PassApi<cudnnConvolutionBwdFilterAlgoPerf_t> {
  static constexpr const char* kMaxCount = "cudnnGetConvolutionBackwardFilterAlgorithmMaxCount";
  static constexpr const char* kRank = "cudnnGetConvolutionBackwardFilterAlgorithm_v7";
  static cudnnStatus_t MaxCount(cudnnHandle_t h, int* n) {
    return cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(h, n);
  }
  static cudnnStatus_t Rank(cudnnHandle_t h, const CudnnConv& c, int capacity, int* returned,
                            cudnnConvolutionBwdFilterAlgoPerf_t* perf) {
    return cudnnGetConvolutionBackwardFilterAlgorithm_v7(
        h, c.image.get(), c.out.get(), c.conv.get(), c.filter.get(), capacity, returned, perf);
  }
  static cudnnStatus_t Workspace(cudnnHandle_t h, const CudnnConv& c,
                                 cudnnConvolutionBwdFilterAlgo_t a, size_t* bytes) {
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(h, c.image.get(), c.out.get(),
                                                          c.conv.get(), c.filter.get(), a, bytes);
  }
};

// The algorithms cuDNN offers for one pass, with the workspace each needs.
template <class Perf>
absl::StatusOr<std::vector<Candidate>> Query(CudaContext& cuda, const CudnnConv& c) {
  using Api = PassApi<Perf>;
  int max_count = 0;
  TS_CUDNN_RETURN_IF_ERROR(Api::MaxCount(cuda.cudnn, &max_count), Api::kMaxCount);
  std::vector<Perf> perf(std::max(max_count, 1));
  int returned = 0;
  TS_CUDNN_RETURN_IF_ERROR(
      Api::Rank(cuda.cudnn, c, static_cast<int>(perf.size()), &returned, perf.data()), Api::kRank);
  std::vector<Candidate> result;
  for (int i = 0; i < returned; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS) continue;
    size_t bytes = 0;
    if (Api::Workspace(cuda.cudnn, c, perf[i].algo, &bytes) != CUDNN_STATUS_SUCCESS) continue;
    result.push_back({static_cast<int>(perf[i].algo), std::max(bytes, perf[i].memory),
                      perf[i].determinism == CUDNN_DETERMINISTIC});
  }
  return result;
}

// The algorithms to try for `pass`, best first: deterministic before
// nondeterministic, within the workspace limit before beyond it, and
// otherwise in cuDNN's order. Asked of cuDNN once per problem and device
// (two different GPUs in one process may rank algorithms differently).
absl::StatusOr<std::vector<Candidate>> Candidates(CudaContext& cuda, const CudnnConv& c,
                                                  Pass pass) {
  static std::mutex mutex;
  static auto* cache = new std::map<std::vector<int64_t>, std::vector<Candidate>>();
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) device = -1;
  std::vector<int64_t> key = c.key;
  key.push_back(static_cast<int64_t>(pass));
  key.push_back(device);
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache->find(key);
    if (it != cache->end()) return it->second;
  }
  std::vector<Candidate> found;
  switch (pass) {
    case Pass::kForward: {
      TS_ASSIGN_OR_RETURN(found, Query<cudnnConvolutionFwdAlgoPerf_t>(cuda, c));
      break;
    }
    case Pass::kBackwardData: {
      TS_ASSIGN_OR_RETURN(found, Query<cudnnConvolutionBwdDataAlgoPerf_t>(cuda, c));
      break;
    }
    case Pass::kBackwardFilter: {
      TS_ASSIGN_OR_RETURN(found, Query<cudnnConvolutionBwdFilterAlgoPerf_t>(cuda, c));
      break;
    }
  }
  if (found.empty()) {
    return absl::InternalError(absl::StrCat(
        "cuDNN offers no convolution ", PassName(pass), " algorithm for the problem [",
        absl::StrJoin(c.key, ", "), "] (shapes, then padding, stride, dilation, groups)"));
  }
  const auto rank = [](const Candidate& a) {
    return (a.workspace > kPreferredWorkspaceLimit ? 2 : 0) + (a.deterministic ? 0 : 1);
  };
  std::stable_sort(found.begin(), found.end(),
                   [&](const Candidate& a, const Candidate& b) { return rank(a) < rank(b); });
  std::lock_guard<std::mutex> lock(mutex);
  (*cache)[key] = found;
  return found;
}

// Whether `status` says "not supported" (cuDNN 9 refines that into codes
// 3000-3999, such as CUDNN_STATUS_NOT_SUPPORTED_SHAPE).
bool IsNotSupported(cudnnStatus_t status) {
#ifdef CUDNN_STATUS_CATEGORY
  return CUDNN_STATUS_CATEGORY(status) == CUDNN_STATUS_NOT_SUPPORTED;
#else
  return status == CUDNN_STATUS_NOT_SUPPORTED;
#endif
}

// Runs `run(algo, workspace, workspace_bytes)` with the first candidate that
// supports the problem under the descriptor's FMA math: one that answers "not
// supported" (checked before anything is launched) passes to the next. Any
// other status ends the search.
template <typename Run>
absl::Status RunPass(CudaContext& cuda, const CudnnConv& c, Pass pass, const char* what, Run run) {
  TS_ASSIGN_OR_RETURN(const std::vector<Candidate> candidates, Candidates(cuda, c, pass));
  cudnnStatus_t status = CUDNN_STATUS_NOT_SUPPORTED;
  for (const Candidate& a : candidates) {
    void* workspace = a.workspace > 0 ? cuda.Workspace(a.workspace) : nullptr;
    status = run(a.algo, workspace, a.workspace);
    if (!IsNotSupported(status)) break;
  }
  return CudnnStatus(status, what);
}

absl::Status CheckFitsInt(std::initializer_list<int64_t> values, const char* what) {
  for (int64_t v : values) {
    if (v < 0 || v > std::numeric_limits<int>::max()) {
      return absl::InvalidArgumentError(absl::StrCat(what, " ", v, " does not fit cuDNN's int"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CudnnConv> MakeCudnnConv(const Shape& image, const Shape& filter, const Shape& out,
                                        const ConvAttrs& attrs) {
  if (image.size() != 4 || filter.size() != 4 || out.size() != 4) {
    return absl::InternalError("MakeCudnnConv: image, filter and out must have rank 4");
  }
  TS_RETURN_IF_ERROR(
      CheckFitsInt({attrs.padding[0], attrs.padding[1], attrs.stride[0], attrs.stride[1],
                    attrs.dilation[0], attrs.dilation[1], attrs.groups},
                   "convolution attribute"));
  CudnnConv c;
  TS_ASSIGN_OR_RETURN(c.image, MakeTensor4d(image[0], image[1], image[2], image[3]));
  TS_ASSIGN_OR_RETURN(c.out, MakeTensor4d(out[0], out[1], out[2], out[3]));
  TS_ASSIGN_OR_RETURN(c.filter, MakeFilter4d(filter[0], filter[1], filter[2], filter[3]));
  TS_ASSIGN_OR_RETURN(
      c.conv,
      MakeConvolution2d(static_cast<int>(attrs.padding[0]), static_cast<int>(attrs.padding[1]),
                        static_cast<int>(attrs.stride[0]), static_cast<int>(attrs.stride[1]),
                        static_cast<int>(attrs.dilation[0]), static_cast<int>(attrs.dilation[1]),
                        static_cast<int>(attrs.groups)));
  int n = 0, k = 0, p = 0, q = 0;
  TS_CUDNN_RETURN_IF_ERROR(cudnnGetConvolution2dForwardOutputDim(c.conv.get(), c.image.get(),
                                                                 c.filter.get(), &n, &k, &p, &q),
                           "cudnnGetConvolution2dForwardOutputDim");
  if (Shape{n, k, p, q} != out) {
    return absl::InternalError(absl::StrCat(
        "cuDNN convolves ", ShapeToString(image), " with filter ", ShapeToString(filter), " into ",
        ShapeToString(Shape{n, k, p, q}), ", not ", ShapeToString(out)));
  }
  c.key.insert(c.key.end(), image.begin(), image.end());
  c.key.insert(c.key.end(), filter.begin(), filter.end());
  c.key.insert(c.key.end(), out.begin(), out.end());
  c.key.insert(c.key.end(), {attrs.padding[0], attrs.padding[1], attrs.stride[0], attrs.stride[1],
                             attrs.dilation[0], attrs.dilation[1], attrs.groups});
  return c;
}

absl::Status CudnnConvForward(CudaContext& cuda, const CudnnConv& c, const float* image,
                              const float* filter, float* out) {
  const float alpha = 1.0f, beta = 0.0f;
  return RunPass(cuda, c, Pass::kForward, "cudnnConvolutionForward",
                 [&](int algo, void* workspace, size_t bytes) {
                   return cudnnConvolutionForward(cuda.cudnn, &alpha, c.image.get(), image,
                                                  c.filter.get(), filter, c.conv.get(),
                                                  static_cast<cudnnConvolutionFwdAlgo_t>(algo),
                                                  workspace, bytes, &beta, c.out.get(), out);
                 });
}

absl::Status CudnnConvBackwardData(CudaContext& cuda, const CudnnConv& c, const float* filter,
                                   const float* out_grad, float* image_grad) {
  const float alpha = 1.0f, beta = 0.0f;
  return RunPass(cuda, c, Pass::kBackwardData, "cudnnConvolutionBackwardData",
                 [&](int algo, void* workspace, size_t bytes) {
                   return cudnnConvolutionBackwardData(
                       cuda.cudnn, &alpha, c.filter.get(), filter, c.out.get(), out_grad,
                       c.conv.get(), static_cast<cudnnConvolutionBwdDataAlgo_t>(algo), workspace,
                       bytes, &beta, c.image.get(), image_grad);
                 });
}

absl::Status CudnnConvBackwardFilter(CudaContext& cuda, const CudnnConv& c, const float* image,
                                     const float* out_grad, float* filter_grad) {
  const float alpha = 1.0f, beta = 0.0f;
  return RunPass(cuda, c, Pass::kBackwardFilter, "cudnnConvolutionBackwardFilter",
                 [&](int algo, void* workspace, size_t bytes) {
                   return cudnnConvolutionBackwardFilter(
                       cuda.cudnn, &alpha, c.image.get(), image, c.out.get(), out_grad,
                       c.conv.get(), static_cast<cudnnConvolutionBwdFilterAlgo_t>(algo), workspace,
                       bytes, &beta, c.filter.get(), filter_grad);
                 });
}

absl::Status CudnnAddBias(CudaContext& cuda, const Shape& y_shape, const float* bias, float* y) {
  TS_ASSIGN_OR_RETURN(const CudnnTensor bias_desc, MakeTensor4d(1, y_shape[1], 1, 1));
  TS_ASSIGN_OR_RETURN(const CudnnTensor y_desc,
                      MakeTensor4d(y_shape[0], y_shape[1], y_shape[2], y_shape[3]));
  const float one = 1.0f;
  TS_CUDNN_RETURN_IF_ERROR(
      cudnnAddTensor(cuda.cudnn, &one, bias_desc.get(), bias, &one, y_desc.get(), y),
      "cudnnAddTensor (bias)");
  return absl::OkStatus();
}

absl::Status CudnnBiasGradient(CudaContext& cuda, const Shape& dy_shape, const float* dy,
                               float* db) {
  TS_ASSIGN_OR_RETURN(const CudnnTensor dy_desc,
                      MakeTensor4d(dy_shape[0], dy_shape[1], dy_shape[2], dy_shape[3]));
  TS_ASSIGN_OR_RETURN(const CudnnTensor db_desc, MakeTensor4d(1, dy_shape[1], 1, 1));
  const float alpha = 1.0f, beta = 0.0f;
  TS_CUDNN_RETURN_IF_ERROR(
      cudnnConvolutionBackwardBias(cuda.cudnn, &alpha, dy_desc.get(), dy, &beta, db_desc.get(), db),
      "cudnnConvolutionBackwardBias");
  return absl::OkStatus();
}

}  // namespace conv
}  // namespace tessera

#endif  // TESSERA_CUDA
