#include "report/plot.h"

#include <vips/vips8>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <tuple>

#include "core/error.h"
#include "io/image.h"

namespace idef {

using vips::VImage;

namespace {

// The classic 5×8 LCD font for ASCII 32–126: five columns per glyph, bit r = row r.
const unsigned char kFont[95][5] = {
    {0x00, 0x00, 0x00, 0x00, 0x00}, {0x00, 0x00, 0x5F, 0x00, 0x00}, {0x00, 0x07, 0x00, 0x07, 0x00},
    {0x14, 0x7F, 0x14, 0x7F, 0x14}, {0x24, 0x2A, 0x7F, 0x2A, 0x12}, {0x23, 0x13, 0x08, 0x64, 0x62},
    {0x36, 0x49, 0x56, 0x20, 0x50}, {0x00, 0x08, 0x07, 0x03, 0x00}, {0x00, 0x1C, 0x22, 0x41, 0x00},
    {0x00, 0x41, 0x22, 0x1C, 0x00}, {0x2A, 0x1C, 0x7F, 0x1C, 0x2A}, {0x08, 0x08, 0x3E, 0x08, 0x08},
    {0x00, 0x80, 0x70, 0x30, 0x00}, {0x08, 0x08, 0x08, 0x08, 0x08}, {0x00, 0x00, 0x60, 0x60, 0x00},
    {0x20, 0x10, 0x08, 0x04, 0x02}, {0x3E, 0x51, 0x49, 0x45, 0x3E}, {0x00, 0x42, 0x7F, 0x40, 0x00},
    {0x72, 0x49, 0x49, 0x49, 0x46}, {0x21, 0x41, 0x49, 0x4D, 0x33}, {0x18, 0x14, 0x12, 0x7F, 0x10},
    {0x27, 0x45, 0x45, 0x45, 0x39}, {0x3C, 0x4A, 0x49, 0x49, 0x31}, {0x41, 0x21, 0x11, 0x09, 0x07},
    {0x36, 0x49, 0x49, 0x49, 0x36}, {0x46, 0x49, 0x49, 0x29, 0x1E}, {0x00, 0x00, 0x14, 0x00, 0x00},
    {0x00, 0x40, 0x34, 0x00, 0x00}, {0x00, 0x08, 0x14, 0x22, 0x41}, {0x14, 0x14, 0x14, 0x14, 0x14},
    {0x00, 0x41, 0x22, 0x14, 0x08}, {0x02, 0x01, 0x59, 0x09, 0x06}, {0x3E, 0x41, 0x5D, 0x59, 0x4E},
    {0x7C, 0x12, 0x11, 0x12, 0x7C}, {0x7F, 0x49, 0x49, 0x49, 0x36}, {0x3E, 0x41, 0x41, 0x41, 0x22},
    {0x7F, 0x41, 0x41, 0x41, 0x3E}, {0x7F, 0x49, 0x49, 0x49, 0x41}, {0x7F, 0x09, 0x09, 0x09, 0x01},
    {0x3E, 0x41, 0x41, 0x51, 0x73}, {0x7F, 0x08, 0x08, 0x08, 0x7F}, {0x00, 0x41, 0x7F, 0x41, 0x00},
    {0x20, 0x40, 0x41, 0x3F, 0x01}, {0x7F, 0x08, 0x14, 0x22, 0x41}, {0x7F, 0x40, 0x40, 0x40, 0x40},
    {0x7F, 0x02, 0x1C, 0x02, 0x7F}, {0x7F, 0x04, 0x08, 0x10, 0x7F}, {0x3E, 0x41, 0x41, 0x41, 0x3E},
    {0x7F, 0x09, 0x09, 0x09, 0x06}, {0x3E, 0x41, 0x51, 0x21, 0x5E}, {0x7F, 0x09, 0x19, 0x29, 0x46},
    {0x26, 0x49, 0x49, 0x49, 0x32}, {0x03, 0x01, 0x7F, 0x01, 0x03}, {0x3F, 0x40, 0x40, 0x40, 0x3F},
    {0x1F, 0x20, 0x40, 0x20, 0x1F}, {0x3F, 0x40, 0x38, 0x40, 0x3F}, {0x63, 0x14, 0x08, 0x14, 0x63},
    {0x03, 0x04, 0x78, 0x04, 0x03}, {0x61, 0x59, 0x49, 0x4D, 0x43}, {0x00, 0x7F, 0x41, 0x41, 0x41},
    {0x02, 0x04, 0x08, 0x10, 0x20}, {0x00, 0x41, 0x41, 0x41, 0x7F}, {0x04, 0x02, 0x01, 0x02, 0x04},
    {0x40, 0x40, 0x40, 0x40, 0x40}, {0x00, 0x03, 0x07, 0x08, 0x00}, {0x20, 0x54, 0x54, 0x78, 0x40},
    {0x7F, 0x28, 0x44, 0x44, 0x38}, {0x38, 0x44, 0x44, 0x44, 0x28}, {0x38, 0x44, 0x44, 0x28, 0x7F},
    {0x38, 0x54, 0x54, 0x54, 0x18}, {0x00, 0x08, 0x7E, 0x09, 0x02}, {0x18, 0xA4, 0xA4, 0x9C, 0x78},
    {0x7F, 0x08, 0x04, 0x04, 0x78}, {0x00, 0x44, 0x7D, 0x40, 0x00}, {0x20, 0x40, 0x40, 0x3D, 0x00},
    {0x7F, 0x10, 0x28, 0x44, 0x00}, {0x00, 0x41, 0x7F, 0x40, 0x00}, {0x7C, 0x04, 0x78, 0x04, 0x78},
    {0x7C, 0x08, 0x04, 0x04, 0x78}, {0x38, 0x44, 0x44, 0x44, 0x38}, {0xFC, 0x18, 0x24, 0x24, 0x18},
    {0x18, 0x24, 0x24, 0x18, 0xFC}, {0x7C, 0x08, 0x04, 0x04, 0x08}, {0x48, 0x54, 0x54, 0x54, 0x24},
    {0x04, 0x04, 0x3F, 0x44, 0x24}, {0x3C, 0x40, 0x40, 0x20, 0x7C}, {0x1C, 0x20, 0x40, 0x20, 0x1C},
    {0x3C, 0x40, 0x30, 0x40, 0x3C}, {0x44, 0x28, 0x10, 0x28, 0x44}, {0x4C, 0x90, 0x90, 0x90, 0x7C},
    {0x44, 0x64, 0x54, 0x4C, 0x44}, {0x00, 0x08, 0x36, 0x41, 0x00}, {0x00, 0x00, 0x77, 0x00, 0x00},
    {0x00, 0x41, 0x36, 0x08, 0x00}, {0x02, 0x01, 0x02, 0x04, 0x02}};

TextMask builtin_text(const std::string& text, int pixel_height) {
  const int scale = std::max(1, (pixel_height + 3) / 8);
  std::vector<int> glyphs;
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      glyphs.push_back(c >= 32 && c < 127 ? c : '?');
      ++i;
    } else {  // one '?' per UTF-8 sequence: the font is ASCII only
      glyphs.push_back('?');
      i += c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    }
  }
  TextMask m;
  m.width = static_cast<int>(glyphs.size()) * 6 * scale;
  m.height = 8 * scale;
  m.ink.assign(std::size_t(m.width) * m.height, 0);
  for (std::size_t k = 0; k < glyphs.size(); ++k)
    for (int col = 0; col < 5; ++col)
      for (int row = 0; row < 8; ++row)
        if (kFont[glyphs[k] - 32][col] >> row & 1)
          for (int dy = 0; dy < scale; ++dy)
            for (int dx = 0; dx < scale; ++dx)
              m.ink[std::size_t(row * scale + dy) * m.width + (int(k) * 6 + col) * scale + dx] = 255;
  return m;
}

