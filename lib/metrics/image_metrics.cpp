#include "metrics/image_metrics.h"

#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "core/error.h"
#include "io/tensor_image.h"

namespace idef {
namespace {

// Both inputs as [N,3,H,W] double CPU tensors of one shape.
std::pair<torch::Tensor, torch::Tensor> prepare(const torch::Tensor& a, const torch::Tensor& b) {
  auto batch = [](const torch::Tensor& t) { return t.dim() == 3 ? t.unsqueeze(0) : t; };
  torch::Tensor x = batch(a), y = batch(b);
  if (x.dim() != 4 || x.size(1) != 3 || x.sizes() != y.sizes()) {
    std::ostringstream msg;
    msg << "image metrics need two [N,3,H,W] tensors of one shape, got " << a.sizes() << " and " << b.sizes();
    throw Error(msg.str());
  }
  if (x.size(0) == 0) throw Error("image metrics of an empty batch");
  return {x.detach().to(torch::kCPU, torch::kDouble), y.detach().to(torch::kCPU, torch::kDouble)};
}

std::vector<double> to_vector(const torch::Tensor& t) {
  torch::Tensor c = t.contiguous().to(torch::kDouble);
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

// The 1-D Gaussian of SSIM's window; the 2-D window is its outer product, applied as a
// column pass then a row pass (libtorch's CPU convolution unfolds every window into memory:
// 11x11 at once took gigabytes a second on a 512 px video frame).
torch::Tensor gaussian_1d() {
  torch::Tensor x = torch::arange(kSsimWindow, torch::kDouble) - (kSsimWindow - 1) / 2.0;
  torch::Tensor g = torch::exp(-x * x / (2 * kSsimSigma * kSsimSigma));
  return g / g.sum();
}

torch::Tensor rgb(const Rgb8& image) { return rgb8_to_tensor(image); }

}  // namespace

torch::Tensor luma01(const torch::Tensor& images) {
  torch::Tensor x = images.dim() == 3 ? images.unsqueeze(0) : images;
  x = (x.detach().to(torch::kCPU, torch::kDouble) + 1) / 2;
  return (0.299 * x.select(1, 0) + 0.587 * x.select(1, 1) + 0.114 * x.select(1, 2)).unsqueeze(1);
}

std::vector<double> psnr_per_image(const torch::Tensor& a, const torch::Tensor& b) {
  auto [x, y] = prepare(a, b);
  // [0, 1] scale: the difference halves.
  std::vector<double> mse = to_vector(((x - y) / 2).pow(2).flatten(1).mean(1));
  std::vector<double> out;
  for (double m : mse) out.push_back(m == 0 ? std::numeric_limits<double>::infinity() : -10 * std::log10(m));
  return out;
}

std::vector<double> ssim_per_image(const torch::Tensor& a, const torch::Tensor& b) {
  auto [x, y] = prepare(a, b);
  if (x.size(2) < kSsimWindow || x.size(3) < kSsimWindow)
    throw Error("SSIM needs images of at least 11×11 pixels, got " + std::to_string(x.size(3)) + "×" +
                std::to_string(x.size(2)));
  const double c1 = std::pow(0.01 * 1.0, 2), c2 = std::pow(0.03 * 1.0, 2);
  torch::Tensor la = luma01(x), lb = luma01(y);
  const torch::Tensor g = gaussian_1d();
  const torch::Tensor column = g.view({1, 1, kSsimWindow, 1}), row = g.view({1, 1, 1, kSsimWindow});
  auto filter = [&](const torch::Tensor& t) { return torch::conv2d(torch::conv2d(t, column), row); };  // valid windows
  torch::Tensor mu_a = filter(la), mu_b = filter(lb);
  torch::Tensor var_a = filter(la * la) - mu_a * mu_a;
  torch::Tensor var_b = filter(lb * lb) - mu_b * mu_b;
  torch::Tensor cov = filter(la * lb) - mu_a * mu_b;
  torch::Tensor map = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) /
                      ((mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2));
  return to_vector(map.flatten(1).mean(1));
}

std::vector<double> l1_per_image(const torch::Tensor& a, const torch::Tensor& b) {
  auto [x, y] = prepare(a, b);
  return to_vector((x - y).abs().flatten(1).mean(1));
}

std::vector<double> l2_per_image(const torch::Tensor& a, const torch::Tensor& b) {
  auto [x, y] = prepare(a, b);
  return to_vector((x - y).pow(2).flatten(1).mean(1));
}

double mean_of(const std::vector<double>& values) {
  if (values.empty()) throw Error("mean of no values");
  double sum = 0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

double psnr(const torch::Tensor& a, const torch::Tensor& b) { return mean_of(psnr_per_image(a, b)); }
double ssim(const torch::Tensor& a, const torch::Tensor& b) { return mean_of(ssim_per_image(a, b)); }
double l1(const torch::Tensor& a, const torch::Tensor& b) { return mean_of(l1_per_image(a, b)); }
double l2(const torch::Tensor& a, const torch::Tensor& b) { return mean_of(l2_per_image(a, b)); }

double psnr(const Rgb8& a, const Rgb8& b) { return psnr(rgb(a), rgb(b)); }
double ssim(const Rgb8& a, const Rgb8& b) { return ssim(rgb(a), rgb(b)); }
double l1(const Rgb8& a, const Rgb8& b) { return l1(rgb(a), rgb(b)); }
double l2(const Rgb8& a, const Rgb8& b) { return l2(rgb(a), rgb(b)); }

namespace {

Rgb8 lbp_of_luma(const double* y, int width, int height) {
  // Clockwise from the top-left; bit k is neighbour k.
  static const int dx[8] = {-1, 0, 1, 1, 1, 0, -1, -1};
  static const int dy[8] = {-1, -1, -1, 0, 1, 1, 1, 0};
  Rgb8 out(width, height);
  for (int r = 0; r < height; ++r)
    for (int c = 0; c < width; ++c) {
      const double centre = y[static_cast<std::size_t>(r) * width + c];
      int code = 0;
      for (int k = 0; k < 8; ++k) {
        int nr = std::clamp(r + dy[k], 0, height - 1), nc = std::clamp(c + dx[k], 0, width - 1);
        if (y[static_cast<std::size_t>(nr) * width + nc] >= centre) code |= 1 << k;
      }
      for (int ch = 0; ch < 3; ++ch) out.at(c, r, ch) = static_cast<std::uint8_t>(code);
    }
  return out;
}

}  // namespace

Rgb8 lbp_map(const Rgb8& image) {
  std::vector<double> y(static_cast<std::size_t>(image.width) * image.height);
  for (int r = 0; r < image.height; ++r)
    for (int c = 0; c < image.width; ++c)
      y[static_cast<std::size_t>(r) * image.width + c] =
          0.299 * image.at(c, r, 0) + 0.587 * image.at(c, r, 1) + 0.114 * image.at(c, r, 2);
  return lbp_of_luma(y.data(), image.width, image.height);
}

Rgb8 lbp_map(const torch::Tensor& image) {
  torch::Tensor x = image.dim() == 3 ? image.unsqueeze(0) : image;
  if (x.dim() != 4 || x.size(0) != 1 || x.size(1) != 3) {
    std::ostringstream msg;
    msg << "lbp_map needs one [1,3,H,W] image, got " << image.sizes();
    throw Error(msg.str());
  }
  torch::Tensor y = luma01(x).contiguous();
  return lbp_of_luma(y.data_ptr<double>(), static_cast<int>(x.size(3)), static_cast<int>(x.size(2)));
}

double dsr(const std::vector<double>& distances, double threshold) {
  if (distances.empty()) throw Error("defence success rate of no distances");
  std::size_t above = 0;
  for (double d : distances)
    if (d > threshold) ++above;
  return static_cast<double>(above) / static_cast<double>(distances.size());
}

std::string format_metric(double value, int digits) {
  if (std::isnan(value)) return "n/a";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

}  // namespace idef
