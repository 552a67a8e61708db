#include "defence/baselines.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "io/tensor_image.h"
#include "test_util.h"

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

namespace {

// A generator that carries a surrogate, as id-train-attr writes them.
idef::PerturbationModel generator_with_surrogate() { return idef::test::small_generator("unet64", 4, 64, 6, 2); }

idef::Rgb8 test_crop() {
  idef::Rgb8 crop(64, 64);
  for (std::size_t i = 0; i < crop.pixels.size(); ++i) crop.pixels[i] = static_cast<std::uint8_t>((i * 37) % 200 + 20);
  return crop;
}

// x' = crop + delta as id-poison applies it (rounded, capped).
idef::Rgb8 apply(const idef::Rgb8& crop, const idef::CropPerturber& p, const idef::ProtectOptions& o) {
  return idef::protect_aligned(crop, p, o);
}

}  // namespace

TEST(Refine, ZeroStepsIsThePlainGeneratorAndStepsStayInTheBall) {
  auto model = generator_with_surrogate();
  idef::ProtectOptions o;
  o.epsilon = 1.0;  // an untrained generator's output is small: let it reach the cap
  o.tau = 0.05;
  const idef::Rgb8 crop = test_crop();
  const idef::Rgb8 plain = apply(crop, idef::generator_perturber(model, o), o);
  EXPECT_EQ(apply(crop, idef::refine_perturber(model, o, 0, 0.01), o).pixels, plain.pixels);
  const idef::Rgb8 refined = apply(crop, idef::refine_perturber(model, o, 5, 0.01), o);
  EXPECT_NE(refined.pixels, plain.pixels);
  int worst = 0;
  for (std::size_t i = 0; i < crop.pixels.size(); ++i)
    worst = std::max(worst, std::abs(int(refined.pixels[i]) - int(crop.pixels[i])));
  EXPECT_LE(worst, 6);  // round(0.05 · 127.5)

  // The refinement moves the surrogate's forgeries further than the generator alone.
  auto forgery_distance = [&](const idef::Rgb8& protected_crop) {
    torch::NoGradGuard g;
    torch::Tensor x = idef::rgb8_to_tensor(crop), xp = idef::rgb8_to_tensor(protected_crop);
    double d = 0;
    for (const auto& c : idef::one_attribute_domains(2)) {
      const auto& sm = model.surrogates[0].editor;
      d += torch::mse_loss(sm->forward(xp, c), sm->forward(x, c)).item<double>();
    }
    return d;
  };
  EXPECT_GT(forgery_distance(refined), forgery_distance(plain));
}

TEST(Refine, NeedsASurrogate) {
  auto model = generator_with_surrogate();
  model.surrogates.clear();
  EXPECT_THROW(idef::refine_perturber(model, idef::ProtectOptions{}, 3, 0.01), idef::Error);
  EXPECT_NO_THROW(idef::refine_perturber(model, idef::ProtectOptions{}, 0, 0.01));
}
