#include "defence/baselines.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace {

idef::nets::Editor tiny_editor() {
  torch::manual_seed(4);
  idef::nets::EditorConfig c;
  c.arch = "cnet";
  c.width = 4;
  c.image_size = 16;
  c.c_dim = 2;
  return idef::nets::make_editor(c);
}

std::vector<torch::Tensor> two_domains() {
  return {torch::tensor({{1.f, 0.f}, {1.f, 0.f}}), torch::tensor({{0.f, 1.f}, {0.f, 1.f}})};
}

double distortion(const idef::nets::Editor& m, const torch::Tensor& x, const torch::Tensor& adv) {
  torch::NoGradGuard g;
  double total = 0;
  for (const auto& c : two_domains()) total += torch::mse_loss(m->forward(adv, c), m->forward(x, c)).item<double>();
  return total;
}

}  // namespace

TEST(Pgd, StaysInTheBallAndDistortsMoreThanNoise) {
  auto editor = tiny_editor();
  torch::manual_seed(0);
  torch::Tensor x = torch::rand({2, 3, 16, 16}) * 2 - 1;
  auto adv = idef::pgd_attack(editor, x, two_domains(), idef::pgd_options("pgd", 0.05));
  EXPECT_LE((adv - x).abs().max().item<double>(), 0.05 + 1e-6);
  EXPECT_LE(adv.abs().max().item<double>(), 1.0);
  auto noise = idef::uniform_noise(x, 0.05, 1);
  EXPECT_LE((noise - x).abs().max().item<double>(), 0.05 + 1e-6);
  EXPECT_GT(distortion(editor, x, adv), 2 * distortion(editor, x, noise));
}

TEST(Pgd, VariantsFollowRuizDefaults) {
  auto pgd = idef::pgd_options("pgd", 0.05);
  EXPECT_EQ(pgd.iterations, 10);
  EXPECT_DOUBLE_EQ(pgd.step, 0.01);
  EXPECT_TRUE(pgd.random_start);
  auto ifgsm = idef::pgd_options("ifgsm", 0.05);
  EXPECT_FALSE(ifgsm.random_start);
  auto fgsm = idef::pgd_options("fgsm", 0.03);
  EXPECT_EQ(fgsm.iterations, 1);
  EXPECT_DOUBLE_EQ(fgsm.step, 0.03);
  EXPECT_THROW(idef::pgd_options("magic", 0.05), idef::UsageError);
}

TEST(Pgd, FgsmStepsExactlyEpsilonWhereTheGradientIsNonZero) {
  auto editor = tiny_editor();
  torch::manual_seed(1);
  torch::Tensor x = torch::rand({2, 3, 16, 16}) * 1.6 - 0.8;  // away from the clamp
  auto adv = idef::pgd_attack(editor, x, two_domains(), idef::pgd_options("fgsm", 0.03));
  torch::Tensor moved = (adv - x).abs();
  EXPECT_NEAR(moved.max().item<double>(), 0.03, 1e-6);
  // One step of ε from a start within ε/100 of x: every pixel with a gradient moves ≥ 0.99ε.
  EXPECT_GT((moved > 0.0296).to(torch::kFloat).mean().item<double>(), 0.9);
}

TEST(UniformNoise, IsSeeded) {
  torch::Tensor x = torch::zeros({1, 3, 8, 8});
  EXPECT_TRUE(torch::equal(idef::uniform_noise(x, 0.05, 3), idef::uniform_noise(x, 0.05, 3)));
  EXPECT_FALSE(torch::equal(idef::uniform_noise(x, 0.05, 3), idef::uniform_noise(x, 0.05, 4)));
}
