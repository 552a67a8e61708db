#include "training/input_diversity.h"

#include <gtest/gtest.h>

namespace {

torch::Tensor ramp(int n) {  // [1, 1, n, n], value = column index
  return torch::arange(n, torch::kFloat).view({1, 1, 1, n}).expand({1, 1, n, n}).contiguous();
}

}  // namespace

TEST(InputDiversity, TheIdentityViewChangesNothing) {
  torch::Tensor x = torch::rand({2, 3, 16, 16});
  EXPECT_TRUE(torch::equal(idef::apply_view(x, idef::RandomView{}), x));
}

TEST(InputDiversity, ViewsKeepTheSizeAndShiftTheContent) {
  // Enlarged by 1.25 (16 → 20 px) and cropped at column offset 4: the ramp now starts near
  // column 4/1.25 = 3.2 of the original.
  idef::RandomView grow{1.25, 0, 4, 0};
  torch::Tensor y = idef::apply_view(ramp(16), grow);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{1, 1, 16, 16}));
  EXPECT_NEAR(y.index({0, 0, 5, 0}).item<double>(), (4 + 0.5) / 1.25 - 0.5, 1e-4);
  // Shrunk to 14 px and padded 1 px on the left: the first column repeats the border.
  idef::RandomView shrink{14.0 / 16, 0, 1, 0};
  torch::Tensor z = idef::apply_view(ramp(16), shrink);
  ASSERT_EQ(z.sizes(), (std::vector<int64_t>{1, 1, 16, 16}));
  EXPECT_FLOAT_EQ(z.index({0, 0, 3, 0}).item<float>(), z.index({0, 0, 3, 1}).item<float>());
  // A blur keeps a constant image and smooths a step.
  idef::RandomView blur{1, 0, 0, 1.0};
  torch::Tensor flat = torch::full({1, 3, 8, 8}, 0.3f);
  EXPECT_TRUE(torch::allclose(idef::apply_view(flat, blur), flat, 1e-6, 1e-6));
  torch::Tensor step = (ramp(8) >= 4).to(torch::kFloat);
  torch::Tensor smooth = idef::apply_view(step, blur);
  EXPECT_GT(smooth.index({0, 0, 0, 4}).item<float>(), 0.5f);
  EXPECT_LT(smooth.index({0, 0, 0, 4}).item<float>(), 1.0f);
}

TEST(InputDiversity, OneViewIsTheSameForBothImagesAndPassesGradients) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 20; ++i) {
    idef::RandomView v = idef::draw_random_view(rng, 16, 16);
    EXPECT_GE(v.scale, 0.9);
    EXPECT_LE(v.scale, 1.1);
    EXPECT_GE(v.blur_sigma, 0.0);
    EXPECT_LE(v.blur_sigma, 1.0);
    torch::Tensor x = torch::rand({1, 3, 16, 16});
    torch::Tensor xp = (x + 0.01 * torch::randn_like(x)).requires_grad_(true);
    torch::Tensor a = idef::apply_view(x, v), b = idef::apply_view(xp, v);
    ASSERT_EQ(b.sizes(), x.sizes());
    // The view is linear: the difference of the views is the view of the difference.
    EXPECT_TRUE(torch::allclose(b - a, idef::apply_view(xp - x, v), 1e-5, 1e-5));
    torch::Tensor g = torch::autograd::grad({b.sum()}, {xp})[0];
    EXPECT_GT(g.abs().sum().item<double>(), 0.0);
  }
  std::mt19937_64 again(7);
  idef::RandomView first = idef::draw_random_view(again, 16, 16);
  std::mt19937_64 same(7);
  EXPECT_EQ(idef::draw_random_view(same, 16, 16).dx, first.dx);
}