// Pango reads markup: the three characters it would take for tags and entities.
std::string markup_escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '&') out += "&amp;";
    else if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else out += c;
  }
  return out;
}

TextMask mask_of(const VImage& image) {
  VImage u = image.cast(VIPS_FORMAT_UCHAR);
  std::size_t size = 0;
  void* bytes = u.write_to_memory(&size);
  TextMask m;
  m.width = u.width();
  m.height = u.height();
  m.ink.assign(static_cast<unsigned char*>(bytes), static_cast<unsigned char*>(bytes) + size);
  g_free(bytes);
  return m;
}

TextMask vips_text(const std::string& text, int pixel_height) {
  // At 72 dpi a point is a pixel; Pango's ink box of digits and capitals is ~0.75 of the size.
  VImage t = VImage::text(markup_escaped(text).c_str(),
                          VImage::option()
                              ->set("font", ("DejaVu Sans " + std::to_string(pixel_height * 4 / 3)).c_str())
                              ->set("dpi", 72));
  return mask_of(t);
}

VImage vimage_of(const TextMask& m) {
  return VImage::new_from_memory(const_cast<unsigned char*>(m.ink.data()), m.ink.size(), m.width, m.height, 1,
                                 VIPS_FORMAT_UCHAR)
      .copy_memory();
}

