#include "tools/image/canvas.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "absl/strings/str_cat.h"

namespace tessera {
namespace {

// The classic 5x7 LCD font for ' ' (0x20) to '~' (0x7E): five columns per
// glyph, left to right, bit 0 the top row; g, j, p, q and y are redrawn
// with descenders in an eighth row (bit 7).
constexpr uint8_t kFont[95][5] = {
    {0x00, 0x00, 0x00, 0x00, 0x00},  // ' '
    {0x00, 0x00, 0x5f, 0x00, 0x00},  // !
    {0x00, 0x07, 0x00, 0x07, 0x00},  // "
    {0x14, 0x7f, 0x14, 0x7f, 0x14},  // #
    {0x24, 0x2a, 0x7f, 0x2a, 0x12},  // $
    {0x23, 0x13, 0x08, 0x64, 0x62},  // %
    {0x36, 0x49, 0x55, 0x22, 0x50},  // &
    {0x00, 0x05, 0x03, 0x00, 0x00},  // '
    {0x00, 0x1c, 0x22, 0x41, 0x00},  // (
    {0x00, 0x41, 0x22, 0x1c, 0x00},  // )
    {0x14, 0x08, 0x3e, 0x08, 0x14},  // *
    {0x08, 0x08, 0x3e, 0x08, 0x08},  // +
    {0x00, 0x50, 0x30, 0x00, 0x00},  // ,
    {0x08, 0x08, 0x08, 0x08, 0x08},  // -
    {0x00, 0x60, 0x60, 0x00, 0x00},  // .
    {0x20, 0x10, 0x08, 0x04, 0x02},  // /
    {0x3e, 0x51, 0x49, 0x45, 0x3e},  // 0
    {0x00, 0x42, 0x7f, 0x40, 0x00},  // 1
    {0x42, 0x61, 0x51, 0x49, 0x46},  // 2
    {0x21, 0x41, 0x45, 0x4b, 0x31},  // 3
    {0x18, 0x14, 0x12, 0x7f, 0x10},  // 4
    {0x27, 0x45, 0x45, 0x45, 0x39},  // 5
    {0x3c, 0x4a, 0x49, 0x49, 0x30},  // 6
    {0x01, 0x71, 0x09, 0x05, 0x03},  // 7
    {0x36, 0x49, 0x49, 0x49, 0x36},  // 8
    {0x06, 0x49, 0x49, 0x29, 0x1e},  // 9
    {0x00, 0x36, 0x36, 0x00, 0x00},  // :
    {0x00, 0x56, 0x36, 0x00, 0x00},  // ;
    {0x08, 0x14, 0x22, 0x41, 0x00},  // <
    {0x14, 0x14, 0x14, 0x14, 0x14},  // =
    {0x00, 0x41, 0x22, 0x14, 0x08},  // >
    {0x02, 0x01, 0x51, 0x09, 0x06},  // ?
    {0x32, 0x49, 0x79, 0x41, 0x3e},  // @
    {0x7e, 0x11, 0x11, 0x11, 0x7e},  // A
    {0x7f, 0x49, 0x49, 0x49, 0x36},  // B
    {0x3e, 0x41, 0x41, 0x41, 0x22},  // C
    {0x7f, 0x41, 0x41, 0x22, 0x1c},  // D
    {0x7f, 0x49, 0x49, 0x49, 0x41},  // E
    {0x7f, 0x09, 0x09, 0x09, 0x01},  // F
    {0x3e, 0x41, 0x49, 0x49, 0x7a},  // G
    {0x7f, 0x08, 0x08, 0x08, 0x7f},  // H
    {0x00, 0x41, 0x7f, 0x41, 0x00},  // I
    {0x20, 0x40, 0x41, 0x3f, 0x01},  // J
    {0x7f, 0x08, 0x14, 0x22, 0x41},  // K
    {0x7f, 0x40, 0x40, 0x40, 0x40},  // L
    {0x7f, 0x02, 0x0c, 0x02, 0x7f},  // M
    {0x7f, 0x04, 0x08, 0x10, 0x7f},  // N
    {0x3e, 0x41, 0x41, 0x41, 0x3e},  // O
    {0x7f, 0x09, 0x09, 0x09, 0x06},  // P
    {0x3e, 0x41, 0x51, 0x21, 0x5e},  // Q
    {0x7f, 0x09, 0x19, 0x29, 0x46},  // R
    {0x46, 0x49, 0x49, 0x49, 0x31},  // S
    {0x01, 0x01, 0x7f, 0x01, 0x01},  // T
    {0x3f, 0x40, 0x40, 0x40, 0x3f},  // U
    {0x1f, 0x20, 0x40, 0x20, 0x1f},  // V
    {0x3f, 0x40, 0x38, 0x40, 0x3f},  // W
    {0x63, 0x14, 0x08, 0x14, 0x63},  // X
    {0x07, 0x08, 0x70, 0x08, 0x07},  // Y
    {0x61, 0x51, 0x49, 0x45, 0x43},  // Z
    {0x00, 0x7f, 0x41, 0x41, 0x00},  // [
    {0x02, 0x04, 0x08, 0x10, 0x20},  // backslash
    {0x00, 0x41, 0x41, 0x7f, 0x00},  // ]
    {0x04, 0x02, 0x01, 0x02, 0x04},  // ^
    {0x40, 0x40, 0x40, 0x40, 0x40},  // _
    {0x00, 0x01, 0x02, 0x04, 0x00},  // `
    {0x20, 0x54, 0x54, 0x54, 0x78},  // a
    {0x7f, 0x48, 0x44, 0x44, 0x38},  // b
    {0x38, 0x44, 0x44, 0x44, 0x20},  // c
    {0x38, 0x44, 0x44, 0x48, 0x7f},  // d
    {0x38, 0x54, 0x54, 0x54, 0x18},  // e
    {0x08, 0x7e, 0x09, 0x01, 0x02},  // f
    {0x18, 0xa4, 0xa4, 0xa4, 0x7c},  // g
    {0x7f, 0x08, 0x04, 0x04, 0x78},  // h
    {0x00, 0x44, 0x7d, 0x40, 0x00},  // i
    {0x40, 0x80, 0x84, 0x7d, 0x00},  // j
    {0x7f, 0x10, 0x28, 0x44, 0x00},  // k
    {0x00, 0x41, 0x7f, 0x40, 0x00},  // l
    {0x7c, 0x04, 0x18, 0x04, 0x78},  // m
    {0x7c, 0x08, 0x04, 0x04, 0x78},  // n
    {0x38, 0x44, 0x44, 0x44, 0x38},  // o
    {0xfc, 0x24, 0x24, 0x24, 0x18},  // p
    {0x18, 0x24, 0x24, 0x24, 0xfc},  // q
    {0x7c, 0x08, 0x04, 0x04, 0x08},  // r
    {0x48, 0x54, 0x54, 0x54, 0x20},  // s
    {0x04, 0x3f, 0x44, 0x40, 0x20},  // t
    {0x3c, 0x40, 0x40, 0x20, 0x7c},  // u
    {0x1c, 0x20, 0x40, 0x20, 0x1c},  // v
    {0x3c, 0x40, 0x30, 0x40, 0x3c},  // w
    {0x44, 0x28, 0x10, 0x28, 0x44},  // x
    {0x1c, 0xa0, 0xa0, 0xa0, 0x7c},  // y
    {0x44, 0x64, 0x54, 0x4c, 0x44},  // z
    {0x00, 0x08, 0x36, 0x41, 0x00},  // {
    {0x00, 0x00, 0x7f, 0x00, 0x00},  // |
    {0x00, 0x41, 0x36, 0x08, 0x00},  // }
    {0x10, 0x08, 0x08, 0x10, 0x08},  // ~
};

// A hollow box, for characters without a glyph.
constexpr uint8_t kMissingGlyph[5] = {0x7f, 0x41, 0x41, 0x41, 0x7f};

const uint8_t* Glyph(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return u >= 0x20 && u <= 0x7e ? kFont[u - 0x20] : kMissingGlyph;
}

uint8_t Luminance(Rgb c) {
  return static_cast<uint8_t>((299 * c.r + 587 * c.g + 114 * c.b + 500) / 1000);
}

// Draws a glyph pixel (column gx, row gy of the 5x7 cell) as a scale x
// scale block, mapped through `place` to image coordinates.
template <typename Place>
void DrawString(Image& image, std::string_view text, Rgb color, int scale, Place place) {
  scale = std::max(scale, 1);
  for (size_t i = 0; i < text.size(); ++i) {
    const uint8_t* glyph = Glyph(text[i]);
    for (int gx = 0; gx < kGlyphWidth; ++gx) {
      for (int gy = 0; gy < kGlyphHeight; ++gy) {
        if (!((glyph[gx] >> gy) & 1)) continue;
        const int tx = static_cast<int>(i) * kCharAdvance + gx;  // in text space
        for (int sy = 0; sy < scale; ++sy) {
          for (int sx = 0; sx < scale; ++sx) {
            const auto [x, y] = place(tx * scale + sx, gy * scale + sy);
            SetPixel(image, x, y, color);
          }
        }
      }
    }
  }
}

}  // namespace

void SetPixel(Image& image, int x, int y, Rgb color) {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  uint8_t* p = image.at(x, y);
  if (image.channels == 1) {
    p[0] = Luminance(color);
  } else {
    p[0] = color.r;
    p[1] = color.g;
    p[2] = color.b;
  }
}

void FillRect(Image& image, int x, int y, int w, int h, Rgb color) {
  const int x0 = std::max(x, 0), y0 = std::max(y, 0);
  const int x1 = std::min<int64_t>(static_cast<int64_t>(x) + w, image.width);
  const int y1 = std::min<int64_t>(static_cast<int64_t>(y) + h, image.height);
  for (int yy = y0; yy < y1; ++yy) {
    for (int xx = x0; xx < x1; ++xx) SetPixel(image, xx, yy, color);
  }
}

void DrawRect(Image& image, int x, int y, int w, int h, Rgb color) {
  if (w <= 0 || h <= 0) return;
  FillRect(image, x, y, w, 1, color);
  FillRect(image, x, y + h - 1, w, 1, color);
  FillRect(image, x, y, 1, h, color);
  FillRect(image, x + w - 1, y, 1, h, color);
}

void DrawLine(Image& image, int x0, int y0, int x1, int y1, Rgb color, int thickness) {
  thickness = std::clamp(thickness, 1, 2);
  int64_t x = x0, y = y0;
  const int64_t dx = std::llabs(static_cast<int64_t>(x1) - x0), sx = x0 < x1 ? 1 : -1;
  const int64_t dy = -std::llabs(static_cast<int64_t>(y1) - y0), sy = y0 < y1 ? 1 : -1;
  const bool mostly_horizontal = dx >= -dy;
  // A line that leaves the image is first clipped (Liang-Barsky) to a
  // margin around it, so that far-away ends cost nothing.
  const int64_t margin = 2;
  const bool outside = std::min<int64_t>(x0, x1) < -margin || std::min<int64_t>(y0, y1) < -margin ||
                       std::max<int64_t>(x0, x1) >= image.width + margin ||
                       std::max<int64_t>(y0, y1) >= image.height + margin;
  if (outside) {
    const double fx = x0, fy = y0, ddx = static_cast<double>(x1) - x0,
                 ddy = static_cast<double>(y1) - y0;
    double t0 = 0, t1 = 1;
    const double p[4] = {-ddx, ddx, -ddy, ddy};
    const double q[4] = {fx + margin, image.width - 1 + margin - fx, fy + margin,
                         image.height - 1 + margin - fy};
    for (int k = 0; k < 4; ++k) {
      if (p[k] == 0) {
        if (q[k] < 0) return;  // parallel to this edge and outside it
        continue;
      }
      const double r = q[k] / p[k];
      if (p[k] < 0) {
        t0 = std::max(t0, r);
      } else {
        t1 = std::min(t1, r);
      }
    }
    if (t0 > t1) return;
    DrawLine(image, static_cast<int>(std::lround(fx + t0 * ddx)),
             static_cast<int>(std::lround(fy + t0 * ddy)),
             static_cast<int>(std::lround(fx + t1 * ddx)),
             static_cast<int>(std::lround(fy + t1 * ddy)), color, thickness);
    return;
  }
  int64_t err = dx + dy;
  while (true) {
    SetPixel(image, static_cast<int>(x), static_cast<int>(y), color);
    if (thickness == 2) {
      SetPixel(image, static_cast<int>(x + (mostly_horizontal ? 0 : 1)),
               static_cast<int>(y + (mostly_horizontal ? 1 : 0)), color);
    }
    if (x == x1 && y == y1) break;
    const int64_t e2 = 2 * err;
    if (e2 >= dy) {
      err += dy;
      x += sx;
    }
    if (e2 <= dx) {
      err += dx;
      y += sy;
    }
  }
}

bool HasGlyph(char c) {
  const unsigned char u = static_cast<unsigned char>(c);
  return u >= 0x20 && u <= 0x7e;
}

int TextWidth(std::string_view text, int scale) {
  if (text.empty()) return 0;
  return (static_cast<int>(text.size()) * kCharAdvance - 1) * std::max(scale, 1);
}

int TextHeight(int scale) { return kGlyphHeight * std::max(scale, 1); }

void DrawText(Image& image, int x, int y, std::string_view text, Rgb color, int scale) {
  DrawString(image, text, color, scale,
             [&](int tx, int ty) { return std::pair<int, int>(x + tx, y + ty); });
}

void DrawTextVertical(Image& image, int x, int y, std::string_view text, Rgb color, int scale) {
  // Rotating counter-clockwise: text x runs up the image, text y to the right.
  const int length = TextWidth(text, scale);
  DrawString(image, text, color, scale,
             [&](int tx, int ty) { return std::pair<int, int>(x + ty, y + length - 1 - tx); });
}

std::vector<double> NiceTicks(double lo, double hi, int target) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (hi < lo) std::swap(lo, hi);
  if (hi == lo) {
    const double pad = lo == 0 ? 1.0 : std::fabs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  target = std::max(target, 1);
  const double raw = (hi - lo) / target;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double normalized = raw / magnitude;
  const double step = magnitude * (normalized < 1.5 ? 1
                                   : normalized < 3 ? 2
                                   : normalized < 7 ? 5
                                                    : 10);
  const double first = std::floor(lo / step + 1e-9);
  const double last = std::ceil(hi / step - 1e-9);
  std::vector<double> ticks;
  for (double i = first; i <= last && ticks.size() < 100; i += 1) {
    double v = i * step;
    if (std::fabs(v) < step * 1e-9) v = 0;  // no "-0" or "1e-17"
    ticks.push_back(v);
  }
  if (ticks.size() < 2) ticks.push_back(ticks.empty() ? lo : ticks.back() + step);
  return ticks;
}

std::string FormatTick(double value, double step) {
  char buf[64];
  const double magnitude = std::max(std::fabs(value), std::fabs(step));
  if (magnitude >= 1e6 || (magnitude > 0 && magnitude < 1e-4)) {
    snprintf(buf, sizeof(buf), "%.3g", value);
    return buf;
  }
  const double tolerance = std::fabs(step) * 1e-3;
  for (int decimals = 0; decimals <= 8; ++decimals) {
    snprintf(buf, sizeof(buf), "%.*f", decimals, value);
    if (std::fabs(std::strtod(buf, nullptr) - value) <= tolerance) break;
  }
  if (std::string(buf).find_first_not_of("-0.") == std::string::npos) return "0";  // "-0.00"
  return buf;
}

absl::StatusOr<Image> RenderLinePlot(const std::string& title, const std::string& x_label,
                                     const std::string& y_label,
                                     const std::vector<PlotSeries>& series,
                                     const PlotOptions& options) {
  double x_lo = std::numeric_limits<double>::infinity(), x_hi = -x_lo, y_lo = x_lo, y_hi = -x_lo;
  int64_t finite = 0;
  for (const PlotSeries& s : series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      x_lo = std::min(x_lo, x);
      x_hi = std::max(x_hi, x);
      y_lo = std::min(y_lo, y);
      y_hi = std::max(y_hi, y);
      ++finite;
    }
  }
  if (finite == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("plot '", title, "' has no finite points to draw"));
  }
  const std::vector<double> x_ticks = NiceTicks(x_lo, x_hi, std::max(2, options.width / 90));
  const std::vector<double> y_ticks = NiceTicks(y_lo, y_hi, std::max(2, options.height / 70));
  const double x_step = x_ticks[1] - x_ticks[0], y_step = y_ticks[1] - y_ticks[0];
  std::vector<std::string> y_tick_labels;
  int y_tick_width = 0;
  for (double t : y_ticks) {
    y_tick_labels.push_back(FormatTick(t, y_step));
    y_tick_width = std::max(y_tick_width, TextWidth(y_tick_labels.back()));
  }

  // Layout: title on top; y label, y tick labels, plot; x tick labels and x
  // label below.
  constexpr int kTitleScale = 2, kPad = 8, kTickLength = 4;
  const int left =
      kPad + (y_label.empty() ? 0 : TextHeight() + kPad) + y_tick_width + kTickLength + 4;
  const int top = kPad + (title.empty() ? 0 : TextHeight(kTitleScale) + kPad) + 4;
  const int bottom =
      kTickLength + 4 + TextHeight() + kPad + (x_label.empty() ? 0 : TextHeight() + kPad);
  const int right = 8 + TextWidth(FormatTick(x_ticks.back(), x_step)) / 2;
  const int plot_w = options.width - left - right, plot_h = options.height - top - bottom;
  if (plot_w < 40 || plot_h < 40) {
    return absl::InvalidArgumentError(
        absl::StrCat("a ", options.width, "x", options.height,
                     " plot leaves no room for the axes; make it larger"));
  }
  Image image(options.width, options.height, 3, 255);
  const double x0 = x_ticks.front(), x1 = x_ticks.back(), y0 = y_ticks.front(), y1 = y_ticks.back();
  auto px = [&](double x) {
    return left + static_cast<int>(std::lround((x - x0) / (x1 - x0) * (plot_w - 1)));
  };
  auto py = [&](double y) {
    return top + plot_h - 1 - static_cast<int>(std::lround((y - y0) / (y1 - y0) * (plot_h - 1)));
  };

  // Grid, ticks and tick labels.
  for (size_t i = 0; i < x_ticks.size(); ++i) {
    const int x = px(x_ticks[i]);
    DrawLine(image, x, top, x, top + plot_h - 1, colors::kLightGrey);
    DrawLine(image, x, top + plot_h, x, top + plot_h + kTickLength - 1, colors::kBlack);
    const std::string label = FormatTick(x_ticks[i], x_step);
    DrawText(image, x - TextWidth(label) / 2, top + plot_h + kTickLength + 4, label,
             colors::kBlack);
  }
  for (size_t i = 0; i < y_ticks.size(); ++i) {
    const int y = py(y_ticks[i]);
    DrawLine(image, left, y, left + plot_w - 1, y, colors::kLightGrey);
    DrawLine(image, left - kTickLength, y, left - 1, y, colors::kBlack);
    DrawText(image, left - kTickLength - 4 - TextWidth(y_tick_labels[i]), y - TextHeight() / 2,
             y_tick_labels[i], colors::kBlack);
  }
  DrawRect(image, left - 1, top - 1, plot_w + 2, plot_h + 2, colors::kBlack);

  // Data.
  std::vector<std::pair<int, int>> drawn;  // pixels on the data, for placing the legend
  for (const PlotSeries& s : series) {
    bool have_previous = false;
    int prev_x = 0, prev_y = 0;
    const bool markers = static_cast<int>(s.points.size()) <= options.max_points_for_markers;
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) {
        have_previous = false;
        continue;
      }
      const int cx = px(x), cy = py(y);
      if (have_previous) {
        DrawLine(image, prev_x, prev_y, cx, cy, s.color, 2);
        const int steps = std::max(std::abs(cx - prev_x), std::abs(cy - prev_y)) / 4 + 1;
        for (int k = 0; k <= steps; ++k) {
          drawn.push_back({prev_x + (cx - prev_x) * k / steps, prev_y + (cy - prev_y) * k / steps});
        }
      }
      if (markers) FillRect(image, cx - 2, cy - 2, 5, 5, s.color);
      drawn.push_back({cx, cy});
      have_previous = true;
      prev_x = cx;
      prev_y = cy;
    }
  }

  // Legend, in the corner with the fewest data pixels under it.
  std::vector<const PlotSeries*> named;
  for (const PlotSeries& s : series) {
    if (!s.name.empty()) named.push_back(&s);
  }
  if (!named.empty()) {
    constexpr int kSwatch = 18, kRow = 12;
    int name_width = 0;
    for (const PlotSeries* s : named) name_width = std::max(name_width, TextWidth(s->name));
    const int w = 6 + kSwatch + 6 + name_width + 6;
    const int h = 6 + static_cast<int>(named.size()) * kRow + 2;
    const int inset = 8;
    const std::array<std::pair<int, int>, 4> corners = {{
        {left + plot_w - w - inset, top + inset},               // top right
        {left + inset, top + inset},                            // top left
        {left + plot_w - w - inset, top + plot_h - h - inset},  // bottom right
        {left + inset, top + plot_h - h - inset},               // bottom left
    }};
    int best = 0;
    int64_t best_count = std::numeric_limits<int64_t>::max();
    for (int c = 0; c < 4; ++c) {
      int64_t count = 0;
      for (const auto& [x, y] : drawn) {
        count += x >= corners[c].first - 4 && x < corners[c].first + w + 4 &&
                 y >= corners[c].second - 4 && y < corners[c].second + h + 4;
      }
      if (count < best_count) {
        best_count = count;
        best = c;
      }
    }
    const auto [lx, ly] = corners[best];
    FillRect(image, lx, ly, w, h, colors::kWhite);
    DrawRect(image, lx, ly, w, h, colors::kGrey);
    for (size_t i = 0; i < named.size(); ++i) {
      const int row_y = ly + 6 + static_cast<int>(i) * kRow;
      DrawLine(image, lx + 6, row_y + 3, lx + 6 + kSwatch - 1, row_y + 3, named[i]->color, 2);
      DrawText(image, lx + 6 + kSwatch + 6, row_y, named[i]->name, colors::kBlack);
    }
  }

  // Title and axis labels.
  if (!title.empty()) {
    DrawText(image, left + (plot_w - TextWidth(title, kTitleScale)) / 2, kPad, title,
             colors::kBlack, kTitleScale);
  }
  if (!x_label.empty()) {
    DrawText(image, left + (plot_w - TextWidth(x_label)) / 2, options.height - kPad - TextHeight(),
             x_label, colors::kBlack);
  }
  if (!y_label.empty()) {
    DrawTextVertical(image, kPad, top + (plot_h - TextWidth(y_label)) / 2, y_label, colors::kBlack);
  }
  return image;
}

