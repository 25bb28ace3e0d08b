// resize2d: resizes the two spatial axes of an NCHW tensor to any size, as
// ONNX Resize (opset 11 to 17) on H and W: modes nearest, linear and cubic;
// every coordinate_transformation_mode; nearest_mode; cubic_coeff_a;
// exclude_outside; tf_crop_and_resize with its roi and extrapolation_value.
// The axes are separable: each output cell reads a few input cells per axis
// with weights (resize2d.h, which follows the ONNX reference
// implementation), and the 2-D result is the product of the two.
//
// Attributes: size [h, w] (the output's, required), scale [h, w] (the scale
// the coordinates use; empty: size / input), mode, coordinate_transformation
// _mode, nearest_mode, cubic_coeff_a, exclude_outside, extrapolation_value
// and roi [h start, w start, h end, w end] (tf_crop_and_resize only).
// Gradient: the transpose of the interpolation (each input cell gathers
// dy times its weights over the outputs that read it).

#include "ops/resize2d/resize2d.h"

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/kernel_registry.h"
#include "core/op_registry.h"
#include "core/thread_pool.h"
#include "ops/common/rows.h"
#include "ops/resize2d/resize_rows.h"

#if TESSERA_CUDA
#include "core/cuda/cuda_context.h"
#endif

namespace tessera {
namespace {

// The index of `value` in `names`, or an error naming the attribute.
absl::StatusOr<int> Choice(const Attrs& attrs, const std::string& attr,
                           const std::vector<std::string>& names) {
  const std::string& value = attrs.GetString(attr);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == value) return static_cast<int>(i);
  }
  return absl::InvalidArgumentError(absl::StrCat("attribute '", attr, "' must be one of ",
                                                 absl::StrJoin(names, ", "), ", got \"", value,
                                                 "\""));
}

// The two axes' descriptions, checking every attribute.
absl::StatusOr<std::pair<resize2d::Axis, resize2d::Axis>> AxesOf(const Shape& x,
                                                                 const Attrs& attrs) {
  TS_RETURN_IF_ERROR(ExpectRank(x, 4, "input x [N, C, H, W]"));
  if (x[2] < 1 || x[3] < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("input ", ShapeToString(x), " has an empty image"));
  }
  const std::vector<int64_t> size = attrs.GetInts("size");
  if (size.size() != 2 || size[0] < 1 || size[1] < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "attribute 'size' must be 2 positive integers [h, w], got ", ShapeToString(size)));
  }
  const std::vector<float> scale = attrs.GetFloats("scale");
  if (!scale.empty() && (scale.size() != 2 || !(scale[0] > 0) || !(scale[1] > 0))) {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute 'scale' must be empty or 2 positive numbers [h, w], got [",
                     absl::StrJoin(scale, ","), "]"));
  }
  TS_ASSIGN_OR_RETURN(const int mode, Choice(attrs, "mode", {"nearest", "linear", "cubic"}));
  TS_ASSIGN_OR_RETURN(const int transform,
                      Choice(attrs, "coordinate_transformation_mode",
                             {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                              "tf_half_pixel_for_nn", "tf_crop_and_resize"}));
  TS_ASSIGN_OR_RETURN(
      const int rounding,
      Choice(attrs, "nearest_mode", {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}));
  const bool exclude_outside = attrs.GetBool("exclude_outside");
  if (exclude_outside && mode != resize2d::kCubic) {
    return absl::InvalidArgumentError("exclude_outside applies to mode \"cubic\" only");
  }
  const std::vector<float> roi = attrs.GetFloats("roi");
  if (transform == resize2d::kTfCropAndResize) {
    if (roi.size() != 4) {
      return absl::InvalidArgumentError(absl::StrCat(
          "coordinate_transformation_mode \"tf_crop_and_resize\" needs attribute 'roi' "
          "[h start, w start, h end, w end], got [",
          absl::StrJoin(roi, ","), "]"));
    }
  } else if (!roi.empty()) {
    return absl::InvalidArgumentError(
        "attribute 'roi' applies to coordinate_transformation_mode \"tf_crop_and_resize\" only");
  }
  std::pair<resize2d::Axis, resize2d::Axis> axes;
  for (int k = 0; k < 2; ++k) {
    resize2d::Axis& a = k == 0 ? axes.first : axes.second;
    a.in = x[2 + k];
    a.out = size[k];
    a.scale = scale.empty() ? static_cast<double>(a.out) / a.in : scale[k];
    a.mode = mode;
    a.transform = transform;
    a.rounding = rounding;
    a.cubic_a = attrs.GetFloat("cubic_coeff_a");
    a.exclude_outside = exclude_outside;
    a.roi_start = roi.empty() ? 0.0 : roi[k];
    a.roi_end = roi.empty() ? 1.0 : roi[2 + k];
  }
  return axes;
}

