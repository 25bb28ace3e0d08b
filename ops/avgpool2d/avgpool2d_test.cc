#include "core/op_test_case.h"

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

// Plain loops over every kernel cell, sorting each into input, padding
// (counted only with count_include_pad) or past the padding (never counted).
std::vector<std::vector<float>> Reference(const std::vector<Tensor>& in, const Attrs& attrs) {
  const int64_t n = in[0].dim(0), c = in[0].dim(1), h = in[0].dim(2), w = in[0].dim(3);
  std::vector<int64_t> k = attrs.GetInts("kernel"), s = attrs.GetInts("stride");
  const std::vector<int64_t> pad = attrs.GetInts("padding");
  if (attrs.GetBool("global")) k = {h, w};
  if (s.empty()) s = k;
  const bool ceil_mode = attrs.GetBool("ceil_mode");
  const bool include_pad = attrs.GetBool("count_include_pad");
  const int64_t oh = CountWindows(h, k[0], s[0], pad[0], ceil_mode);
  const int64_t ow = CountWindows(w, k[1], s[1], pad[1], ceil_mode);
  const std::vector<float> x = in[0].ToVector();
  std::vector<float> y;
  for (int64_t b = 0; b < n * c; ++b) {
    for (int64_t i = 0; i < oh; ++i) {
      for (int64_t j = 0; j < ow; ++j) {
        double sum = 0;
        int64_t real = 0, padded = 0;
        for (int64_t di = 0; di < k[0]; ++di) {
          for (int64_t dj = 0; dj < k[1]; ++dj) {
            const int64_t r = i * s[0] - pad[0] + di, q = j * s[1] - pad[1] + dj;
            if (r >= 0 && r < h && q >= 0 && q < w) {
              sum += x[(b * h + r) * w + q];
              ++real;
            } else if (r >= -pad[0] && r < h + pad[0] && q >= -pad[1] && q < w + pad[1]) {
              ++padded;
            }
          }
        }
        y.push_back(static_cast<float>(sum / (include_pad ? real + padded : real)));
      }
    }
  }
  return {y};
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
    c.expected = {{2, 3.25f, 5.75f, -0.5f}};
    c.reference = Reference;
    cases.push_back(c);
  }
  // Kernel 3, stride 2, padding 1, ceil_mode on 4x4: windows over rows/cols
  // -1..1, 1..3 and 3..5, the last clipped to 3..4 by the padded size. Input
  // sums 8 17 7 / 25 25 6 / 9 12 2.
  for (bool include_pad : {true, false}) {
    OpTestCase c;
    c.name = include_pad ? "hand_computed_k3_s2_p1_ceil_include_pad"
                         : "hand_computed_k3_s2_p1_ceil_exclude_pad";
    c.attrs = {{"kernel", IntsAttr({3, 3})},
               {"stride", IntsAttr({2, 2})},
               {"padding", IntsAttr({1, 1})},
               {"ceil_mode", BoolAttr(true)},
               {"count_include_pad", BoolAttr(include_pad)}};
    c.inputs = {Tensor::FromVector({1, 1, 4, 4}, k4x4)};
    // Divisors with padding: 9 9 6 / 9 9 6 / 6 6 4; input cells only:
    // 4 6 2 / 6 9 3 / 2 3 1.
    if (include_pad) {
      c.expected = {{8 / 9.0f, 17 / 9.0f, 7 / 6.0f, 25 / 9.0f, 25 / 9.0f, 1, 1.5f, 2, 0.5f}};
    } else {
      c.expected = {{2, 17 / 6.0f, 3.5f, 25 / 6.0f, 25 / 9.0f, 2, 4.5f, 4, 2}};
    }
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "hand_computed_global";
    c.attrs = {{"global", BoolAttr(true)}};
    c.inputs = {Tensor::FromVector({1, 2, 2, 3}, {1, 2, 3, 4, 5, 6, -1, 0, 2, 4, -3, 10})};
    c.expected = {{3.5f, 2}};
    c.reference = Reference;
    cases.push_back(c);
  }
  struct Spec {
    const char* name;
    Shape shape;
    std::vector<int64_t> kernel, stride, padding;
    bool ceil_mode, include_pad;
  };
  const Spec specs[] = {
      {"overlap_k3_s2_batch2_c3_7x6", {2, 3, 7, 6}, {3, 3}, {2, 2}, {0, 0}, false, true},
      {"nonsquare_k2x3_s1x2_p1_c5_5x8", {1, 5, 5, 8}, {2, 3}, {1, 2}, {1, 1}, false, true},
      {"nonsquare_k2x3_s1x2_p1_exclude_pad_c5_5x8",
       {1, 5, 5, 8},
       {2, 3},
       {1, 2},
       {1, 1},
       false,
       false},
      {"default_stride_k2_batch2_c3_7x5", {2, 3, 7, 5}, {2, 2}, {}, {0, 0}, false, true},
      {"ceil_k3_s2_p1_batch2_c3_6x5", {2, 3, 6, 5}, {3, 3}, {2, 2}, {1, 1}, true, true},
      {"ceil_k3_s2_p1_exclude_pad_batch2_c3_6x5",
       {2, 3, 6, 5},
       {3, 3},
       {2, 2},
       {1, 1},
       true,
       false},
      {"ceil_k2_no_pad_batch3_c1_5x7", {3, 1, 5, 7}, {2, 2}, {}, {0, 0}, true, true},
      // More outputs and inputs than one GPU block of threads.
      {"ceil_k3_s2_p1_exclude_pad_batch2_c4_17x15",
       {2, 4, 17, 15},
       {3, 3},
       {2, 2},
       {1, 1},
       true,
       false},
  };
  uint64_t seed = 200;
  for (const Spec& s : specs) {
    OpTestCase c;
    c.name = s.name;
    c.attrs = {{"kernel", IntsAttr(s.kernel)},
               {"padding", IntsAttr(s.padding)},
               {"ceil_mode", BoolAttr(s.ceil_mode)},
               {"count_include_pad", BoolAttr(s.include_pad)}};
    if (!s.stride.empty()) c.attrs["stride"] = IntsAttr(s.stride);
    c.inputs = {RandomTensor(s.shape, ++seed)};
    c.reference = Reference;
    cases.push_back(c);
  }
  {
    OpTestCase c;
    c.name = "global_batch3_c5_4x7";
    c.attrs = {{"global", BoolAttr(true)}};
    c.inputs = {RandomTensor({3, 5, 4, 7}, 299)};
    c.reference = Reference;
    cases.push_back(c);
  }
  return cases;
}

TESSERA_OP_TEST_CASES("avgpool2d", Cases);

}  // namespace
}  // namespace tessera