absl::Status WriteLinePlot(const std::string& path, const std::string& title,
                           const std::string& x_label, const std::string& y_label,
                           const std::vector<PlotSeries>& series, const PlotOptions& options) {
  absl::StatusOr<Image> image = RenderLinePlot(title, x_label, y_label, series, options);
  if (!image.ok()) return image.status();
  return WritePng(path, *image);
}

int DefaultColumns(int n) {
  if (n <= 1) return 1;
  return static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n)) - 1e-9));
}

namespace {

// Lays out tiles of `channels` planes each; see TileGrey.
Image Tile(const std::vector<std::vector<float>>& tiles, int channels, int tile_h, int tile_w,
           int columns, int scale, bool normalize_each) {
  tile_h = std::max(tile_h, 1);
  tile_w = std::max(tile_w, 1);
  scale = std::max(scale, 1);
  const int n = static_cast<int>(tiles.size());
  if (columns <= 0) columns = DefaultColumns(n);
  columns = std::max(1, std::min(columns, std::max(n, 1)));
  const int rows = std::max(1, (n + columns - 1) / columns);
  const int sep = kTileSeparator;
  Image image(columns * (tile_w * scale + sep) + sep, rows * (tile_h * scale + sep) + sep, channels,
              255);
  const size_t plane = static_cast<size_t>(tile_h) * tile_w;
  for (int t = 0; t < n; ++t) {
    const std::vector<float>& v = tiles[t];
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (size_t i = 0; i < std::min(v.size(), plane * channels); ++i) {
      if (std::isfinite(v[i])) {
        lo = std::min(lo, v[i]);
        hi = std::max(hi, v[i]);
      }
    }
    auto level = [&](size_t i) -> uint8_t {
      float x = i < v.size() ? v[i] : std::numeric_limits<float>::quiet_NaN();
      if (!std::isfinite(x)) x = std::isfinite(lo) ? lo : 0.0f;
      float u;
      if (normalize_each && hi > lo) {
        u = (x - lo) / (hi - lo);
      } else {
        u = x;
      }
      u = std::clamp(u, 0.0f, 1.0f);
      return static_cast<uint8_t>(std::lround(u * 255.0f));
    };
    const int ox = sep + (t % columns) * (tile_w * scale + sep);
    const int oy = sep + (t / columns) * (tile_h * scale + sep);
    for (int y = 0; y < tile_h; ++y) {
      for (int x = 0; x < tile_w; ++x) {
        uint8_t c[3];
        for (int k = 0; k < channels; ++k)
          c[k] = level(k * plane + static_cast<size_t>(y) * tile_w + x);
        for (int sy = 0; sy < scale; ++sy) {
          uint8_t* p = image.at(ox + x * scale, oy + y * scale + sy);
          for (int sx = 0; sx < scale; ++sx) {
            for (int k = 0; k < channels; ++k) *p++ = c[k];
          }
        }
      }
    }
  }
  return image;
}

}  // namespace