absl::StatusOr<std::vector<Shape>> ResizeShape(const std::vector<Shape>& in, const Attrs& attrs) {
  TS_RETURN_IF_ERROR(AxesOf(in[0], attrs).status());
  const std::vector<int64_t> size = attrs.GetInts("size");
  return std::vector<Shape>{{in[0][0], in[0][1], size[0], size[1]}};
}

TESSERA_REGISTER_OP("resize2d")
    .Input("x")
    .Output("y")
    .RequiredAttr("size", AttrType::kInts)
    .Attr("scale", AttrType::kFloats, FloatsAttr({}))
    .Attr("mode", AttrType::kString, StringAttr("nearest"))
    .Attr("coordinate_transformation_mode", AttrType::kString, StringAttr("half_pixel"))
    .Attr("nearest_mode", AttrType::kString, StringAttr("round_prefer_floor"))
    .Attr("cubic_coeff_a", AttrType::kFloat, FloatAttr(-0.75f))
    .Attr("exclude_outside", AttrType::kBool, BoolAttr(false))
    .Attr("extrapolation_value", AttrType::kFloat, FloatAttr(0.0f))
    .Attr("roi", AttrType::kFloats, FloatsAttr({}))
    .Doc("Resizes H and W of NCHW to any size: nearest, linear or cubic (ONNX Resize).")
    .ShapeFn(ResizeShape)
    // The gradient reads only shapes.
    .GradientReads({}, {})
    .Flops([](const std::vector<Shape>&, const std::vector<Shape>& out, const Attrs& attrs) {
      // A multiply-add per tap pair: 1, 2 x 2 or 4 x 4 taps, plus the rows.
      const std::string& mode = attrs.GetString("mode");
      const double taps = mode == "cubic" ? 4 : mode == "linear" ? 2 : 0;
      return 2.0 * taps * (taps + 1) * NumElements(out[0]);
    });

// Every output cell's taps along one axis, computed once per call (the
// reference recomputes them for every output element).
std::vector<resize2d::Taps> TapTable(const resize2d::Axis& a) {
  std::vector<resize2d::Taps> taps(a.out);
  for (int64_t o = 0; o < a.out; ++o) taps[o] = resize2d::TapsOf(o, a);
  return taps;
}

// The weight with which output cell o's taps read input cell p (0 if none),
// summed over the taps in order as GradientAt does.
double WeightOf(const resize2d::Taps& t, int64_t p) {
  double w = 0;
  for (int k = 0; k < t.n; ++k) w += t.index[k] == p ? t.weight[k] : 0.0;
  return w;
}

// One axis of the CPU kernels as gathers: cell o of the result is the sum,
// for k from first[o] up to first[o + 1], of weight[k] times source cell
// source[k], added in that order in double. The forward gathers each output
// cell's taps (ForwardAt's order), the gradient each input cell's readers
// (GradientAt's), so both kernels are Resample below and each result is
// written by one thread.
struct Gathers {
  std::vector<int64_t> first{0};
  std::vector<int32_t> source;
  std::vector<double> weight;

  int64_t cells() const { return static_cast<int64_t>(first.size()) - 1; }
  int64_t count(int64_t o) const { return first[o + 1] - first[o]; }
};

