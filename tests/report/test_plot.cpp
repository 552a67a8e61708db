// Plots drawn by the toolkit: tick choice, text through libvips and the built-in font,
// and a rendered plot that holds the series' colours, axes and text.
#include "report/plot.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <set>

#include "core/error.h"

namespace idef {
namespace {

int ink_count(const TextMask& m) {
  return static_cast<int>(std::count_if(m.ink.begin(), m.ink.end(), [](unsigned char v) { return v > 0; }));
}

TEST(Plot, NiceTicksCoverTheRangeInRoundSteps) {
  auto t = nice_ticks(0.01, 0.05);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_NEAR(t.front(), 0.01, 1e-12);
  EXPECT_NEAR(t.back(), 0.05, 1e-12);
  auto p = nice_ticks(0, 100);
  EXPECT_EQ(p, (std::vector<double>{0, 20, 40, 60, 80, 100}));
  auto odd = nice_ticks(27.3, 41.8);  // 14.5 / 5 = 2.9 → step 2: 26 … 42
  EXPECT_NEAR(odd.front(), 26, 1e-9);
  EXPECT_NEAR(odd.back(), 42, 1e-9);
  EXPECT_EQ(odd.size(), 9u);
  EXPECT_GE(nice_ticks(3, 3).size(), 2u);  // a flat range still gets an axis
}

TEST(Plot, BuiltinFontDrawsEveryPrintableCharacter) {
  TextMask m = render_text("DSR (%) 0.05", 16, true);
  EXPECT_EQ(m.height, 16);  // 8 rows at scale 2
  EXPECT_EQ(m.width, 12 * 6 * 2);
  EXPECT_GT(ink_count(m), 100);
  // Different text, different pixels; a space has no ink.
  EXPECT_NE(render_text("ab", 8, true).ink, render_text("ba", 8, true).ink);
  EXPECT_EQ(ink_count(render_text(" ", 8, true)), 0);
  // Non-ASCII is one '?' per character.
  EXPECT_EQ(render_text("ε", 8, true).ink, render_text("?", 8, true).ink);
}

TEST(Plot, LibvipsTextRendersWhenAvailable) {
  if (!vips_text_available()) GTEST_SKIP() << "libvips cannot render text here (the built-in font is used)";
  TextMask m = render_text("PSNR (dB)", 15);
  EXPECT_GT(m.width, 40);
  EXPECT_GT(ink_count(m), 50);
}

TEST(Plot, RendersAxesLinesAndLegendInTheSeriesColours) {
  LinePlot plot;
  plot.title = "DSR against ε";
  plot.x_label = "ε";
  plot.y_label = "DSR (%)";
  plot.y_range = std::make_pair(0.0, 100.0);
  plot.series = {{"pg", {0.01, 0.03, 0.05}, {10, 50, 90}}, {"noise", {0.01, 0.03, 0.05}, {0, 1, 2}}};
  plot.width = 500;
  plot.height = 300;
  Rgb8 im = render_line_plot(plot);
  ASSERT_EQ(im.width, 500);
  ASSERT_EQ(im.height, 300);
  std::set<std::array<int, 3>> colours;
  int white = 0, dark = 0;
  for (int y = 0; y < im.height; ++y)
    for (int x = 0; x < im.width; ++x) {
      std::array<int, 3> c{im.at(x, y, 0), im.at(x, y, 1), im.at(x, y, 2)};
      colours.insert(c);
      white += c[0] == 255 && c[1] == 255 && c[2] == 255;
      dark += c[0] < 100 && c[1] < 100 && c[2] < 100;
    }
  EXPECT_TRUE(colours.count({31, 119, 180})) << "first series colour";
  EXPECT_TRUE(colours.count({214, 39, 40})) << "second series colour";
  EXPECT_GT(white, im.width * im.height / 2);  // mostly background
  EXPECT_GT(dark, 500);                        // axes and text
  // Nothing finite to draw is an error, not an empty picture.
  LinePlot empty = plot;
  empty.series = {{"none", {0.01}, {std::nan("")}}};
  EXPECT_THROW(render_line_plot(empty), Error);
}

}  // namespace
}  // namespace idef
