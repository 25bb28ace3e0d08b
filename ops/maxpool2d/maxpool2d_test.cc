#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/backend.h"
#include "core/executor.h"
#include "core/graph.h"
#include "core/op_test_case.h"
#include "gtest/gtest.h"
#include "ops/common/pool.h"

namespace tessera {
namespace {

// Windows along one axis, enumerated rather than by the kernel's formula: a
// window counts if it fits in the padded input; with ceil_mode also a partial
// one, up to ceil((in + 2p - k) / s) + 1 windows, provided that it starts
// inside the input or the left padding.
int64_t CountWindows(int64_t in, int64_t k, int64_t s, int64_t p, bool ceil_mode) {
  int64_t n = 0;
  for (int64_t i = 0;; ++i) {
    const int64_t start = i * s - p;  // in input coordinates
    const bool fits = start + k <= in + p;
    const bool partial_ok = ceil_mode && i * s < in + 2 * p - k + s && start < in;
    if (!fits && !partial_ok) break;
    ++n;
  }
  return n;
}

// Plain loops over the padded window, its cells `dilation` apart;
// out-of-range cells are -inf. The indices output: the first maximum's
// (r, q) in the layout attr `indices` names.
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const std::vector<int64_t> k = attrs.GetInts("kernel"), pad = attrs.GetInts("padding");
  const std::vector<int64_t> d = attrs.GetInts("dilation");
  std::vector<int64_t> s = attrs.GetInts("stride");
  if (s.empty()) s = k;
  const bool ceil_mode = attrs.GetBool("ceil_mode");
  const int64_t n = in[0].dim(0), c = in[0].dim(1), h = in[0].dim(2), w = in[0].dim(3);
  const int64_t oh = CountWindows(h, (k[0] - 1) * d[0] + 1, s[0], pad[0], ceil_mode);
  const int64_t ow = CountWindows(w, (k[1] - 1) * d[1] + 1, s[1], pad[1], ceil_mode);
  const std::vector<float> x = in[0].ToVector();
  const std::string layout = attrs.GetString("indices");
  std::vector<float> y, indices;
  for (int64_t b = 0; b < n * c; ++b) {
    for (int64_t i = 0; i < oh; ++i) {
      for (int64_t j = 0; j < ow; ++j) {
        double best = -std::numeric_limits<double>::infinity();
        int64_t best_r = -1, best_q = -1;
        for (int64_t di = 0; di < k[0]; ++di) {
          for (int64_t dj = 0; dj < k[1]; ++dj) {
            const int64_t r = i * s[0] - pad[0] + di * d[0];
            const int64_t q = j * s[1] - pad[1] + dj * d[1];
            const bool inside = r >= 0 && r < h && q >= 0 && q < w;
            if (inside && (best_r < 0 || x[(b * h + r) * w + q] > best)) {
              best = x[(b * h + r) * w + q];
              best_r = r;
              best_q = q;
            }
          }
        }
        y.push_back(static_cast<float>(best));
        int64_t index = best_r * w + best_q;
        if (layout == "flat") index = b * h * w + best_r * w + best_q;
        if (layout == "flat_column_major") index = b * h * w + best_q * h + best_r;
        indices.push_back(static_cast<float>(index));
      }
    }
  }
  return {y, indices};
}

const std::vector<float> k4x4 = {1, 5,  2,  0,   //
                                 3, -1, 4,  7,   //
                                 6, 8,  -2, -3,  //
                                 0, 9,  1,  2};

std::vector<OpTestCase> Cases() {
  std::vector<OpTestCase> cases;
  {
    OpTestCase c;
    c.name = "hand_computed_k2";
    c.attrs = {{"kernel", IntsAttr({2, 2})}};
    c.inputs = {Tensor::FromVector({1, 1, 4, 4}, k4x4)};
    c.expected = {{5, 7, 9, 2}, {1, 7, 13, 15}};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    // Kernel 3, stride 2, padding 1, ceil_mode: 3x3 windows over rows/cols
    // {0,1}, {1,2,3}, {3}. The 9 wins four windows and the 7 three, so their
    // gradients accumulate.
    OpTestCase c;
    c.name = "hand_computed_k3_s2_p1_ceil";
    c.attrs = {{"kernel", IntsAttr({3, 3})},
               {"stride", IntsAttr({2, 2})},
               {"padding", IntsAttr({1, 1})},
               {"ceil_mode", BoolAttr(true)}};
    c.inputs = {Tensor::FromVector({1, 1, 4, 4}, k4x4)};
    c.expected = {{5, 7, 7, 9, 9, 7, 9, 9, 2}, {1, 7, 7, 13, 13, 7, 13, 13, 15}};
    c.reference = Reference;
    cases.push_back(c);
  }
  struct Spec {
    const char* name;
    Shape shape;
    std::vector<int64_t> kernel, stride, padding;
    bool ceil_mode;
  };
  const Spec specs[] = {
      {"overlap_k3_s2_batch2_c3_7x6", {2, 3, 7, 6}, {3, 3}, {2, 2}, {0, 0}, false},
      {"nonsquare_k2x3_s1x2_p1_c5_5x8", {1, 5, 5, 8}, {2, 3}, {1, 2}, {1, 1}, false},
      {"default_stride_k2_batch2_c3_7x5", {2, 3, 7, 5}, {2, 2}, {}, {0, 0}, false},
      {"ceil_k2_batch2_c3_7x5", {2, 3, 7, 5}, {2, 2}, {}, {0, 0}, true},
      // With padding 1 both axes' last ceil window would start exactly at the
      // end of the input (in + pad == (out - 1) * stride) and is dropped.
      {"ceil_k2_p1_drops_last_window_c3_7x5", {1, 3, 7, 5}, {2, 2}, {}, {1, 1}, true},
      // Rows: ceil gives 4 windows where floor gives 3. Cols: ceil's third
      // window would start in the right padding and is dropped.
      {"ceil_k3x2_s2x3_p1_batch2_c3_6x4", {2, 3, 6, 4}, {3, 2}, {2, 3}, {1, 1}, true},
      {"k3_s1_p1_batch3_c1_5x5", {3, 1, 5, 5}, {3, 3}, {1, 1}, {1, 1}, false},
      // More outputs and inputs than one GPU block of threads.
      {"ceil_k3_s2_p1_batch2_c4_20x18", {2, 4, 20, 18}, {3, 3}, {2, 2}, {1, 1}, true},
      // Rows wide enough for the SIMD row kernel at 16, 8 and 4 lanes, then
      // scalar; stride 2 (AlexNet's 3/2) and stride 1 with padding.
      {"simd_k3_s2_c2_9x60", {1, 2, 9, 60}, {3, 3}, {2, 2}, {0, 0}, false},
      {"simd_k3_s2_c2_13x55", {1, 2, 13, 55}, {3, 3}, {2, 2}, {0, 0}, false},
      {"simd_k3_s1_p1_c2_6x40", {1, 2, 6, 40}, {3, 3}, {1, 1}, {1, 1}, false},
      {"simd_k2x3_s3_c1_4x50", {1, 1, 4, 50}, {2, 3}, {1, 3}, {0, 1}, false},
  };
  uint64_t seed = 100;
  for (const Spec& s : specs) {
    OpTestCase c;
    c.name = s.name;
    c.attrs = {{"kernel", IntsAttr(s.kernel)},
               {"padding", IntsAttr(s.padding)},
               {"ceil_mode", BoolAttr(s.ceil_mode)}};
    if (!s.stride.empty()) c.attrs["stride"] = IntsAttr(s.stride);
    // Spaced values: a nudge of the gradient check cannot change an argmax.
    c.inputs = {Tensor::FromVector(s.shape, SpacedValues(NumElements(s.shape), ++seed))};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    // Kernel 2, dilation 2 (ONNX's test_maxpool_2d_dilations): windows of
    // cells {0, 2} and {1, 3} per axis.
    OpTestCase c;
    c.name = "hand_computed_k2_d2_s1";
    c.attrs = {
        {"kernel", IntsAttr({2, 2})}, {"stride", IntsAttr({1, 1})}, {"dilation", IntsAttr({2, 2})}};
    c.inputs = {Tensor::FromVector({1, 1, 4, 4}, k4x4)};
    c.expected = {{6, 8, 4, 9}, {8, 9, 6, 13}};
    c.reference = Reference;
    cases.push_back(c);
  }
  struct DilatedSpec {
    const char* name;
    Shape shape;
    std::vector<int64_t> kernel, stride, padding, dilation;
    bool ceil_mode;
  };
  const DilatedSpec dilated[] = {
      {"dilated_k3_d2_s1_batch2_c3_7x8", {2, 3, 7, 8}, {3, 3}, {1, 1}, {0, 0}, {2, 2}, false},
      {"dilated_k3x2_d2x3_s2_p1_c5_9x10", {1, 5, 9, 10}, {3, 2}, {2, 2}, {1, 1}, {2, 3}, false},
      {"dilated_k2_d3_s2_p1_ceil_c2_8x7", {1, 2, 8, 7}, {2, 2}, {2, 2}, {1, 1}, {3, 3}, true},
      {"dilated_h_only_k3_d1x2_s1x3_c3_6x11", {1, 3, 6, 11}, {3, 3}, {1, 3}, {1, 0}, {1, 2}, false},
  };
  for (const DilatedSpec& s : dilated) {
    OpTestCase c;
    c.name = s.name;
    c.attrs = {{"kernel", IntsAttr(s.kernel)},
               {"stride", IntsAttr(s.stride)},
               {"padding", IntsAttr(s.padding)},
               {"dilation", IntsAttr(s.dilation)},
               {"ceil_mode", BoolAttr(s.ceil_mode)}};
    c.inputs = {Tensor::FromVector(s.shape, SpacedValues(NumElements(s.shape), ++seed))};
    c.reference = Reference;
    cases.push_back(c);
  }
  // ONNX's Indices: flat into x, row-major (storage_order 0) and
  // column-major (storage_order 1), over several images and channels.
  {
    OpTestCase c;
    c.name = "hand_computed_k2_flat_column_major_batch2";
    c.attrs = {{"kernel", IntsAttr({2, 2})}, {"indices", StringAttr("flat_column_major")}};
    std::vector<float> two = k4x4;
    for (float v : k4x4) two.push_back(-v);
    c.inputs = {Tensor::FromVector({2, 1, 4, 4}, two)};
    // Image 1 is -image 0: maxima 1 at (1, 1), -0 at (0, 3), -0 at (3, 0)
    // and 3 at (2, 3); column-major w * H + h, after image 0's 16 cells.
    c.expected = {{5, 7, 9, 2, 1, 0, 0, 3}, {4, 13, 7, 15, 16 + 5, 16 + 12, 16 + 3, 16 + 14}};
    c.reference = Reference;
    cases.push_back(c);
  }
  for (const char* layout : {"flat", "flat_column_major"}) {
    OpTestCase c;
    c.name = std::string("indices_") + layout + "_k3_s2_p1_ceil_batch2_c3_7x6";
    c.attrs = {{"kernel", IntsAttr({3, 3})},
               {"stride", IntsAttr({2, 2})},
               {"padding", IntsAttr({1, 1})},
               {"ceil_mode", BoolAttr(true)},
               {"indices", StringAttr(layout)}};
    c.inputs = {Tensor::FromVector({2, 3, 7, 6}, SpacedValues(2 * 3 * 7 * 6, ++seed))};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    OpTestCase c = cases.back();
    c.name = "indices_flat_dilated_k2_d2_c2_6x7";
    c.attrs = {{"kernel", IntsAttr({2, 2})},
               {"dilation", IntsAttr({2, 2})},
               {"stride", IntsAttr({1, 2})},
               {"indices", StringAttr("flat")}};
    c.inputs = {Tensor::FromVector({1, 2, 6, 7}, SpacedValues(2 * 6 * 7, ++seed))};
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("maxpool2d", Cases);

void ExpectSameValues(const std::vector<float>& actual, const std::vector<float>& expected,
                      const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << what << "[" << i << "]: got " << actual[i];
    } else {
      EXPECT_EQ(actual[i], expected[i]) << what << "[" << i << "]";
    }
  }
}

// Ties (the first maximum wins) and NaNs (a NaN wins and propagates) are
// outside the conformance cases, whose spaced values keep the gradient check
// valid: every device must pick the CPU's cell, in y, the saved argmax and
// the gradient.
TEST(MaxPool2d, TiesAndNanPickTheCpuCellOnEveryDevice) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> x(2 * 5 * 5, 1.0f);                           // channel 0: all tied
  for (int i = 25; i < 50; ++i) x[i] = static_cast<float>(i % 3);  // channel 1: ties of 0, 1, 2
  x[25 + 7] = nan;
  x[25 + 18] = nan;
  const std::vector<Tensor> in = {Tensor::FromVector({1, 2, 5, 5}, x)};
  const OpSchema* schema = OpRegistry::Global().Find("maxpool2d");
  const Attrs attrs = *schema->ResolveAttrs(
      {{"kernel", IntsAttr({3, 3})}, {"padding", IntsAttr({1, 1})}, {"stride", IntsAttr({1, 1})}});
  absl::StatusOr<OpRun> cpu = RunOpForward("maxpool2d", attrs, in, Device::kCpu, true, 0);
  ASSERT_TRUE(cpu.ok()) << cpu.status();
  // (The indices output has no gradient: zeros.)
  const std::vector<Tensor> dy = {RandomTensor(cpu->outputs[0].shape(), 5),
                                  Tensor::Zeros(cpu->outputs[1].shape())};
  absl::StatusOr<std::vector<Tensor>> cpu_grad =
      RunOpGradient("maxpool2d", attrs, in, Device::kCpu, true, 0, dy);
  ASSERT_TRUE(cpu_grad.ok()) << cpu_grad.status();
  for (Device device : AvailableDevices()) {
    if (device == Device::kCpu) continue;
    absl::StatusOr<OpRun> run = RunOpForward("maxpool2d", attrs, in, device, true, 0);
    ASSERT_TRUE(run.ok()) << run.status();
    ExpectSameValues(run->outputs[0].ToVector(), cpu->outputs[0].ToVector(), "y");
    ExpectSameValues(run->saved.at(0).ToVector(), cpu->saved.at(0).ToVector(), "argmax");
    ExpectSameValues(run->outputs[1].ToVector(), cpu->outputs[1].ToVector(), "indices");
    absl::StatusOr<std::vector<Tensor>> grad =
        RunOpGradient("maxpool2d", attrs, in, device, true, 0, dy);
    ASSERT_TRUE(grad.ok()) << grad.status();
    ExpectSameValues((*grad)[0].ToVector(), (*cpu_grad)[0].ToVector(), "dx");
  }
}