using Colour = std::vector<double>;
const Colour kBlack{0, 0, 0}, kGrid{225, 225, 225}, kAxis{60, 60, 60};
const Colour kPalette[] = {{31, 119, 180}, {214, 39, 40},  {44, 160, 44},   {255, 127, 14},
                           {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127}};

class Canvas {
 public:
  Canvas(int w, int h) {
    ensure_vips();
    image_ = (VImage::black(w, h, VImage::option()->set("bands", 3)) + 255).cast(VIPS_FORMAT_UCHAR).copy_memory();
  }
  void line(const Colour& c, int x1, int y1, int x2, int y2, int thickness = 1) {
    for (int t = 0; t < thickness; ++t) {
      const int o = t - thickness / 2;
      // Offset across the line's main direction so steep and flat lines both thicken.
      if (std::abs(x2 - x1) >= std::abs(y2 - y1)) image_.draw_line(c, x1, y1 + o, x2, y2 + o);
      else image_.draw_line(c, x1 + o, y1, x2 + o, y2);
    }
  }
  void rect(const Colour& c, int x, int y, int w, int h, bool fill) {
    image_.draw_rect(c, x, y, w, h, VImage::option()->set("fill", fill));
  }
  // Text with its ink box's top-left at (x, y); `rotate` turns it a quarter left (y labels).
  void text(const Colour& c, const TextMask& m, int x, int y, bool rotate = false) {
    if (m.width == 0 || m.height == 0) return;
    VImage mask = vimage_of(m);
    if (rotate) mask = mask.rot270();
    image_.draw_mask(c, mask, x, y);
  }
  Rgb8 rgb() const {
    std::size_t size = 0;
    void* bytes = image_.write_to_memory(&size);
    Rgb8 out(image_.width(), image_.height());
    std::memcpy(out.data(), bytes, std::min(size, out.pixels.size()));
    g_free(bytes);
    return out;
  }

 private:
  VImage image_;
};

std::string tick_label(double v, double step) {
  const int digits = std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*f", digits, std::abs(v) < step * 1e-6 ? 0.0 : v);
  return buf;
}

}  // namespace

bool vips_text_available() {
  static const bool ok = [] {
    try {
      ensure_vips();
      TextMask m = vips_text("0", 12);
      return m.width > 0 && std::any_of(m.ink.begin(), m.ink.end(), [](unsigned char v) { return v > 0; });
    } catch (const std::exception&) {
      vips_error_clear();
      return false;
    }
  }();
  return ok;
}

TextMask render_text(const std::string& text, int pixel_height, bool builtin_font) {
  if (text.empty()) return {};
  if (!builtin_font && vips_text_available()) {
    try {
      return vips_text(text, pixel_height);
    } catch (const vips::VError&) {
      vips_error_clear();
    }
  }
  return builtin_text(text, pixel_height);
}

void draw_text(Rgb8& picture, const TextMask& text, int x, int y, const unsigned char (&rgb)[3]) {
  for (int ty = 0; ty < text.height; ++ty)
    for (int tx = 0; tx < text.width; ++tx) {
      const int px = x + tx, py = y + ty;
      const unsigned a = text.ink[std::size_t(ty) * text.width + tx];
      if (a == 0 || px < 0 || py < 0 || px >= picture.width || py >= picture.height) continue;
      for (int c = 0; c < 3; ++c)
        picture.at(px, py, c) = static_cast<std::uint8_t>((picture.at(px, py, c) * (255 - a) + rgb[c] * a + 127) / 255);
    }
}

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) {
    const double pad = lo == 0 ? 1 : std::abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  const double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * magnitude;
  const long first = static_cast<long>(std::floor(lo / step + 1e-9));
  const long last = static_cast<long>(std::ceil(hi / step - 1e-9));
  std::vector<double> ticks;
  for (long k = first; k <= last; ++k) ticks.push_back(k * step);
  return ticks;
}

