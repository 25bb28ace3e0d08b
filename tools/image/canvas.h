#ifndef TESSERA_TOOLS_IMAGE_CANVAS_H_
#define TESSERA_TOOLS_IMAGE_CANVAS_H_

// Drawing on an Image (tools/image/png.h): rectangles, lines, text in a
// built-in 5x7 bitmap font, line plots (learning curves) and grids of
// tiles (filters, activation maps, dataset images).
//
// Coordinates are pixels, x to the right and y down from the top-left
// corner. Everything is clipped to the image, so drawing partly or wholly
// outside it is harmless. On a grey (1-channel) image a colour is drawn as
// its luminance.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/image/png.h"

namespace tessera {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
};

namespace colors {
inline constexpr Rgb kWhite{255, 255, 255};
inline constexpr Rgb kBlack{0, 0, 0};
inline constexpr Rgb kGrey{128, 128, 128};
inline constexpr Rgb kLightGrey{225, 225, 225};
// Matplotlib's first four "tab10" colours: distinct and colour-blind safe.
inline constexpr Rgb kBlue{31, 119, 180};
inline constexpr Rgb kOrange{255, 127, 14};
inline constexpr Rgb kGreen{44, 160, 44};
inline constexpr Rgb kRed{214, 39, 40};
}  // namespace colors

// One pixel; nothing happens outside the image.
void SetPixel(Image& image, int x, int y, Rgb color);
// The w x h rectangle whose top-left pixel is (x, y).
void FillRect(Image& image, int x, int y, int w, int h, Rgb color);
// The 1-pixel outline of that rectangle.
void DrawRect(Image& image, int x, int y, int w, int h, Rgb color);
// A line from (x0, y0) to (x1, y1), both ends included (Bresenham).
// Thickness 2 adds the pixels below (mostly horizontal lines) or to the
// right (mostly vertical ones); other values are clamped to 1..2.
void DrawLine(Image& image, int x0, int y0, int x1, int y1, Rgb color, int thickness = 1);

// The bitmap font: 5x7 glyphs (g, j, p, q and y descend into an eighth
// row) for ' ' to '~' (digits, both cases, punctuation), advancing 6 pixels
// per character and 10 per line. A character without a glyph is drawn as a
// hollow box.
inline constexpr int kGlyphWidth = 5;
inline constexpr int kGlyphHeight = 8;
inline constexpr int kCharAdvance = 6;
inline constexpr int kLineHeight = 10;
bool HasGlyph(char c);
// Pixels of the rendered text at `scale` (each font pixel a scale x scale
// block); a single line, without the trailing spacing column.
int TextWidth(std::string_view text, int scale = 1);
int TextHeight(int scale = 1);
// Draws `text` with its top-left corner at (x, y).
void DrawText(Image& image, int x, int y, std::string_view text, Rgb color, int scale = 1);
// Draws `text` rotated 90 degrees counter-clockwise (reading bottom to top,
// as a y-axis label), its bounding box's top-left corner at (x, y); the box
// is TextHeight() wide and TextWidth() high.
void DrawTextVertical(Image& image, int x, int y, std::string_view text, Rgb color, int scale = 1);

// Line plots.
struct PlotSeries {
  std::string name;  // shown in the legend
  Rgb color = colors::kBlue;
  std::vector<std::pair<double, double>> points;  // (x, y); drawn in order
};

struct PlotOptions {
  int width = 640;
  int height = 420;
  // Square markers on the points when a series has at most this many.
  int max_points_for_markers = 60;
};

// Draws the series as lines over axes with "nice" tick values (1, 2 or 5
// times a power of ten), light grid lines, tick labels, the title, the axis
// labels and a legend in the corner of the plot that the data leaves
// emptiest. Non-finite points are skipped and break the line. Errors when
// there is no finite point at all or the size is too small for the axes.
absl::StatusOr<Image> RenderLinePlot(const std::string& title, const std::string& x_label,
                                     const std::string& y_label,
                                     const std::vector<PlotSeries>& series,
                                     const PlotOptions& options = {});
// RenderLinePlot, written as an RGB PNG.
absl::Status WriteLinePlot(const std::string& path, const std::string& title,
                           const std::string& x_label, const std::string& y_label,
                           const std::vector<PlotSeries>& series, const PlotOptions& options = {});

// Tick values that cover [lo, hi] with about `target` steps of 1, 2 or 5
// times a power of ten; the first tick is <= lo and the last >= hi.
std::vector<double> NiceTicks(double lo, double hi, int target = 5);
// A tick label: the shortest %g-like form that tells ticks `step` apart
// ("0.25", "1e+06", "-3").
std::string FormatTick(double value, double step);

// Tiles. Grid images of tiles in `columns` columns (<= 0: about square),
// each tile drawn `scale` times larger (at least 1), separated by 2-pixel
// white lines (also around the outside). Values map to 0..255: with
// `normalize_each` every tile's own min..max is stretched over 0..255 (a
// constant tile is drawn as its value clamped to [0, 1]); otherwise values
// are clamped to [0, 1]. Non-finite values, and values missing from a tile
// shorter than its size, are drawn as the tile's darkest value.
inline constexpr int kTileSeparator = 2;
// Grey tiles of tile_h x tile_w values, row-major; a 1-channel image.
Image TileGrey(const std::vector<std::vector<float>>& tiles, int tile_h, int tile_w, int columns,
               int scale, bool normalize_each);
// Colour tiles of 3 x tile_h x tile_w values (planar RGB, CHW as in a
// tensor); normalization is over all three channels of a tile together, so
// colours keep their balance. A 3-channel image.
Image TileRgb(const std::vector<std::vector<float>>& tiles, int tile_h, int tile_w, int columns,
              int scale, bool normalize_each);
// Columns for `n` tiles when none are given: ceil(sqrt(n)).
int DefaultColumns(int n);

// Adds a strip under every row of tiles of a grid made by TileGrey or
// TileRgb (same tile_h, tile_w and scale; the number of columns is read
// from the grid's width, so `columns` may be the one passed to TileGrey,
// even 0), holding labels[t] centred under tile t (cut to the tile's
// width). The result has the grid's channels.
Image LabelTiles(const Image& grid, int tile_h, int tile_w, int columns, int scale,
                 const std::vector<std::string>& labels);
// `image` below a white strip holding `lines` of text (scale 1 unless
// given), widened with white on the right when a line is wider; RGB.
Image AddCaption(const Image& image, const std::vector<std::string>& lines, int scale = 1);

// Copies `src` into `dst` with its top-left corner at (x, y), converting
// grey to RGB or RGB to grey (luminance) as needed; clipped.
void Blit(Image& dst, const Image& src, int x, int y);

}  // namespace tessera

#endif  // TESSERA_TOOLS_IMAGE_CANVAS_H_