// The indices output is optional (OpSchema::OptionalOutput): a graph that
// does not read it gets the same y and dx without the indices being
// computed; one that outputs it gets them, as the kernel run alone gives
// them. On every device.
TEST(MaxPool2d, IndicesAreComputedOnlyForAReader) {
  const std::string graph = R"pb(
    input {
      name: "x"
      shape: [ -1, 2, 7, 6 ]
    }
    node {
      name: "pool"
      op: "maxpool2d"
      input: "x"
      attr {
        key: "kernel"
        value { ints { v: [ 3, 3 ] } }
      }
      attr {
        key: "stride"
        value { ints { v: [ 2, 2 ] } }
      }
    }
    output: "pool"
  )pb";
  const Shape shape = {2, 2, 7, 6};
  const Attrs attrs =
      *OpRegistry::Global()
           .Find("maxpool2d")
           ->ResolveAttrs({{"kernel", IntsAttr({3, 3})}, {"stride", IntsAttr({2, 2})}});
  absl::StatusOr<OpRun> alone =
      RunOpForward("maxpool2d", attrs, {RandomTensor(shape, 3)}, Device::kCpu, true, 0);
  ASSERT_TRUE(alone.ok()) << alone.status();
  for (Device device : AvailableDevices()) {
    SCOPED_TRACE(DeviceName(device));
    const absl::StatusOr<OptionalOutputRun> unread_or =
        RunWithOptionalOutput(graph, "pool", shape, device, 0);
    ASSERT_TRUE(unread_or.ok()) << unread_or.status();
    const OptionalOutputRun& unread = *unread_or;
    const absl::StatusOr<OptionalOutputRun> read_or =
        RunWithOptionalOutput(graph + "output: \"pool:1\"", "pool", shape, device, 0);
    ASSERT_TRUE(read_or.ok()) << read_or.status();
    const OptionalOutputRun& read = *read_or;
    EXPECT_FALSE(unread.output1_computed);
    EXPECT_TRUE(read.output1_computed);
    ASSERT_EQ(unread.values.size(), 2u);  // y, dx
    ASSERT_EQ(read.values.size(), 3u);    // y, indices, dx
    EXPECT_EQ(unread.values[0], alone->outputs[0].ToVector());
    EXPECT_EQ(read.values[0], alone->outputs[0].ToVector());
    EXPECT_EQ(read.values[1], alone->outputs[1].ToVector());
    EXPECT_EQ(unread.values[1], read.values[2]);
  }
}