Rgb8 render_line_plot(const LinePlot& plot) {
  double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
  for (const auto& s : plot.series)
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i)
      if (std::isfinite(s.x[i]) && std::isfinite(s.y[i])) {
        xmin = std::min(xmin, s.x[i]);
        xmax = std::max(xmax, s.x[i]);
        ymin = std::min(ymin, s.y[i]);
        ymax = std::max(ymax, s.y[i]);
      }
  if (!std::isfinite(xmin)) throw Error("plot '" + plot.title + "': no finite point to draw");
  if (plot.y_range) std::tie(ymin, ymax) = *plot.y_range;
  const std::vector<double> xt = nice_ticks(xmin, xmax), yt = nice_ticks(ymin, ymax);
  if (!plot.y_range) {  // the axis ends on ticks
    ymin = yt.front();
    ymax = yt.back();
  }
  // Keep markers at the data's ends inside the frame.
  double xpad = (xmax - xmin) * 0.04;
  if (xpad == 0) xpad = std::max(std::abs(xmin) * 0.1, 1e-3);
  const double x_lo = xmin - xpad, x_hi = xmax + xpad;
  const double x_step = xt.size() > 1 ? xt[1] - xt[0] : 1, y_step = yt.size() > 1 ? yt[1] - yt[0] : 1;

  const int tick_px = 13, label_px = 15, title_px = 18, legend_px = 14;
  std::vector<TextMask> ylabels;
  int ylabel_w = 0;
  for (double v : yt)
    if (v >= ymin - y_step * 1e-6 && v <= ymax + y_step * 1e-6) {
      ylabels.push_back(render_text(tick_label(v, y_step), tick_px));
      ylabel_w = std::max(ylabel_w, ylabels.back().width);
    }
  std::vector<TextMask> legend;
  int legend_w = 0;
  for (const auto& s : plot.series) {
    legend.push_back(render_text(s.label, legend_px));
    legend_w = std::max(legend_w, legend.back().width);
  }
  const TextMask title = render_text(plot.title, title_px), xlabel = render_text(plot.x_label, label_px),
                 ylabel = render_text(plot.y_label, label_px);

  const int left = 16 + ylabel.height + 10 + ylabel_w + 8;
  const int right = plot.width - (legend_w + 64);
  const int top = 14 + title.height + 14;
  const int bottom = plot.height - (14 + xlabel.height + 10 + tick_px + 10);
  if (right - left < 80 || bottom - top < 60) throw Error("plot '" + plot.title + "': too small to draw");
  auto px = [&](double x) { return left + static_cast<int>(std::lround((x - x_lo) / (x_hi - x_lo) * (right - left))); };
  auto py = [&](double y) { return bottom - static_cast<int>(std::lround((y - ymin) / (ymax - ymin) * (bottom - top))); };

  Canvas c(plot.width, plot.height);
  // Grid and ticks.
  std::size_t yi = 0;
  for (double v : yt) {
    if (v < ymin - y_step * 1e-6 || v > ymax + y_step * 1e-6) continue;
    const int y = py(v);
    c.line(kGrid, left + 1, y, right, y);
    c.line(kAxis, left - 5, y, left, y);
    const TextMask& m = ylabels[yi++];
    c.text(kBlack, m, left - 8 - m.width, y - m.height / 2);
  }
  for (double v : xt) {
    if (v < x_lo || v > x_hi) continue;
    const int x = px(v);
    c.line(kGrid, x, top, x, bottom - 1);
    c.line(kAxis, x, bottom, x, bottom + 5);
    TextMask m = render_text(tick_label(v, x_step), tick_px);
    c.text(kBlack, m, x - m.width / 2, bottom + 9);
  }
  c.rect(kAxis, left, top, right - left + 1, bottom - top + 1, false);
  // Series: lines between consecutive finite points, a square marker on each.
  for (std::size_t k = 0; k < plot.series.size(); ++k) {
    const auto& s = plot.series[k];
    const Colour& colour = kPalette[k % (sizeof kPalette / sizeof kPalette[0])];
    bool have_prev = false;
    int prev_x = 0, prev_y = 0;
    for (std::size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        have_prev = false;
        continue;
      }
      const int x = px(s.x[i]), y = py(std::clamp(s.y[i], ymin, ymax));
      if (have_prev) c.line(colour, prev_x, prev_y, x, y, 2);
      c.rect(colour, x - 3, y - 3, 7, 7, true);
      have_prev = true;
      prev_x = x;
      prev_y = y;
    }
    // Legend entry: a line sample with its marker, then the label.
    const int ly = top + 8 + static_cast<int>(k) * (legend_px + 12) + legend_px / 2;
    c.line(colour, right + 14, ly, right + 38, ly, 2);
    c.rect(colour, right + 23, ly - 3, 7, 7, true);
    c.text(kBlack, legend[k], right + 46, ly - legend[k].height / 2);
  }
  c.text(kBlack, title, (plot.width - title.width) / 2, 14);
  c.text(kBlack, xlabel, (left + right - xlabel.width) / 2, plot.height - 14 - xlabel.height);
  c.text(kBlack, ylabel, 16, (top + bottom - ylabel.width) / 2, true);
  return c.rgb();
}

}  // namespace idef
