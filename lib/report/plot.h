// Line plots drawn by the toolkit itself with libvips (axes, ticks, grid, lines with
// markers, legend, title and axis labels), so a report folder holds PNGs a person can open
// without any plotting package. Text goes through libvips' text operation (Pango); where
// that cannot render (no Pango or no fonts), a built-in 5×8 bitmap font takes over.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/rgb8.h"

namespace idef {

struct PlotSeries {
  std::string label;
  std::vector<double> x, y;  // same length; NaN y values leave a gap
};

struct LinePlot {
  std::string title, x_label, y_label;
  std::vector<PlotSeries> series;
  std::optional<std::pair<double, double>> y_range;  // fixed range; default: the data's, rounded to ticks
  int width = 720, height = 440;
};

// Renders the plot; throws idef::Error for a plot without any finite point.
Rgb8 render_line_plot(const LinePlot& plot);

// A text mask (one byte per pixel, 0 background, 255 ink) of about `pixel_height` pixels,
// through libvips' text operation unless `builtin_font` (or that operation fails).
struct TextMask {
  int width = 0, height = 0;
  std::vector<unsigned char> ink;
};
TextMask render_text(const std::string& text, int pixel_height, bool builtin_font = false);
// Paints a text mask onto a picture in `rgb` colour, blended by the mask, clipped to the picture.
void draw_text(Rgb8& picture, const TextMask& text, int x, int y, const unsigned char (&rgb)[3]);
// Whether libvips' text operation renders here (checked once).
bool vips_text_available();

// Tick positions at 1, 2 or 5 × 10^k covering [lo, hi], about `target` of them.
std::vector<double> nice_ticks(double lo, double hi, int target = 5);

}  // namespace idef
