#ifndef TESSERA_OPS_COMMON_POOL_H_
#define TESSERA_OPS_COMMON_POOL_H_

// Pooling geometry shared by maxpool2d and avgpool2d: the kernel, stride
// and padding attributes and PyTorch's output-size rule.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/op_registry.h"
#include "core/status_macros.h"

namespace tessera::pool {

struct Window {
  int64_t kh, kw, sh, sw, ph, pw;
};

// Reads a [h, w] attribute; `empty_ok` lets an empty list mean "unset".
inline absl::Status ReadPair(const Attrs& attrs, const std::string& name, bool empty_ok,
                             int64_t min, int64_t* h, int64_t* w) {
  const std::vector<int64_t> v = attrs.GetInts(name);
  if (empty_ok && v.empty()) return absl::OkStatus();
  if (v.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute '", name, "' must have 2 values [h, w], got ", v.size()));
  }
  if (v[0] < min || v[1] < min) {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute '", name, "' must be >= ", min, ", got ", ShapeToString(v)));
  }
  *h = v[0];
  *w = v[1];
  return absl::OkStatus();
}

// kernel (required), stride (empty: the kernel) and padding (at most half
// the kernel, as in PyTorch).
inline absl::StatusOr<Window> ReadWindow(const Attrs& attrs) {
  Window p;
  TS_RETURN_IF_ERROR(ReadPair(attrs, "kernel", false, 1, &p.kh, &p.kw));
  p.sh = p.kh;
  p.sw = p.kw;
  TS_RETURN_IF_ERROR(ReadPair(attrs, "stride", true, 1, &p.sh, &p.sw));
  TS_RETURN_IF_ERROR(ReadPair(attrs, "padding", false, 0, &p.ph, &p.pw));
  if (2 * p.ph > p.kh || 2 * p.pw > p.kw) {
    return absl::InvalidArgumentError(absl::StrCat(
        "padding [", p.ph, ",", p.pw, "] must be at most half of kernel [", p.kh, ",", p.kw, "]"));
  }
  return p;
}

// PyTorch's pooling_output_shape. Floor division: the numerator can be
// negative when the kernel exceeds the padded input.
inline int64_t PooledSize(int64_t in, int64_t k, int64_t s, int64_t pad, bool ceil_mode) {
  const int64_t num = in + 2 * pad - k + (ceil_mode ? s - 1 : 0);
  int64_t out = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
  // The last window must start inside the input or the left padding.
  if (ceil_mode && (out - 1) * s >= in + pad) --out;
  return out;
}

}  // namespace tessera::pool

#endif  // TESSERA_OPS_COMMON_POOL_H_