Image TileGrey(const std::vector<std::vector<float>>& tiles, int tile_h, int tile_w, int columns,
               int scale, bool normalize_each) {
  return Tile(tiles, 1, tile_h, tile_w, columns, scale, normalize_each);
}

Image TileRgb(const std::vector<std::vector<float>>& tiles, int tile_h, int tile_w, int columns,
              int scale, bool normalize_each) {
  return Tile(tiles, 3, tile_h, tile_w, columns, scale, normalize_each);
}

Image LabelTiles(const Image& grid, int tile_h, int tile_w, int columns, int scale,
                 const std::vector<std::string>& labels) {
  tile_h = std::max(tile_h, 1);
  tile_w = std::max(tile_w, 1);
  scale = std::max(scale, 1);
  const int sep = kTileSeparator;
  const int th = tile_h * scale, tw = tile_w * scale;
  columns = std::max(1, (grid.width - sep) / (tw + sep));
  const int rows = std::max(0, (grid.height - sep) / (th + sep));
  const int label_h = TextHeight() + 4;
  Image out(grid.width, grid.height + rows * label_h, grid.channels, 255);
  for (int y = 0; y < grid.height; ++y) {
    int done = 0;  // tile rows that end above y
    while (done < rows && y >= sep + done * (th + sep) + th) ++done;
    const int dy = y + done * label_h;
    std::copy(grid.pixels.begin() + static_cast<size_t>(y) * grid.width * grid.channels,
              grid.pixels.begin() + static_cast<size_t>(y + 1) * grid.width * grid.channels,
              out.pixels.begin() + static_cast<size_t>(dy) * out.width * out.channels);
  }
  const int max_chars = std::max(1, (tw + sep + 1) / kCharAdvance);
  for (size_t t = 0; t < labels.size() && static_cast<int>(t) < rows * columns; ++t) {
    const std::string text = labels[t].substr(0, max_chars);
    const int r = static_cast<int>(t) / columns, c = static_cast<int>(t) % columns;
    const int x = sep + c * (tw + sep) + (tw - TextWidth(text)) / 2;
    const int y = sep + r * (th + sep) + th + r * label_h + 2;
    DrawText(out, x, y, text, colors::kBlack);
  }
  return out;
}

