#include "report/attr_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.h"
#include "io/image.h"
#include "io/tensor_image.h"
#include "metrics/image_metrics.h"
#include "report/contact_sheet.h"
#include "report/text_format.h"

namespace idef {

std::string attr_items_csv(const std::vector<AttrPair>& pairs) {
  std::string out = csv_row({"image", "forger", "domain", "l1", "l2", "disrupted", "psnr", "ssim"});
  for (const auto& p : pairs) out += csv_row({p.image, p.forger, p.domain, p.l1, p.l2, p.disrupted, p.psnr, p.ssim});
  return out;
}

std::string attr_summary_csv(const std::vector<AttrSummary>& summaries) {
  std::string out = csv_row({"forger", "images", "pairs", "disrupted", "dsr", "l1", "l2", "psnr", "ssim"});
  for (const auto& s : summaries)
    out += csv_row({s.forger, s.images, s.pairs, s.disrupted, s.dsr, s.l1, s.l2, s.psnr, s.ssim});
  return out;
}

namespace {

Rgb8 resized(const Rgb8& im, int size) {
  return im.width == size && im.height == size ? im : resize_rgb8(im, size, size);
}

Rgb8 enlarged(const Rgb8& im, int k) {
  if (k == 1) return im;
  Rgb8 out(im.width * k, im.height * k);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      for (int c = 0; c < 3; ++c) out.at(x, y, c) = im.at(x / k, y / k, c);
  return out;
}

// x' − x around mid-grey, scaled so the largest |difference| reaches 0 or 255.
Rgb8 amplified_perturbation(const Rgb8& clean, const Rgb8& prot) {
  int peak = 0;
  for (std::size_t i = 0; i < clean.pixels.size(); ++i)
    peak = std::max(peak, std::abs(int(prot.pixels[i]) - int(clean.pixels[i])));
  Rgb8 out(clean.width, clean.height);
  for (std::size_t i = 0; i < clean.pixels.size(); ++i) {
    const int d = int(prot.pixels[i]) - int(clean.pixels[i]);
    out.pixels[i] = static_cast<std::uint8_t>(peak ? std::clamp(128 + d * 127 / peak, 0, 255) : 128);
  }
  return out;
}

const unsigned char kInk[3] = {0, 0, 0};

}  // namespace

Rgb8 attr_contact_sheet(const std::vector<KeptFace>& kept, std::size_t forger_index, const std::string& forger) {
  if (kept.empty()) throw Error("contact sheet of '" + forger + "': no face to show");
  const int size = static_cast<int>(kept.front().forgeries.at(forger_index).clean.size(3));
  const int k = std::max(1, (96 + size - 1) / size);
  std::vector<std::vector<Rgb8>> rows;
  std::vector<std::string> labels;
  for (const auto& face : kept) {
    const Forgeries& f = face.forgeries.at(forger_index);
    const Rgb8 clean = resized(face.clean, size), prot = resized(face.protected_, size);
    const Rgb8 delta = amplified_perturbation(face.clean, face.protected_);
    const auto y = tensor_to_rgb8_batch(f.clean), yp = tensor_to_rgb8_batch(f.protected_);
    for (std::size_t j = 0; j < y.size(); ++j) {
      rows.push_back({enlarged(clean, k), enlarged(prot, k), enlarged(resized(delta, size), k), enlarged(y[j], k),
                      enlarged(yp[j], k), enlarged(lbp_map(y[j]), k), enlarged(lbp_map(yp[j]), k)});
      labels.push_back(face.name + " / " + f.domains[j]);
    }
  }
  const int gap = 4;
  const Rgb8 grid = tile_rows(rows, gap);
  const int cell = size * k;
  // Short heads: a column may be as narrow as 96 px.
  const std::vector<std::string> heads{"clean x", "protected x'", "amplified x'-x", "M(x, c)",
                                       "M(x', c)", "LBP M(x, c)", "LBP M(x', c)"};
  std::vector<TextMask> head_masks, label_masks;
  int head_h = 0, label_w = 0;
  for (const auto& h : heads) {
    head_masks.push_back(render_text(h, 12));
    head_h = std::max(head_h, head_masks.back().height);
  }
  for (const auto& l : labels) {
    label_masks.push_back(render_text(l, 12));
    label_w = std::max(label_w, label_masks.back().width);
  }
  const TextMask title =
      render_text("forger " + forger + ": M(x, c) is its forgery for the row's domain c, LBP its local binary pattern", 14);
  const int left = label_w + 16, top = title.height + head_h + 24;
  Rgb8 sheet(std::max(left + grid.width + 8, title.width + 16), top + grid.height + 8);
  std::fill(sheet.pixels.begin(), sheet.pixels.end(), 255);
  for (int y = 0; y < grid.height; ++y)
    std::copy_n(grid.data() + std::size_t(y) * grid.width * 3, std::size_t(grid.width) * 3,
                sheet.data() + (std::size_t(top + y) * sheet.width + left) * 3);
  draw_text(sheet, title, 8, 6, kInk);
  for (std::size_t c = 0; c < head_masks.size(); ++c) {
    const TextMask& m = head_masks[c];
    // Centred over the column; a header wider than its column is shortened to start at its left edge.
    const int x = left + static_cast<int>(c) * (cell + gap) + std::max(0, (cell - m.width) / 2);
    draw_text(sheet, m, x, title.height + 14 + head_h - m.height, kInk);
  }
  for (std::size_t r = 0; r < label_masks.size(); ++r)
    draw_text(sheet, label_masks[r], 8, top + static_cast<int>(r) * (cell + gap) + (cell - label_masks[r].height) / 2,
              kInk);
  return sheet;
}

std::string sweep_csv(const std::vector<SweepRow>& rows) {
  std::string out = csv_row({"method", "epsilon", "forger", "images", "pairs", "psnr", "ssim", "l1", "l2", "dsr"});
  for (const auto& r : rows) {
    const AttrSummary& s = r.summary;
    out += csv_row({r.method, r.epsilon, s.forger, s.images, s.pairs, s.psnr, s.ssim, s.l1, s.l2, s.dsr});
  }
  return out;
}

namespace {

// One series per method from one forger's rows, points in ε order.
std::vector<PlotSeries> series_by_method(const std::vector<SweepRow>& rows, const std::string& forger,
                                         double (*value)(const SweepRow&)) {
  std::vector<PlotSeries> series;
  for (const auto& r : rows) {
    if (r.summary.forger != forger) continue;
    auto it = std::find_if(series.begin(), series.end(), [&](const PlotSeries& s) { return s.label == r.method; });
    if (it == series.end()) {
      series.push_back({r.method, {}, {}});
      it = series.end() - 1;
    }
    if (std::find(it->x.begin(), it->x.end(), r.epsilon) != it->x.end()) continue;  // one point per ε
    it->x.push_back(r.epsilon);
    it->y.push_back(value(r));
  }
  for (auto& s : series) {
    std::vector<std::size_t> order(s.x.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return s.x[a] < s.x[b]; });
    PlotSeries sorted{s.label, {}, {}};
    for (std::size_t i : order) {
      sorted.x.push_back(s.x[i]);
      sorted.y.push_back(s.y[i]);
    }
    s = sorted;
  }
  return series;
}

// A plot against ε, the sweep's x axis.
LinePlot sweep_plot(const std::string& title, const std::string& y_label) {
  LinePlot plot;
  plot.title = title;
  plot.x_label = "ε (intensity on the [-1, 1] scale)";
  plot.y_label = y_label;
  return plot;
}

}  // namespace

LinePlot sweep_psnr_plot(const std::vector<SweepRow>& rows) {
  LinePlot plot = sweep_plot("PSNR of the protection against ε", "PSNR (dB)");
  // The first forger's rows carry the protection's PSNR (the same for every forger).
  const std::string first = rows.empty() ? "" : rows.front().summary.forger;
  plot.series = series_by_method(rows, first, [](const SweepRow& r) { return r.summary.psnr; });
  return plot;
}

LinePlot sweep_dsr_plot(const std::vector<SweepRow>& rows, const std::string& forger) {
  LinePlot plot = sweep_plot("DSR against ε, forger " + forger, "DSR (%)");
  plot.y_range = std::make_pair(0.0, 100.0);
  plot.series = series_by_method(rows, forger, [](const SweepRow& r) { return 100 * r.summary.dsr; });
  return plot;
}

LinePlot sweep_l2_plot(const std::vector<SweepRow>& rows, const std::string& forger) {
  LinePlot plot = sweep_plot("Forgery distance against ε, forger " + forger, "mean L2 (MSE) of the forgeries");
  plot.series = series_by_method(rows, forger, [](const SweepRow& r) { return r.summary.l2; });
  return plot;
}

}  // namespace idef