// The forward's: output cell o reads its taps; an extrapolated cell reads
// nothing (the forward overwrites it).
Gathers TapGathers(const std::vector<resize2d::Taps>& taps) {
  Gathers g;
  for (const resize2d::Taps& t : taps) {
    for (int k = 0; k < t.n && !t.extrapolate; ++k) {
      g.source.push_back(static_cast<int32_t>(t.index[k]));
      g.weight.push_back(t.weight[k]);
    }
    g.first.push_back(static_cast<int64_t>(g.source.size()));
  }
  return g;
}

// The gradient's: input cell p gathers from the output cells that read it
// and are not extrapolated (Readers), in ascending order.
Gathers ReaderGathers(const resize2d::Axis& a, const std::vector<resize2d::Taps>& taps) {
  Gathers g;
  for (int64_t p = 0; p < a.in; ++p) {
    int64_t begin, end;
    resize2d::Readers(p, a, &begin, &end);
    for (int64_t o = begin; o < end; ++o) {
      if (taps[o].extrapolate) continue;
      g.source.push_back(static_cast<int32_t>(o));
      g.weight.push_back(WeightOf(taps[o], p));
    }
    g.first.push_back(static_cast<int64_t>(g.source.size()));
  }
  return g;
}

// The gathers along W as GatherRow's table: `slots` terms per cell,
// slot-major, and each cell's count (the slots past it add nothing); a cell
// with more terms (an edge cell that clamped outputs all read) adds the
// rest after GatherRow, in order. The cells are padded to
// resize2d::kRowPadding (count 0); a block of that many cells whose sources
// lie within 16 floats has a base, so that GatherRow permutes one load
// rather than gathering. The same sums as Gathers, with the cells in SIMD
// lanes.
struct ColumnTable {
  const Gathers* g;
  int64_t src_w;
  int64_t n;  // cells, padded
  int slots = 0;
  std::vector<int32_t> index, count, base;
  std::vector<double> weight;
  std::vector<int64_t> overflow;  // cells with more than `slots` terms
};

ColumnTable TableOf(const Gathers& g, int64_t src_w) {
  ColumnTable t;
  t.g = &g;
  t.src_w = src_w;
  const int64_t cells = g.cells();
  const int64_t n = t.n =
      (cells + resize2d::kRowPadding - 1) / resize2d::kRowPadding * resize2d::kRowPadding;
  int64_t most = 0;
  for (int64_t o = 0; o < cells; ++o) most = std::max(most, g.count(o));
  // Slots for the typical cell: clamping can give one edge cell every
  // output past the edge, which should not widen every cell's gather.
  const int64_t mean = (static_cast<int64_t>(g.source.size()) + cells - 1) / cells;
  t.slots = static_cast<int>(std::min(most, 2 * mean + 2));
  t.index.assign(t.slots * n, 0);
  t.weight.assign(t.slots * n, 0.0);
  t.count.assign(n, 0);
  t.base.assign(n / resize2d::kRowPadding, -1);
  for (int64_t block = 0; block * resize2d::kRowPadding < n; ++block) {
    int64_t lo = src_w, hi = -1;
    const int64_t o0 = block * resize2d::kRowPadding;
    for (int64_t o = o0; o < std::min(cells, o0 + resize2d::kRowPadding); ++o) {
      const int64_t count = std::min<int64_t>(g.count(o), t.slots);
      t.count[o] = static_cast<int32_t>(count);
      if (g.count(o) > t.slots) t.overflow.push_back(o);
      for (int64_t k = 0; k < count; ++k) {
        const int32_t s = g.source[g.first[o] + k];
        t.index[k * n + o] = s;
        t.weight[k * n + o] = g.weight[g.first[o] + k];
        lo = std::min<int64_t>(lo, s);
        hi = std::max<int64_t>(hi, s);
      }
    }
    if (hi < 0) continue;  // no terms: every slot reads x[0] and adds nothing
    // Spare slots read the block's lowest source (valid, and in its window).
    for (int64_t o = o0; o < o0 + resize2d::kRowPadding; ++o) {
      for (int64_t k = t.count[o]; k < t.slots; ++k) t.index[k * n + o] = static_cast<int32_t>(lo);
    }
    if (hi - lo < 16) t.base[block] = static_cast<int32_t>(lo);
  }
  return t;
}

