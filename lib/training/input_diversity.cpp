#include "training/input_diversity.h"

#include <cmath>

namespace idef {

namespace F = torch::nn::functional;

namespace {

std::int64_t scaled(std::int64_t n, double scale) { return std::max<std::int64_t>(1, std::llround(n * scale)); }

torch::Tensor gaussian_blur(const torch::Tensor& images, double sigma) {
  const std::int64_t radius = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(2 * sigma)));
  torch::Tensor r = torch::arange(-radius, radius + 1, images.options());
  torch::Tensor k1 = torch::exp(-(r * r) / (2 * sigma * sigma));
  k1 = k1 / k1.sum();
  const std::int64_t channels = images.size(1);
  torch::Tensor kernel = torch::outer(k1, k1).expand({channels, 1, 2 * radius + 1, 2 * radius + 1});
  torch::Tensor padded = F::pad(images, F::PadFuncOptions({radius, radius, radius, radius}).mode(torch::kReplicate));
  return F::conv2d(padded, kernel, F::Conv2dFuncOptions().groups(channels));
}

}  // namespace

RandomView draw_random_view(std::mt19937_64& rng, std::int64_t h, std::int64_t w) {
  RandomView v;
  v.scale = std::uniform_real_distribution<double>(0.9, 1.1)(rng);
  const std::int64_t sh = scaled(h, v.scale), sw = scaled(w, v.scale);
  v.dy = std::uniform_int_distribution<std::int64_t>(0, std::abs(sh - h))(rng);
  v.dx = std::uniform_int_distribution<std::int64_t>(0, std::abs(sw - w))(rng);
  v.blur_sigma = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  return v;
}

torch::Tensor apply_view(const torch::Tensor& images, const RandomView& view) {
  const std::int64_t h = images.size(2), w = images.size(3);
  const std::int64_t sh = scaled(h, view.scale), sw = scaled(w, view.scale);
  torch::Tensor out = images;
  if (sh != h || sw != w) {
    out = F::interpolate(out, F::InterpolateFuncOptions()
                                  .size(std::vector<std::int64_t>{sh, sw})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
    // Crop back to h × w where the resize grew the image, pad (repeating the border) where it shrank it.
    if (sh >= h) out = out.narrow(2, view.dy, h);
    else out = F::pad(out, F::PadFuncOptions({0, 0, view.dy, h - sh - view.dy}).mode(torch::kReplicate));
    if (sw >= w) out = out.narrow(3, view.dx, w);
    else out = F::pad(out, F::PadFuncOptions({view.dx, w - sw - view.dx, 0, 0}).mode(torch::kReplicate));
  }
  if (view.blur_sigma > 0.05) out = gaussian_blur(out, view.blur_sigma);
  return out;
}

}  // namespace idef
