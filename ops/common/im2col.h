#ifndef TESSERA_OPS_COMMON_IM2COL_H_
#define TESSERA_OPS_COMMON_IM2COL_H_

// Pieces shared by conv2d and conv_transpose2d: reading and validating their
// spatial attributes, and the im2col / col2im pair that turns a convolution
// into a matrix product (Caffe's formulation).
//
// For one image and one group, with C channels per group, im2col lays out
// col[C * kH * kW, outH * outW]: row (c, kh, kw), column (oh, ow) holds
//   image[c, oh * stride_h - pad_h + kh * dilation_h,
//            ow * stride_w - pad_w + kw * dilation_w]
// or 0 where that falls in the zero padding. col2im is its exact adjoint: it
// adds every col entry back onto the pixel it came from.

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/op_registry.h"
#include "core/status_macros.h"
#include "core/thread_pool.h"

namespace tessera {
namespace conv {

// Reads an [h, w] attribute and checks that it has two entries, each at least
// `min_value`.
inline absl::StatusOr<std::array<int64_t, 2>> SpatialAttr(const Attrs& attrs,
                                                          const std::string& name,
                                                          int64_t min_value) {
  const std::vector<int64_t> v = attrs.GetInts(name);
  if (v.size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must have 2 entries [h, w], got ", v.size()));
  }
  if (v[0] < min_value || v[1] < min_value) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " must be >= ", min_value, ", got [", v[0], ", ", v[1], "]"));
  }
  return std::array<int64_t, 2>{v[0], v[1]};
}

// InvalidArgument unless every dimension of `shape` is positive.
inline absl::Status ExpectPositiveDims(const Shape& shape, const std::string& what) {
  for (int64_t d : shape) {
    if (d <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " must have positive dimensions, got ", ShapeToString(shape)));
    }
  }
  return absl::OkStatus();
}

// The attributes both convolutions share.
struct ConvAttrs {
  std::array<int64_t, 2> stride, padding, dilation;
  int64_t groups;
};

inline absl::StatusOr<ConvAttrs> ReadConvAttrs(const Attrs& attrs) {
  ConvAttrs a;
  TS_ASSIGN_OR_RETURN(a.stride, SpatialAttr(attrs, "stride", 1));
  TS_ASSIGN_OR_RETURN(a.padding, SpatialAttr(attrs, "padding", 0));
  TS_ASSIGN_OR_RETURN(a.dilation, SpatialAttr(attrs, "dilation", 1));
  a.groups = attrs.GetInt("groups");
  if (a.groups < 1) {
    return absl::InvalidArgumentError(absl::StrCat("groups must be >= 1, got ", a.groups));
  }
  return a;
}

// The geometry of a convolution over one group of one image. The output size
// is given rather than derived: conv_transpose2d's output_padding may make
// its image larger than a convolution over it would need, and those extra
// pixels are simply never visited.
struct ConvGeometry {
  int64_t channels;  // per group
  int64_t in_h, in_w;
  int64_t kernel_h, kernel_w;
  int64_t out_h, out_w;
  ConvAttrs attrs;

  int64_t col_rows() const { return channels * kernel_h * kernel_w; }
  int64_t col_cols() const { return out_h * out_w; }
  int64_t image_size() const { return channels * in_h * in_w; }
};

// PyTorch's Conv2d output size along one axis (may be <= 0 when the dilated
// kernel is larger than the padded input).
inline int64_t ConvOutputSize(int64_t in, int64_t kernel, int64_t stride, int64_t pad,
                              int64_t dilation) {
  const int64_t span = dilation * (kernel - 1) + 1;
  const int64_t padded = in + 2 * pad;
  return padded < span ? 0 : (padded - span) / stride + 1;
}

// Channels per parallel chunk: enough pixels to be worth a thread.
inline int64_t MinChannelsPerChunk(const ConvGeometry& g) {
  const int64_t per_channel = g.kernel_h * g.kernel_w * g.col_cols();
  return std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(1, per_channel));
}

// With iw = first + ow * stride: the first ow with iw >= 0, and one past the
// last with iw < in_w, both within [0, out_w].
inline int64_t ValidBegin(int64_t first, int64_t stride, int64_t out_w) {
  return first >= 0 ? 0 : std::min(out_w, (-first + stride - 1) / stride);
}
inline int64_t ValidEnd(int64_t first, int64_t stride, int64_t in_w, int64_t out_w) {
  return first >= in_w ? 0 : std::min(out_w, (in_w - 1 - first) / stride + 1);
}

