// Image metrics against values worked out by hand or by an independent direct computation.
#include "metrics/image_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "io/tensor_image.h"

namespace idef {
namespace {

torch::Tensor random_images(std::int64_t n, std::int64_t h, std::int64_t w, double lo = -0.5, double hi = 0.5) {
  torch::manual_seed(7);
  return torch::rand({n, 3, h, w}, torch::kDouble) * (hi - lo) + lo;
}

TEST(ImageMetrics, ConstantOffsetGivesHandComputedL1L2AndPsnr) {
  torch::Tensor a = random_images(2, 9, 7);
  // Image 0 shifted by d = 0.1, image 1 by d = 0.4 (values stay inside [-1, 1]).
  torch::Tensor d = torch::tensor({0.1, 0.4}, torch::kDouble).view({2, 1, 1, 1});
  torch::Tensor b = a + d;
  auto l1s = l1_per_image(a, b), l2s = l2_per_image(a, b), ps = psnr_per_image(a, b);
  ASSERT_EQ(l1s.size(), 2u);
  EXPECT_NEAR(l1s[0], 0.1, 1e-12);
  EXPECT_NEAR(l1s[1], 0.4, 1e-12);
  EXPECT_NEAR(l2s[0], 0.01, 1e-12);
  EXPECT_NEAR(l2s[1], 0.16, 1e-12);
  // On [0, 1] the offset is d/2: PSNR = 10·log10(1 / (d/2)²) = 10·log10(400) and 10·log10(25).
  EXPECT_NEAR(ps[0], 26.020599913279625, 1e-9);
  EXPECT_NEAR(ps[1], 13.979400086720376, 1e-9);
  // Per image, then averaged: 400 · 25 = 10^4, so the mean is exactly 20 dB.
  EXPECT_NEAR(psnr(a, b), 20.0, 1e-9);
  EXPECT_NEAR(l1(a, b), 0.25, 1e-12);
  EXPECT_NEAR(l2(a, b), 0.085, 1e-12);
  // Float tensors and [3,H,W] work too.
  EXPECT_NEAR(l1(a[0].to(torch::kFloat), b[0].to(torch::kFloat)), 0.1, 1e-6);
}

TEST(ImageMetrics, IdenticalImagesArePsnrInfinityAndSsimOne) {
  torch::Tensor a = random_images(2, 16, 16);
  torch::Tensor b = a.clone();
  b[1] += 0.1;
  auto ps = psnr_per_image(a, b);
  EXPECT_TRUE(std::isinf(ps[0]) && ps[0] > 0);
  EXPECT_TRUE(std::isfinite(ps[1]));
  EXPECT_TRUE(std::isinf(psnr(a, b)));  // a mean holding +inf is +inf
  EXPECT_EQ(format_metric(psnr(a, a), 2), "inf");
  EXPECT_EQ(format_metric(std::numeric_limits<double>::quiet_NaN(), 2), "n/a");
  EXPECT_EQ(format_metric(26.0206, 2), "26.02");
  EXPECT_NEAR(ssim(a, a), 1.0, 1e-12);
  EXPECT_EQ(l1(a, a), 0.0);
}

// Constant pictures have σ = 0 everywhere, so SSIM = (2pq + C1) / (p² + q² + C1) with the
// luma p, q on [0, 1] and C1 = 0.01² — the contrast/structure factor is C2/C2 = 1.
TEST(ImageMetrics, SsimOfConstantImagesFollowsTheFormula) {
  auto flat = [](double r, double g, double b) {
    torch::Tensor t = torch::empty({1, 3, 12, 14}, torch::kDouble);
    t.select(1, 0).fill_(r);
    t.select(1, 1).fill_(g);
    t.select(1, 2).fill_(b);
    return t;
  };
  // Grey 0 and 0.2 on [-1, 1]: p = 0.5, q = 0.6 → (0.6 + 0.0001) / (0.25 + 0.36 + 0.0001).
  EXPECT_NEAR(ssim(flat(0, 0, 0), flat(0.2, 0.2, 0.2)), 0.6001 / 0.6101, 1e-12);
  // Pure red against black: luma 0.299 and 0 → 0.0001 / (0.299² + 0.0001). A channel mean
  // (1/3) instead of BT.601 luma would give 0.0001 / (0.1111 + 0.0001).
  EXPECT_NEAR(ssim(flat(1, -1, -1), flat(-1, -1, -1)), 0.0001 / (0.089401 + 0.0001), 1e-12);
  // Pure green vs pure blue: luma 0.587 and 0.114.
  EXPECT_NEAR(ssim(flat(-1, 1, -1), flat(-1, -1, 1)),
              (2 * 0.587 * 0.114 + 0.0001) / (0.587 * 0.587 + 0.114 * 0.114 + 0.0001), 1e-12);
}

// Direct evaluation of Wang et al.'s formula: every 11×11 window fully inside the picture
// ("valid"), Gaussian weights σ = 1.5 summing to 1, statistics summed by loops.
double ssim_by_loops(const torch::Tensor& a, const torch::Tensor& b) {
  auto luma = [](const torch::Tensor& x, int r, int c) {
    auto v = [&](int ch) { return (x[0][ch][r][c].item<double>() + 1) / 2; };
    return 0.299 * v(0) + 0.587 * v(1) + 0.114 * v(2);
  };
  double w[11][11], total = 0;
  for (int i = 0; i < 11; ++i)
    for (int j = 0; j < 11; ++j) total += w[i][j] = std::exp(-((i - 5) * (i - 5) + (j - 5) * (j - 5)) / (2 * 2.25));
  const int h = static_cast<int>(a.size(2)), wd = static_cast<int>(a.size(3));
  const double c1 = 1e-4, c2 = 9e-4;
  double sum = 0;
  int count = 0;
  for (int r = 0; r + 11 <= h; ++r)
    for (int c = 0; c + 11 <= wd; ++c) {
      double ma = 0, mb = 0, saa = 0, sbb = 0, sab = 0;
      for (int i = 0; i < 11; ++i)
        for (int j = 0; j < 11; ++j) {
          double k = w[i][j] / total, x = luma(a, r + i, c + j), y = luma(b, r + i, c + j);
          ma += k * x;
          mb += k * y;
          saa += k * x * x;
          sbb += k * y * y;
          sab += k * x * y;
        }
      double va = saa - ma * ma, vb = sbb - mb * mb, cov = sab - ma * mb;
      sum += (2 * ma * mb + c1) * (2 * cov + c2) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      ++count;
    }
  return sum / count;
}

TEST(ImageMetrics, SsimMatchesADirectWindowByWindowComputation) {
  torch::Tensor a = random_images(1, 13, 15, -1, 1);
  torch::manual_seed(3);
  torch::Tensor b = (a + 0.3 * torch::randn_like(a)).clamp(-1, 1);
  double expected = ssim_by_loops(a, b);
  EXPECT_LT(expected, 0.95);  // a pair far from identical (0.909 with this seed)
  EXPECT_NEAR(ssim(a, b), expected, 1e-10);
  // A constant shift of a textured picture: only the luminance term moves.
  torch::Tensor c = a * 0.5 + 0.2;
  EXPECT_NEAR(ssim(a * 0.5, c), ssim_by_loops(a * 0.5, c), 1e-10);
}

TEST(ImageMetrics, SsimDecreasesWithNoise) {
  // A smooth picture: a diagonal ramp.
  torch::Tensor ramp = torch::linspace(-0.8, 0.8, 32, torch::kDouble);
  torch::Tensor a = (ramp.view({1, 1, 32, 1}) * 0.5 + ramp.view({1, 1, 1, 32}) * 0.5).expand({1, 3, 32, 32}).clone();
  torch::manual_seed(11);
  torch::Tensor noise = torch::randn_like(a);
  double previous = ssim(a, a);
  EXPECT_NEAR(previous, 1.0, 1e-12);
  for (double sigma : {0.01, 0.03, 0.1, 0.3}) {
    double s = ssim(a, a + sigma * noise);
    EXPECT_LT(s, previous) << "sigma " << sigma;
    previous = s;
  }
  EXPECT_LT(previous, 0.5);
}

TEST(ImageMetrics, RejectsMismatchedShapesAndTinySsim) {
  torch::Tensor a = torch::zeros({1, 3, 16, 16});
  EXPECT_THROW(l1(a, torch::zeros({1, 3, 16, 15})), Error);
  EXPECT_THROW(psnr(a, torch::zeros({1, 1, 16, 16})), Error);
  EXPECT_THROW(ssim(torch::zeros({1, 3, 10, 16}), torch::zeros({1, 3, 10, 16})), Error);
  EXPECT_NO_THROW(ssim(torch::zeros({1, 3, 11, 11}), torch::zeros({1, 3, 11, 11})));
}

TEST(ImageMetrics, EightBitOverloadsUseTheNetworkScale) {
  Rgb8 a(12, 12), b(12, 12);
  std::fill(a.pixels.begin(), a.pixels.end(), 100);
  std::fill(b.pixels.begin(), b.pixels.end(), 110);
  EXPECT_NEAR(l1(a, b), 10 / 127.5, 1e-6);
  EXPECT_NEAR(l2(a, b), (10 / 127.5) * (10 / 127.5), 1e-7);
  EXPECT_NEAR(psnr(a, b), 20 * std::log10(25.5), 1e-4);  // MAX = 255 on the 8-bit scale
  double p = 100 / 255.0, q = 110 / 255.0;
  EXPECT_NEAR(ssim(a, b), (2 * p * q + 1e-4) / (p * p + q * q + 1e-4), 1e-6);
}

TEST(ImageMetrics, DsrCountsValuesStrictlyAboveTheThreshold) {
  // 3 of 8 exceed 0.05; the two values equal to it do not count.
  std::vector<double> d = {0.01, 0.05, 0.05, 0.06, 0.2, 0.049999, 0.0500001, 0.0};
  EXPECT_DOUBLE_EQ(dsr(d, 0.05), 3.0 / 8.0);
  EXPECT_DOUBLE_EQ(dsr(d, 1.0), 0.0);
  EXPECT_DOUBLE_EQ(dsr(d, -1.0), 1.0);
  EXPECT_THROW(dsr({}, 0.05), Error);
}

Rgb8 grey(int width, int height, const std::vector<int>& values) {
  Rgb8 im(width, height);
  for (int i = 0; i < width * height; ++i)
    for (int c = 0; c < 3; ++c) im.pixels[i * 3 + c] = static_cast<std::uint8_t>(values[i]);
  return im;
}

// Bit k ↔ neighbour k, clockwise from the top-left (0 1 2 / 7 . 3 / 6 5 4), set when the
// neighbour is ≥ the centre; outside the picture the nearest edge pixel repeats.
TEST(ImageMetrics, LbpOfAHandMadePattern) {
  Rgb8 im = grey(3, 3, {10, 20, 30,  //
                        80, 50, 40,  //
                        70, 60, 90});
  Rgb8 map = lbp_map(im);
  ASSERT_EQ(map.width, 3);
  ASSERT_EQ(map.height, 3);
  // Centre 50: 10 20 30 40 below; 90 (BR, bit 4), 60 (B, 5), 70 (BL, 6), 80 (L, 7) not.
  EXPECT_EQ(map.at(1, 1, 0), 16 + 32 + 64 + 128);
  // Top-left 10 is the minimum; its outside neighbours repeat it: every bit set.
  EXPECT_EQ(map.at(0, 0, 0), 255);
  // Top-right 30: TL→20 no; T→30, TR→30, R→30 (repeats) yes; BR→40, B→40, BL→50 yes; L=20 no.
  EXPECT_EQ(map.at(2, 0, 0), 2 + 4 + 8 + 16 + 32 + 64);
  // Bottom-right 90, the maximum: only its repeated copies (R, BR, B = bits 3, 4, 5) count.
  EXPECT_EQ(map.at(2, 2, 0), 8 + 16 + 32);
  // Middle of the left edge 80: TL→10 no, T=10 no, TR=20 no, R=50 no, BR=60 no, B=70 no,
  // BL→70 no, L→80 (repeat) yes.
  EXPECT_EQ(map.at(0, 1, 0), 128);
  // Grey output: R = G = B.
  for (std::size_t i = 0; i < map.pixels.size(); i += 3) {
    EXPECT_EQ(map.pixels[i], map.pixels[i + 1]);
    EXPECT_EQ(map.pixels[i], map.pixels[i + 2]);
  }
  // The tensor overload reads the same picture the same way.
  EXPECT_EQ(lbp_map(rgb8_to_tensor(im)), map);
}

TEST(ImageMetrics, LbpComparesLumaNotTheChannelMean) {
  // Centre pure green (luma 0.587·200 = 117.4, channel mean 66.7) amid pure red (luma
  // 0.299·255 = 76.2, channel mean 85): by luma every neighbour is darker → code 0.
  Rgb8 im(3, 3);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 3; ++x) im.at(x, y, 0) = 255;
  im.at(1, 1, 0) = 0;
  im.at(1, 1, 1) = 200;
  EXPECT_EQ(lbp_map(im).at(1, 1, 0), 0);
  // And a red pixel next to it sees a brighter neighbour: bit 3 (R) of the left-middle pixel.
  EXPECT_NE(lbp_map(im).at(0, 1, 0) & 8, 0);
}

TEST(ImageMetrics, LbpOfAFiveByFiveCheckerboard) {
  std::vector<int> v;
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x) v.push_back((x + y) % 2 ? 200 : 50);
  Rgb8 map = lbp_map(grey(5, 5, v));
  // An inner dark pixel: all eight neighbours are ≥ → 255. An inner bright one: only the
  // diagonal neighbours (bits 0, 2, 4, 6) are equal → 1 + 4 + 16 + 64 = 85.
  EXPECT_EQ(map.at(2, 2, 0), 255);  // (2+2) even → 50
  EXPECT_EQ(map.at(1, 2, 0), 85);   // 200
}

}  // namespace
}  // namespace idef
