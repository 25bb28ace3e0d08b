#include "tools/image/canvas.h"

#include <cmath>
#include <cstdlib>
#include <string>

#include "gtest/gtest.h"
#include "tools/image/png.h"

namespace tessera {
namespace {

int CountNot(const Image& image, uint8_t background) {
  int n = 0;
  for (int y = 0; y < image.height; ++y) {
    for (int x = 0; x < image.width; ++x) {
      const uint8_t* p =
          image.pixels.data() + (static_cast<size_t>(y) * image.width + x) * image.channels;
      bool differs = false;
      for (int k = 0; k < image.channels; ++k) differs |= p[k] != background;
      n += differs;
    }
  }
  return n;
}

bool IsColor(Image& image, int x, int y, Rgb c) {
  const uint8_t* p = image.at(x, y);
  return p[0] == c.r && p[1] == c.g && p[2] == c.b;
}

// Where the outputs of a test go: $TEST_UNDECLARED_OUTPUTS_DIR when bazel
// sets it (kept in bazel-testlogs/.../test.outputs), else the temp dir.
std::string OutputPath(const std::string& name) {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  return std::string(dir ? dir : ::testing::TempDir().c_str()) + "/" + name;
}

TEST(Canvas, FillRectIsClippedAndExact) {
  Image image(10, 8, 3, 0);
  FillRect(image, 8, 6, 5, 5, colors::kRed);        // partly outside
  FillRect(image, -100, -100, 5, 5, colors::kRed);  // wholly outside
  EXPECT_EQ(CountNot(image, 0), 4);
  EXPECT_TRUE(IsColor(image, 9, 7, colors::kRed));
  EXPECT_TRUE(IsColor(image, 8, 6, colors::kRed));
  EXPECT_FALSE(IsColor(image, 7, 6, colors::kRed));
}

TEST(Canvas, GreyImagesGetLuminance) {
  Image image(3, 3, 1, 0);
  SetPixel(image, 1, 1, colors::kWhite);
  SetPixel(image, 0, 0, Rgb{255, 0, 0});
  EXPECT_EQ(image.at(1, 1)[0], 255);
  EXPECT_EQ(image.at(0, 0)[0], 76);  // 0.299 * 255
}

TEST(Canvas, LinesIncludeBothEndsAndAreConnected) {
  // Horizontal, vertical, diagonal and steep lines have max(|dx|,|dy|)+1 pixels.
  struct Case {
    int x0, y0, x1, y1;
  };
  for (const Case& c :
       {Case{1, 1, 18, 1}, Case{3, 17, 3, 2}, Case{0, 0, 19, 19}, Case{15, 2, 4, 18}}) {
    Image image(20, 20, 1, 0);
    DrawLine(image, c.x0, c.y0, c.x1, c.y1, colors::kWhite);
    EXPECT_EQ(image.at(c.x0, c.y0)[0], 255);
    EXPECT_EQ(image.at(c.x1, c.y1)[0], 255);
    EXPECT_EQ(CountNot(image, 0), std::max(std::abs(c.x1 - c.x0), std::abs(c.y1 - c.y0)) + 1);
    Image thick(20, 20, 1, 0);
    DrawLine(thick, c.x0, c.y0, c.x1, c.y1, colors::kWhite, 2);
    EXPECT_GT(CountNot(thick, 0), CountNot(image, 0));
  }
}

TEST(Canvas, LinesFarOutsideAreClippedNotWalked) {
  Image image(50, 40, 1, 0);
  // Crosses the image; ends a billion pixels away.
  DrawLine(image, -1000000000, 20, 1000000000, 20, colors::kWhite);
  EXPECT_EQ(CountNot(image, 0), 50);
  Image none(50, 40, 1, 0);
  DrawLine(none, -1000000000, -5, 1000000000, -5, colors::kWhite);
  EXPECT_EQ(CountNot(none, 0), 0);
}

TEST(Font, HasTheAdvertisedCharacters) {
  for (char c :
       std::string("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:/% ")) {
    EXPECT_TRUE(HasGlyph(c)) << c;
  }
  EXPECT_FALSE(HasGlyph('\t'));
  EXPECT_FALSE(HasGlyph('\xe9'));
}

TEST(Font, TextRendersInsideItsBox) {
  const std::string text = "Loss 0.25 -1: a/b 99%";
  for (int scale : {1, 3}) {
    Image image(TextWidth(text, scale) + 4, TextHeight(scale) + 4, 1, 0);
    DrawText(image, 2, 2, text, colors::kWhite, scale);
    const int lit = CountNot(image, 0);
    EXPECT_GT(lit, 40 * scale * scale);
    // Nothing on the 2-pixel border.
    for (int x = 0; x < image.width; ++x) {
      EXPECT_EQ(image.at(x, 0)[0], 0);
      EXPECT_EQ(image.at(x, image.height - 1)[0], 0);
    }
    for (int y = 0; y < image.height; ++y) {
      EXPECT_EQ(image.at(0, y)[0], 0);
      EXPECT_EQ(image.at(image.width - 1, y)[0], 0);
    }
    // Vertical text lights the same number of pixels.
    Image vertical(TextHeight(scale) + 4, TextWidth(text, scale) + 4, 1, 0);
    DrawTextVertical(vertical, 2, 2, text, colors::kWhite, scale);
    EXPECT_EQ(CountNot(vertical, 0), lit);
  }
  EXPECT_EQ(TextWidth("", 2), 0);
  EXPECT_EQ(TextWidth("ab", 1), 11);
}

TEST(Font, GlyphsDiffer) {
  // Every pair of digits and letters renders differently.
  const std::string chars = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:/%";
  std::vector<std::vector<uint8_t>> bitmaps;
  for (char c : chars) {
    Image image(kGlyphWidth, kGlyphHeight, 1, 0);
    DrawText(image, 0, 0, std::string(1, c), colors::kWhite);
    EXPECT_GT(CountNot(image, 0), 0) << c;
    bitmaps.push_back(image.pixels);
  }
  for (size_t i = 0; i < chars.size(); ++i) {
    for (size_t j = i + 1; j < chars.size(); ++j)
      EXPECT_NE(bitmaps[i], bitmaps[j]) << chars[i] << chars[j];
  }
  // An unknown character is a box, not nothing.
  Image image(kGlyphWidth, kGlyphHeight, 1, 0);
  DrawText(image, 0, 0, "\x01", colors::kWhite);
  EXPECT_EQ(CountNot(image, 0), 20);
}

TEST(Font, WritesASpecimen) {
  const std::string lines[] = {"0123456789 .-:/% ()+=,_'", "abcdefghijklmnopqrstuvwxyz jumpy quiz",
                               "ABCDEFGHIJKLMNOPQRSTUVWXYZ"};
  Image image(TextWidth(lines[1], 3) + 16, 3 * (kLineHeight * 3 + 6) + 10, 3, 255);
  for (int i = 0; i < 3; ++i)
    DrawText(image, 8, 8 + i * (kLineHeight * 3 + 6), lines[i], colors::kBlack, 3);
  ASSERT_TRUE(WritePng(OutputPath("font.png"), image).ok());
}

TEST(Ticks, AreNiceAndCover) {
  std::vector<double> t = NiceTicks(0.13, 2.37, 5);
  ASSERT_GE(t.size(), 3u);
  EXPECT_LE(t.front(), 0.13);
  EXPECT_GE(t.back(), 2.37);
  EXPECT_DOUBLE_EQ(t[1] - t[0], 0.5);
  t = NiceTicks(1, 10, 5);
  EXPECT_EQ(t.front(), 0);
  EXPECT_EQ(t.back(), 10);
  t = NiceTicks(3, 3, 5);  // a single value still gets an axis
  EXPECT_LT(t.front(), 3);
  EXPECT_GT(t.back(), 3);
  EXPECT_EQ(FormatTick(0.25, 0.05), "0.25");
  EXPECT_EQ(FormatTick(2, 0.5), "2");
  EXPECT_EQ(FormatTick(2.5, 0.5), "2.5");
  EXPECT_EQ(FormatTick(-1e-17, 0.1), "0");
  EXPECT_EQ(FormatTick(2000000, 1000000), "2e+06");
}

std::vector<PlotSeries> LearningCurves() {
  // An overfitting picture: train loss keeps falling, test loss turns up.
  PlotSeries train{"train loss", colors::kBlue, {}};
  PlotSeries test{"test loss", colors::kOrange, {}};
  for (int epoch = 1; epoch <= 30; ++epoch) {
    train.points.push_back({epoch, 2.0 * std::exp(-epoch / 6.0) + 0.02});
    test.points.push_back({epoch, 2.0 * std::exp(-epoch / 6.0) + 0.25 + 0.012 * epoch});
  }
  return {train, test};
}

TEST(Plot, WritesAPngThatReadsBack) {
  const std::string path = OutputPath("learning_curves.png");
  ASSERT_TRUE(WriteLinePlot(path, "Overfitting: loss per epoch", "epoch", "cross-entropy loss",
                            LearningCurves())
                  .ok());
  Image back;
  ASSERT_TRUE(ReadPng(path, &back).ok());
  EXPECT_EQ(back.width, 640);
  EXPECT_EQ(back.height, 420);
  EXPECT_EQ(back.channels, 3);
  const int non_white = CountNot(back, 255);
  EXPECT_GT(non_white, 3000);
  EXPECT_LT(non_white, 640 * 420 / 2);
  // Both series' colours appear.
  int blue = 0, orange = 0;
  for (int y = 0; y < back.height; ++y) {
    for (int x = 0; x < back.width; ++x) {
      blue += IsColor(back, x, y, colors::kBlue);
      orange += IsColor(back, x, y, colors::kOrange);
    }
  }
  EXPECT_GT(blue, 200);
  EXPECT_GT(orange, 200);
}

TEST(Plot, HandlesDegenerateData) {
  // One point, a constant series, a NaN in the middle, a huge range.
  PlotSeries s{"s", colors::kGreen, {{1, 0.5}}};
  EXPECT_TRUE(RenderLinePlot("one point", "x", "y", {s}).ok());
  s.points = {{0, 1}, {1, 1}, {2, NAN}, {3, 1}};
  EXPECT_TRUE(RenderLinePlot("constant", "x", "y", {s}).ok());
  s.points = {{0, -1e9}, {1, 1e9}};
  EXPECT_TRUE(RenderLinePlot("", "", "", {s}, PlotOptions{200, 150}).ok());
  // Errors: nothing finite, too small.
  s.points = {{NAN, 1}, {2, INFINITY}};
  absl::StatusOr<Image> bad = RenderLinePlot("nan", "x", "y", {s});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no finite points"), std::string::npos);
  EXPECT_FALSE(RenderLinePlot("t", "x", "y", {}).ok());
  EXPECT_FALSE(RenderLinePlot("t", "x", "y", LearningCurves(), PlotOptions{40, 30}).ok());
  EXPECT_FALSE(WriteLinePlot("/nonexistent/dir/p.png", "t", "x", "y", LearningCurves()).ok());
}

TEST(Tiles, GreyLayoutNormalizationAndSeparators) {
  // Two 2x3 tiles in 2 columns, scale 2.
  std::vector<std::vector<float>> tiles = {{0, 1, 2, 3, 4, 5},
                                           {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 2.0f}};
  Image normalized = TileGrey(tiles, 2, 3, 2, 2, true);
  EXPECT_EQ(normalized.channels, 1);
  EXPECT_EQ(normalized.width, 2 * (3 * 2 + kTileSeparator) + kTileSeparator);
  EXPECT_EQ(normalized.height, 1 * (2 * 2 + kTileSeparator) + kTileSeparator);
  const int s = kTileSeparator;
  EXPECT_EQ(normalized.at(0, 0)[0], 255);          // separator
  EXPECT_EQ(normalized.at(s, s)[0], 0);            // tile 0 min
  EXPECT_EQ(normalized.at(s + 5, s + 3)[0], 255);  // tile 0 max, scaled
  EXPECT_EQ(normalized.at(s + 2, s)[0], 51);       // value 1 of 0..5
  const int t1 = s + 6 + s;
  EXPECT_EQ(normalized.at(t1, s)[0], 0);  // 0.5 is tile 1's min
  Image clamped = TileGrey(tiles, 2, 3, 2, 2, false);
  EXPECT_EQ(clamped.at(s + 2, s)[0], 255);  // 1 -> 255
  EXPECT_EQ(clamped.at(t1, s)[0], 128);     // 0.5 -> 128
  // Auto columns: 5 tiles -> 3 columns, 2 rows.
  Image grid =
      TileGrey(std::vector<std::vector<float>>(5, std::vector<float>(4, 0.0f)), 2, 2, 0, 1, true);
  EXPECT_EQ(grid.width, 3 * (2 + s) + s);
  EXPECT_EQ(grid.height, 2 * (2 + s) + s);
  // A short tile and NaNs do not crash.
  Image odd = TileGrey({{1.0f, NAN}, {}}, 2, 2, 0, 1, true);
  EXPECT_EQ(odd.width, 2 * (2 + s) + s);
}

TEST(Tiles, RgbKeepsColourBalance) {
  // One 1x2 tile: pixel 0 red, pixel 1 blue (planar CHW).
  Image image = TileRgb({{1, 0, 0, 0, 0, 1}}, 1, 2, 1, 1, true);
  EXPECT_EQ(image.channels, 3);
  EXPECT_TRUE(IsColor(image, kTileSeparator, kTileSeparator, Rgb{255, 0, 0}));
  EXPECT_TRUE(IsColor(image, kTileSeparator + 1, kTileSeparator, Rgb{0, 0, 255}));
}

TEST(Tiles, LabelsGoUnderEachRow) {
  // 3 tiles of 2x2 at scale 5 in 2 columns: two rows of tiles.
  std::vector<std::vector<float>> tiles(3, std::vector<float>(4, 0.0f));
  Image grid = TileGrey(tiles, 2, 2, 2, 5, false);
  Image labelled = LabelTiles(grid, 2, 2, 2, 5, {"1", "2", "3"});
  EXPECT_EQ(labelled.width, grid.width);
  EXPECT_EQ(labelled.height, grid.height + 2 * (TextHeight() + 4));
  const int s = kTileSeparator;
  EXPECT_EQ(labelled.at(s, s)[0], 0);  // first tile unchanged
  // The second row of tiles moved down by one label strip.
  EXPECT_EQ(labelled.at(s, s + 10 + s + TextHeight() + 4)[0], 0);
  // Something dark was written in the first strip.
  int dark = 0;
  for (int y = s + 10; y < s + 10 + TextHeight() + 4; ++y) {
    for (int x = 0; x < labelled.width; ++x) dark += labelled.at(x, y)[0] == 0;
  }
  EXPECT_GT(dark, 5);
  Image captioned = AddCaption(labelled, {"a caption wider than the grid"});
  EXPECT_EQ(captioned.channels, 3);
  EXPECT_GT(captioned.width, labelled.width);
  EXPECT_GT(captioned.height, labelled.height);
}

TEST(Blit, ConvertsChannels) {
  Image grey(2, 2, 1, 200);
  Image rgb(4, 4, 3, 0);
  Blit(rgb, grey, 3, 3);  // clipped to one pixel
  EXPECT_TRUE(IsColor(rgb, 3, 3, Rgb{200, 200, 200}));
  EXPECT_EQ(CountNot(rgb, 0), 1);
}

}  // namespace
}  // namespace tessera