// col = im2col(image); image is [channels, in_h, in_w], col as above with
// rows `ld` floats apart (default col_cols(); larger when several images'
// columns sit side by side in one matrix).
inline void Im2col(const ConvGeometry& g, const float* image, float* col, int64_t ld = 0) {
  const int64_t cols = ld > 0 ? ld : g.col_cols();
  const auto& a = g.attrs;
  ParallelFor(g.channels, MinChannelsPerChunk(g), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const float* plane = image + c * g.in_h * g.in_w;
      for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
        for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
          float* row = col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * cols;
          for (int64_t oh = 0; oh < g.out_h; ++oh) {
            const int64_t ih = oh * a.stride[0] - a.padding[0] + kh * a.dilation[0];
            float* dst = row + oh * g.out_w;
            if (ih < 0 || ih >= g.in_h) {
              std::fill(dst, dst + g.out_w, 0.0f);
              continue;
            }
            // Output columns [lo, hi) read inside the row; the rest are padding.
            const int64_t first = kw * a.dilation[1] - a.padding[1];  // iw at ow = 0
            const int64_t lo = ValidBegin(first, a.stride[1], g.out_w);
            const int64_t hi = std::max(lo, ValidEnd(first, a.stride[1], g.in_w, g.out_w));
            std::fill(dst, dst + lo, 0.0f);
            const float* src = plane + ih * g.in_w;
            if (a.stride[1] == 1) {
              if (hi > lo) std::copy(src + first + lo, src + first + hi, dst + lo);
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) dst[ow] = src[first + ow * a.stride[1]];
            }
            std::fill(dst + hi, dst + g.out_w, 0.0f);
          }
        }
      }
    }
  });
}

// The panel walk both packers below share: block [k0, k0+kc) x [c0,
// c0+cols) of an im2col matrix whose columns are `pixels`-long images side
// by side, into GEMM panels of nr columns as ops/common/gemm.h's PackBFn
// asks. Columns past the end are zeroed; the rest split into runs inside
// one output row of one image, and for each run and each row (c, kh, kw)
// of the block copy_row(image, oh, ow0, run, c, kh, kw, dst) writes
// dst[0, run). A template, so that copy_row inlines into the hot loop.
template <typename CopyRow>
inline void PackPanelRuns(const ConvGeometry& g, int64_t k0, int64_t kc, int64_t c0, int64_t cols,
                          int64_t nr, float* out, const CopyRow& copy_row) {
  const int64_t pixels = g.col_cols();
  for (int64_t p = 0; p < cols; p += nr, out += kc * nr) {
    const int64_t valid = std::min(nr, cols - p);
    if (valid < nr) {
      for (int64_t kk = 0; kk < kc; ++kk)
        std::fill(out + kk * nr + valid, out + kk * nr + nr, 0.0f);
    }
    for (int64_t t = 0; t < valid;) {
      const int64_t col = c0 + p + t;
      const int64_t image = col / pixels, pix = col % pixels;
      const int64_t oh = pix / g.out_w, ow0 = pix % g.out_w;
      const int64_t run = std::min(valid - t, g.out_w - ow0);
      // (c, kh, kw) of row k0, stepped along with kk.
      int64_t kw = k0 % g.kernel_w, kh = (k0 / g.kernel_w) % g.kernel_h;
      int64_t c = k0 / (g.kernel_w * g.kernel_h);
      for (int64_t kk = 0; kk < kc; ++kk) {
        copy_row(image, oh, ow0, run, c, kh, kw, out + kk * nr + t);
        if (++kw == g.kernel_w) {
          kw = 0;
          if (++kh == g.kernel_h) {
            kh = 0;
            ++c;
          }
        }
      }
      t += run;
    }
  }
}