// PyTorch's rule on the CPU: in a tie the first maximum of the window, in
// row-major order, wins, and it alone receives the window's gradient. The
// conformance cases cannot show it (their spaced values never tie), and the
// test above compares other devices with the CPU, so this one checks the CPU
// against plain loops.
TEST(MaxPool2d, FirstMaximumWinsTiesOnTheCpu) {
  const int64_t c = 3, h = 6, w = 5;
  std::vector<float> x(c * h * w);
  const std::vector<float> random = RandomValues(h * w, 17);
  for (int64_t i = 0; i < h * w; ++i) {
    x[i] = 1.0f;                                          // channel 0: everything ties
    x[h * w + i] = static_cast<float>(i % 3);             // channel 1: rows of 0, 1, 2
    x[2 * h * w + i] = std::round(random[i] * 2) / 2.0f;  // channel 2: five levels
  }
  const Tensor input = Tensor::FromVector({1, c, h, w}, x);
  struct Window {
    int64_t k, stride, pad;
  };
  for (const Window& win : {Window{3, 1, 1}, Window{2, 2, 0}, Window{3, 2, 1}}) {
    SCOPED_TRACE("kernel " + std::to_string(win.k) + " stride " + std::to_string(win.stride));
    const Attrs attrs = *OpRegistry::Global()
                             .Find("maxpool2d")
                             ->ResolveAttrs({{"kernel", IntsAttr({win.k, win.k})},
                                             {"padding", IntsAttr({win.pad, win.pad})},
                                             {"stride", IntsAttr({win.stride, win.stride})}});
    absl::StatusOr<OpRun> run = RunOpForward("maxpool2d", attrs, {input}, Device::kCpu, true, 0);
    ASSERT_TRUE(run.ok()) << run.status();
    const Shape y_shape = run->outputs[0].shape();
    const int64_t oh = y_shape[2], ow = y_shape[3];
    const std::vector<Tensor> dy = {RandomTensor(y_shape, 23), Tensor::Zeros(y_shape)};
    const std::vector<float> g = dy[0].ToVector();
    std::vector<float> y(c * oh * ow), first_at(c * oh * ow);
    std::vector<double> dx(x.size(), 0.0);
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t i = 0; i < oh; ++i) {
        for (int64_t j = 0; j < ow; ++j) {
          int64_t first = -1;
          for (int64_t di = 0; di < win.k; ++di) {
            for (int64_t dj = 0; dj < win.k; ++dj) {
              const int64_t r = i * win.stride - win.pad + di, q = j * win.stride - win.pad + dj;
              if (r < 0 || r >= h || q < 0 || q >= w) continue;
              const int64_t cell = (ch * h + r) * w + q;
              if (first < 0 || x[cell] > x[first]) first = cell;
            }
          }
          const int64_t out = (ch * oh + i) * ow + j;
          y[out] = x[first];
          first_at[out] = static_cast<float>(first - ch * h * w);
          dx[first] += g[out];
        }
      }
    }
    EXPECT_EQ(run->outputs[0].ToVector(), y);
    EXPECT_EQ(run->outputs[1].ToVector(), first_at);
    absl::StatusOr<std::vector<Tensor>> grad =
        RunOpGradient("maxpool2d", attrs, {input}, Device::kCpu, true, 0, dy);
    ASSERT_TRUE(grad.ok()) << grad.status();
    const std::vector<float> got = (*grad)[0].ToVector();
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_NEAR(got[i], dx[i], 1e-6) << "dx[" << i << "]";
    }
  }
}