Image AddCaption(const Image& image, const std::vector<std::string>& lines, int scale) {
  scale = std::max(scale, 1);
  int width = image.width;
  for (const std::string& line : lines) width = std::max(width, TextWidth(line, scale) + 8);
  const int strip = lines.empty() ? 0 : static_cast<int>(lines.size()) * kLineHeight * scale + 8;
  Image out(width, image.height + strip, 3, 255);
  for (size_t i = 0; i < lines.size(); ++i) {
    DrawText(out, 4, 5 + static_cast<int>(i) * kLineHeight * scale, lines[i], colors::kBlack,
             scale);
  }
  Blit(out, image, 0, strip);
  return out;
}

void Blit(Image& dst, const Image& src, int x, int y) {
  for (int sy = 0; sy < src.height; ++sy) {
    const int dy = y + sy;
    if (dy < 0 || dy >= dst.height) continue;
    for (int sx = 0; sx < src.width; ++sx) {
      const int dx = x + sx;
      if (dx < 0 || dx >= dst.width) continue;
      const uint8_t* s =
          src.pixels.data() + (static_cast<size_t>(sy) * src.width + sx) * src.channels;
      Rgb c = src.channels == 1 ? Rgb{s[0], s[0], s[0]} : Rgb{s[0], s[1], s[2]};
      SetPixel(dst, dx, dy, c);
    }
  }
}

}  // namespace tessera