// The im2col matrix of `count` images side by side (column j * col_cols() +
// oh * out_w + ow belongs to image j, which starts at images + j *
// image_stride), never stored: packed block by block (PackPanelRuns), each
// run copied like Im2col copies a row.
inline void PackIm2colPanels(const ConvGeometry& g, const float* images, int64_t image_stride,
                             int64_t k0, int64_t kc, int64_t c0, int64_t cols, int64_t nr,
                             float* out) {
  const auto& a = g.attrs;
  PackPanelRuns(
      g, k0, kc, c0, cols, nr, out,
      [&](int64_t j, int64_t oh, int64_t ow0, int64_t run, int64_t c, int64_t kh, int64_t kw,
          float* dst) {
        const int64_t ih = oh * a.stride[0] - a.padding[0] + kh * a.dilation[0];
        if (ih < 0 || ih >= g.in_h) {
          std::fill(dst, dst + run, 0.0f);
          return;
        }
        const float* src = images + j * image_stride + (c * g.in_h + ih) * g.in_w;
        const int64_t first = kw * a.dilation[1] - a.padding[1];
        const int64_t lo = std::clamp(ValidBegin(first, a.stride[1], g.out_w), ow0, ow0 + run);
        const int64_t hi = std::clamp(ValidEnd(first, a.stride[1], g.in_w, g.out_w), lo, ow0 + run);
        std::fill(dst, dst + (lo - ow0), 0.0f);
        if (a.stride[1] == 1) {
          std::copy(src + first + lo, src + first + hi, dst + (lo - ow0));
        } else {
          for (int64_t ow = lo; ow < hi; ++ow) dst[ow - ow0] = src[first + ow * a.stride[1]];
        }
        std::fill(dst + (hi - ow0), dst + run, 0.0f);
      });
}

// dst[i] = im2col(image)[row][pix0 + i] for i < count: one im2col row, a
// run of pixels of one image, copied in runs inside output rows.
inline void Im2colRowSegment(const ConvGeometry& g, const float* image, int64_t row, int64_t pix0,
                             int64_t count, float* dst) {
  const auto& a = g.attrs;
  const int64_t kw = row % g.kernel_w, kh = (row / g.kernel_w) % g.kernel_h;
  const int64_t c = row / (g.kernel_w * g.kernel_h);
  const int64_t first = kw * a.dilation[1] - a.padding[1];
  const int64_t lo_all = ValidBegin(first, a.stride[1], g.out_w);
  const int64_t hi_all = ValidEnd(first, a.stride[1], g.in_w, g.out_w);
  for (int64_t i = 0; i < count;) {
    const int64_t pix = pix0 + i, oh = pix / g.out_w, ow0 = pix % g.out_w;
    const int64_t run = std::min(count - i, g.out_w - ow0);
    float* out = dst + i;
    const int64_t ih = oh * a.stride[0] - a.padding[0] + kh * a.dilation[0];
    if (ih < 0 || ih >= g.in_h) {
      std::fill(out, out + run, 0.0f);
    } else {
      const float* src = image + (c * g.in_h + ih) * g.in_w;
      const int64_t lo = std::clamp(lo_all, ow0, ow0 + run);
      const int64_t hi = std::clamp(hi_all, lo, ow0 + run);
      std::fill(out, out + (lo - ow0), 0.0f);
      if (a.stride[1] == 1) {
        std::copy(src + first + lo, src + first + hi, out + (lo - ow0));
      } else {
        for (int64_t ow = lo; ow < hi; ++ow) out[ow - ow0] = src[first + ow * a.stride[1]];
      }
      std::fill(out + (hi - ow0), out + run, 0.0f);
    }
    i += run;
  }
}

// Strided or padded convolutions make im2col's copies short and clamped, or
// element by element (stride > 1). Split into stride phases with the zero
// padding written out, every run of an im2col row inside one output row is
// one plain copy (dilation 1):
//   phases[c][ph][pw][r][q] = padded image[c][r * stride_h + ph][q * stride_w + pw]
// and im2col row (c, kh, kw), pixel (oh, ow) reads
//   phases[c][kh % stride_h][kw % stride_w][oh + kh / stride_h][ow + kw / stride_w].
struct PhaseLayout {
  int64_t rows, cols;  // of one phase plane
  int64_t stride_h, stride_w;
  int64_t plane() const { return rows * cols; }
  int64_t channel() const { return stride_h * stride_w * plane(); }
};