// The SIMD row kernel against the scalar rule, value and argmax, on wide
// rows full of ties and NaNs (the conformance cases use distinct values).
TEST(MaxPool2d, SimdRowsKeepTheTieAndNanRule) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const int64_t h = 7, w = 70;
  std::vector<float> x(h * w);
  for (int64_t i = 0; i < h * w; ++i) x[i] = static_cast<float>((i * 7) % 4);
  for (int64_t i : {3, 40, 41, 150, 333, 420}) x[i] = nan;
  const std::vector<Tensor> in = {Tensor::FromVector({1, 1, h, w}, x)};
  const OpSchema* schema = OpRegistry::Global().Find("maxpool2d");
  for (int64_t stride : {1, 2}) {
    for (int64_t pad : {0, 1}) {
      const Attrs attrs = *schema->ResolveAttrs({{"kernel", IntsAttr({3, 3})},
                                                 {"padding", IntsAttr({pad, pad})},
                                                 {"stride", IntsAttr({stride, stride})}});
      absl::StatusOr<OpRun> run = RunOpForward("maxpool2d", attrs, in, Device::kCpu, true, 0);
      ASSERT_TRUE(run.ok()) << run.status();
      const std::vector<float> y = run->outputs[0].ToVector(), at = run->saved.at(0).ToVector();
      const int64_t oh = run->outputs[0].dim(2), ow = run->outputs[0].dim(3);
      for (int64_t i = 0; i < oh; ++i) {
        for (int64_t j = 0; j < ow; ++j) {
          float best = -std::numeric_limits<float>::infinity();
          int64_t best_at = -1;
          for (int64_t r = std::max<int64_t>(0, i * stride - pad);
               r < std::min(h, i * stride - pad + 3); ++r) {
            for (int64_t q = std::max<int64_t>(0, j * stride - pad);
                 q < std::min(w, j * stride - pad + 3); ++q) {
              if (best_at < 0 || x[r * w + q] > best || std::isnan(x[r * w + q])) {
                best = x[r * w + q];
                best_at = r * w + q;
              }
            }
          }
          const std::string where = "stride " + std::to_string(stride) + " pad " +
                                    std::to_string(pad) + " at " + std::to_string(i) + "," +
                                    std::to_string(j);
          ASSERT_EQ(at[i * ow + j], static_cast<float>(best_at)) << where;
          if (std::isnan(best)) {
            ASSERT_TRUE(std::isnan(y[i * ow + j])) << where;
          } else {
            ASSERT_EQ(y[i * ow + j], best) << where;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace tessera

namespace tessera {
namespace {

// Rows -1 and 2 of a 2-row input: a window with no cell to take the max of.
TEST(MaxPool2d, DilatedWindowOutsideTheInputIsAnError) {
  const OpSchema* schema = OpRegistry::Global().Find("maxpool2d");
  const Attrs attrs = *schema->ResolveAttrs({{"kernel", IntsAttr({2, 1})},
                                             {"stride", IntsAttr({1, 1})},
                                             {"padding", IntsAttr({1, 0})},
                                             {"dilation", IntsAttr({3, 1})}});
  absl::StatusOr<std::vector<Shape>> shapes = schema->InferShapes({{1, 1, 2, 5}}, attrs);
  ASSERT_FALSE(shapes.ok());
  EXPECT_NE(shapes.status().message().find("has a window with no cell inside input [1,1,2,5]"),
            std::string::npos)
      << shapes.status();
}

// The shape function's closed-form check agrees with looking at every cell
// of every window, over small sizes; and a 2^31-row input is rejected at
// once (the graph fuzzer timed out when the check walked every window).
TEST(MaxPool2d, WindowCheckAgreesWithEveryCell) {
  const OpSchema* schema = OpRegistry::Global().Find("maxpool2d");
  int rejected = 0;
  for (int64_t in = 1; in <= 9; ++in) {
    for (int64_t k = 1; k <= 4; ++k) {
      for (int64_t s = 1; s <= 3; ++s) {
        for (int64_t pad = 0; 2 * pad <= k; ++pad) {
          for (int64_t d = 1; d <= 3; ++d) {
            for (bool ceil_mode : {false, true}) {
              const int64_t out = pool::PooledSize(in, (k - 1) * d + 1, s, pad, ceil_mode);
              if (out < 1) continue;
              bool every = true;
              for (int64_t i = 0; i < out; ++i) {
                bool touches = false;
                for (int64_t a = 0; a < k; ++a) {
                  const int64_t at = i * s - pad + a * d;
                  touches |= at >= 0 && at < in;
                }
                every &= touches;
              }
              const Attrs attrs = *schema->ResolveAttrs({{"kernel", IntsAttr({k, 1})},
                                                         {"stride", IntsAttr({s, 1})},
                                                         {"padding", IntsAttr({pad, 0})},
                                                         {"dilation", IntsAttr({d, 1})},
                                                         {"ceil_mode", BoolAttr(ceil_mode)}});
              EXPECT_EQ(schema->InferShapes({{1, 1, in, 1}}, attrs).ok(), every)
                  << "in " << in << " k " << k << " s " << s << " pad " << pad << " d " << d
                  << " ceil " << ceil_mode;
              rejected += !every;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(rejected, 0);  // the sweep reaches the windows that miss
  const Attrs unit = *schema->ResolveAttrs({{"kernel", IntsAttr({1, 1})}});
  EXPECT_FALSE(schema->InferShapes({{1, 1, int64_t{1} << 31, 4}}, unit).ok());
}

}  // namespace
}  // namespace tessera