// out[o] = the table's sum for cell o of one source row (src_w floats), for
// o < t.n; `padded` has room for src_w + 16 floats, zeros past src_w (the
// window a block loads may reach past the row).
void ResampleRow(const float* src, const ColumnTable& t, float* padded, double* out) {
  simd::Copy(src, padded, t.src_w);
  resize2d::GatherRow(padded, t.index.data(), t.weight.data(), t.count.data(), t.base.data(),
                      t.slots, t.n, out);
  for (const int64_t o : t.overflow) {
    double sum = out[o];
    for (int64_t k = t.g->first[o] + t.slots; k < t.g->first[o + 1]; ++k) {
      sum += t.g->weight[k] * src[t.g->source[k]];
    }
    out[o] = sum;
  }
}

// dst (planes of rows.cells() x cols.g->cells()) from src (planes of
// src_h x cols.src_w): dst row i is the sum, over row i's gathers, of their
// weight times source row s resampled along W (ResampleRow), added in order
// in double. Then finish(i, dst row), if given. A chunk of rows resamples
// the source rows a block of its rows reads once and keeps them; a source
// row is resampled the same way whichever chunk and block needs it, so the
// result is the same for any thread count.
void Resample(const float* src, int64_t planes, int64_t src_h, const Gathers& rows,
              const ColumnTable& cols, float* dst,
              const std::function<void(int64_t, float*)>& finish) {
  const int64_t dst_h = rows.cells(), dst_w = cols.g->cells(), src_w = cols.src_w;
  const int64_t stride = cols.n;  // of the kept rows
  // Source rows kept at once: about 256 KB of doubles (a few under small
  // chunks, so that the tests meet several blocks).
  const int64_t max_rows =
      SmallChunksForTesting() ? 3 : std::max<int64_t>(8, (1 << 15) / std::max<int64_t>(1, dst_w));
  ParallelFor(planes * dst_h, std::max<int64_t>(1, (1 << 14) / std::max<int64_t>(1, dst_w)),
              [&](int64_t begin, int64_t end) {
                std::vector<double> kept;
                std::vector<const double*> sources;
                std::vector<float> padded(src_w + 16, 0.0f);
                for (int64_t r = begin; r < end;) {
                  const int64_t c = r / dst_h, i0 = r % dst_h;
                  const int64_t last = std::min(dst_h, i0 + (end - r));
                  // Rows [i0, i1) and the source rows [lo, hi) they read.
                  int64_t lo = src_h, hi = 0, i1 = i0;
                  for (; i1 < last; ++i1) {
                    int64_t l = lo, h = hi;
                    for (int64_t k = rows.first[i1]; k < rows.first[i1 + 1]; ++k) {
                      l = std::min<int64_t>(l, rows.source[k]);
                      h = std::max<int64_t>(h, rows.source[k] + 1);
                    }
                    if (i1 > i0 && h - l > max_rows) break;
                    lo = l;
                    hi = h;
                  }
                  kept.resize(std::max<int64_t>(0, hi - lo) * stride);
                  for (int64_t s = lo; s < hi; ++s) {
                    ResampleRow(src + (c * src_h + s) * src_w, cols, padded.data(),
                                kept.data() + (s - lo) * stride);
                  }
                  for (int64_t i = i0; i < i1; ++i) {
                    sources.clear();
                    for (int64_t k = rows.first[i]; k < rows.first[i + 1]; ++k) {
                      sources.push_back(kept.data() + (rows.source[k] - lo) * stride);
                    }
                    float* out = dst + (c * dst_h + i) * dst_w;
                    resize2d::CombineRows(sources.data(), rows.weight.data() + rows.first[i],
                                          rows.count(i), dst_w, out);
                    if (finish) finish(i, out);
                  }
                  r += i1 - i0;
                }
              });
}