inline bool UsePhases(const ConvGeometry& g) {
  const auto& a = g.attrs;
  return a.dilation[0] == 1 && a.dilation[1] == 1 &&
         (a.stride[0] > 1 || a.stride[1] > 1 || a.padding[0] > 0 || a.padding[1] > 0);
}

inline PhaseLayout MakePhaseLayout(const ConvGeometry& g) {
  const auto& a = g.attrs;
  return {(g.in_h + 2 * a.padding[0] + a.stride[0] - 1) / a.stride[0],
          (g.in_w + 2 * a.padding[1] + a.stride[1] - 1) / a.stride[1], a.stride[0], a.stride[1]};
}

// The phases of `channels` planes of in_h x in_w (image) into phases, each
// channel L.channel() floats.
inline void SplitPhases(const ConvGeometry& g, const PhaseLayout& L, int64_t channels,
                        const float* image, float* phases) {
  const auto& a = g.attrs;
  // One item per (channel, row phase): a first layer has 3 channels but 3 x
  // 4 row phases. Each input row is read once, for every column phase: the
  // row, padded, is deinterleaved in one pass.
  const int64_t padded_w = L.cols * L.stride_w;
  ParallelFor(channels * L.stride_h, std::max<int64_t>(1, (1 << 14) / (L.stride_w * L.plane())),
              [&](int64_t i0, int64_t i1) {
                std::vector<float> row(padded_w);
                for (int64_t i = i0; i < i1; ++i) {
                  const int64_t c = i / L.stride_h, ph = i % L.stride_h;
                  const float* plane = image + c * g.in_h * g.in_w;
                  float* out = phases + (c * L.stride_h + ph) * L.stride_w * L.plane();
                  // Padded columns [lo, hi) hold the input row.
                  const int64_t lo = std::min(padded_w, a.padding[1]);
                  const int64_t hi = std::min(padded_w, a.padding[1] + g.in_w);
                  std::fill(row.begin(), row.begin() + lo, 0.0f);
                  std::fill(row.begin() + hi, row.end(), 0.0f);
                  for (int64_t r = 0; r < L.rows; ++r, out += L.cols) {
                    const int64_t ih = r * L.stride_h + ph - a.padding[0];
                    if (ih < 0 || ih >= g.in_h) {
                      for (int64_t pw = 0; pw < L.stride_w; ++pw) {
                        std::fill(out + pw * L.plane(), out + pw * L.plane() + L.cols, 0.0f);
                      }
                      continue;
                    }
                    std::copy(plane + ih * g.in_w, plane + ih * g.in_w + (hi - lo),
                              row.begin() + lo);
                    const float* src = row.data();
                    if (L.stride_w == 1) {
                      std::copy(src, src + L.cols, out);
                    } else if (L.stride_w == 4) {  // AlexNet's first layer
                      float* o0 = out;
                      float* o1 = out + L.plane();
                      float* o2 = out + 2 * L.plane();
                      float* o3 = out + 3 * L.plane();
                      for (int64_t q = 0; q < L.cols; ++q) {
                        o0[q] = src[4 * q];
                        o1[q] = src[4 * q + 1];
                        o2[q] = src[4 * q + 2];
                        o3[q] = src[4 * q + 3];
                      }
                    } else {
                      for (int64_t q = 0; q < L.cols; ++q) {
                        for (int64_t pw = 0; pw < L.stride_w; ++pw) {
                          out[pw * L.plane() + q] = src[q * L.stride_w + pw];
                        }
                      }
                    }
                  }
                }
              });
}

// PackIm2colPanels over phases: `count` images side by side, image j's
// phases at phases + j * image_stride; every run is one plain copy.
inline void PackPhasedPanels(const ConvGeometry& g, const PhaseLayout& L, const float* phases,
                             int64_t image_stride, int64_t k0, int64_t kc, int64_t c0, int64_t cols,
                             int64_t nr, float* out) {
  PackPanelRuns(g, k0, kc, c0, cols, nr, out,
                [&](int64_t j, int64_t oh, int64_t ow0, int64_t run, int64_t c, int64_t kh,
                    int64_t kw, float* dst) {
                  const float* src =
                      phases + j * image_stride + c * L.channel() +
                      ((kh % L.stride_h) * L.stride_w + kw % L.stride_w) * L.plane() +
                      (oh + kh / L.stride_h) * L.cols + ow0 + kw / L.stride_w;
                  std::copy(src, src + run, dst);
                });
}

// Im2colRowSegment over one image's phases.
inline void PhasedRowSegment(const ConvGeometry& g, const PhaseLayout& L, const float* phases,
                             int64_t row, int64_t pix0, int64_t count, float* dst) {
  const int64_t kw = row % g.kernel_w, kh = (row / g.kernel_w) % g.kernel_h;
  const int64_t c = row / (g.kernel_w * g.kernel_h);
  const float* plane = phases + c * L.channel() +
                       ((kh % L.stride_h) * L.stride_w + kw % L.stride_w) * L.plane() +
                       (kh / L.stride_h) * L.cols + kw / L.stride_w;
  for (int64_t i = 0; i < count;) {
    const int64_t pix = pix0 + i, oh = pix / g.out_w, ow0 = pix % g.out_w;
    const int64_t run = std::min(count - i, g.out_w - ow0);
    const float* src = plane + oh * L.cols + ow0;
    std::copy(src, src + run, dst + i);
    i += run;
  }
}

// image = col2im(col): overwrites image with the sum of the col entries that
// im2col would read from each pixel. Each channel is summed by one thread in
// a fixed order, so the result is deterministic.
inline void Col2im(const ConvGeometry& g, const float* col, float* image, int64_t ld = 0) {
  const int64_t cols = ld > 0 ? ld : g.col_cols();
  const auto& a = g.attrs;
  ParallelFor(g.channels, MinChannelsPerChunk(g), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      float* plane = image + c * g.in_h * g.in_w;
      std::fill(plane, plane + g.in_h * g.in_w, 0.0f);
      for (int64_t kh = 0; kh < g.kernel_h; ++kh) {
        for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
          const float* row = col + ((c * g.kernel_h + kh) * g.kernel_w + kw) * cols;
          for (int64_t oh = 0; oh < g.out_h; ++oh) {
            const int64_t ih = oh * a.stride[0] - a.padding[0] + kh * a.dilation[0];
            if (ih < 0 || ih >= g.in_h) continue;
            const float* src = row + oh * g.out_w;
            const int64_t first = kw * a.dilation[1] - a.padding[1];
            const int64_t lo = ValidBegin(first, a.stride[1], g.out_w);
            const int64_t hi = ValidEnd(first, a.stride[1], g.in_w, g.out_w);
            float* dst = plane + ih * g.in_w;
            if (a.stride[1] == 1) {
              for (int64_t ow = lo; ow < hi; ++ow) dst[first + ow] += src[ow];
            } else {
              for (int64_t ow = lo; ow < hi; ++ow) dst[first + ow * a.stride[1]] += src[ow];
            }
          }
        }
      }
    }
  });
}

// y[n, c, p] += bias[c] for y viewed as [batch, channels, pixels].
inline void AddBias(const float* bias, int64_t batch, int64_t channels, int64_t pixels, float* y) {
  ParallelFor(batch * channels, std::max<int64_t>(1, (1 << 15) / pixels),
              [&](int64_t i0, int64_t i1) {
                for (int64_t i = i0; i < i1; ++i) {
                  const float b = bias[i % channels];
                  float* row = y + i * pixels;
                  for (int64_t p = 0; p < pixels; ++p) row[p] += b;
                }
              });
}

// db[c] = sum over n and p of dy[n, c, p], each channel summed in double by
// one thread in a fixed order.
inline void BiasGradient(const float* dy, int64_t batch, int64_t channels, int64_t pixels,
                         float* db) {
  ParallelFor(
      channels, std::max<int64_t>(1, (1 << 15) / (batch * pixels)), [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
          // Eight partial sums: one chain of dependent adds would
          // wait out the adder's latency on every value.
          double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
          for (int64_t n = 0; n < batch; ++n) {
            const float* row = dy + (n * channels + c) * pixels;
            int64_t p = 0;
            for (; p + 8 <= pixels; p += 8) {
              for (int i = 0; i < 8; ++i) s[i] += row[p + i];
            }
            for (; p < pixels; ++p) s[p % 8] += row[p];
          }
          db[c] =
              static_cast<float>(((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])));
        }
      });
}

}  // namespace conv
}  // namespace tessera

#endif  // TESSERA_OPS_COMMON_IM2COL_H_