// ForwardAt's sums: each input row resized along W once (the column taps),
// then each output row from its row taps' rows.
absl::Status Forward(KernelContext& ctx, const std::vector<Tensor>& in, std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(const auto axes, AxesOf(in[0].shape(), ctx.attrs));
  const float extrapolation_value = ctx.attrs.GetFloat("extrapolation_value");
  const std::vector<resize2d::Taps> row_taps = TapTable(axes.first);
  const std::vector<resize2d::Taps> col_taps = TapTable(axes.second);
  const Gathers rows = TapGathers(row_taps), cols = TapGathers(col_taps);
  bool extrapolates = false;
  for (const resize2d::Taps& t : row_taps) extrapolates |= t.extrapolate;
  for (const resize2d::Taps& t : col_taps) extrapolates |= t.extrapolate;
  // tf_crop_and_resize: cells outside the input take the extrapolation value.
  std::function<void(int64_t, float*)> finish;
  if (extrapolates) {
    finish = [&](int64_t i, float* y) {
      if (row_taps[i].extrapolate) {
        simd::Fill(extrapolation_value, y, axes.second.out);
        return;
      }
      for (int64_t j = 0; j < axes.second.out; ++j) {
        if (col_taps[j].extrapolate) y[j] = extrapolation_value;
      }
    };
  }
  Resample(in[0].data(), in[0].dim(0) * in[0].dim(1), axes.first.in, rows,
           TableOf(cols, axes.second.in), out[0].data(), finish);
  return absl::OkStatus();
}

// GradientAt's sums: each dy row resized back along W (every input column
// gathers from the output columns that read it), then each dx row from the
// dy rows that read it.
absl::Status Gradient(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  Tensor& dx = args.input_grads[0];
  TS_ASSIGN_OR_RETURN(const auto axes, AxesOf(dx.shape(), ctx.attrs));
  const Gathers rows = ReaderGathers(axes.first, TapTable(axes.first));
  const Gathers cols = ReaderGathers(axes.second, TapTable(axes.second));
  Resample(args.output_grads[0].data(), dx.dim(0) * dx.dim(1), axes.first.out, rows,
           TableOf(cols, axes.second.out), dx.data(), nullptr);
  return absl::OkStatus();
}

TESSERA_REGISTER_KERNEL("resize2d", Device::kCpu, Forward, Gradient);

}  // namespace

#if TESSERA_CUDA
// Defined in resize2d.cu; images are `planes` planes of h x w, resized to
// the axes' out sizes.
namespace cuda {
void Resize2dForward(const float* x, float* y, int64_t planes, const resize2d::Axis& rows,
                     const resize2d::Axis& cols, float extrapolation_value, cudaStream_t stream);
void Resize2dGradient(const float* dy, float* dx, int64_t planes, const resize2d::Axis& rows,
                      const resize2d::Axis& cols, cudaStream_t stream);
}  // namespace cuda

namespace {

absl::Status ForwardGpu(KernelContext& ctx, const std::vector<Tensor>& in,
                        std::vector<Tensor>& out) {
  TS_ASSIGN_OR_RETURN(const auto axes, AxesOf(in[0].shape(), ctx.attrs));
  cuda::Resize2dForward(in[0].data(), out[0].data(), in[0].dim(0) * in[0].dim(1), axes.first,
                        axes.second, ctx.attrs.GetFloat("extrapolation_value"),
                        CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("resize2d forward");
}

absl::Status GradientGpu(KernelContext& ctx, GradientArgs& args) {
  if (!args.input_grads[0].defined()) return absl::OkStatus();
  Tensor& dx = args.input_grads[0];
  TS_ASSIGN_OR_RETURN(const auto axes, AxesOf(dx.shape(), ctx.attrs));
  cuda::Resize2dGradient(args.output_grads[0].data(), dx.data(), dx.dim(0) * dx.dim(1), axes.first,
                         axes.second, CudaContextOf(ctx.backend).stream);
  return CudaLaunchStatus("resize2d gradient");
}

TESSERA_REGISTER_KERNEL("resize2d", Device::kCuda, ForwardGpu, GradientGpu);

}  // namespace
#endif  // TESSERA_CUDA

}  // namespace tessera
