#include "defence/protection.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "pixel_diff.h"
#include "test_util.h"

namespace {

idef::Rgb8 pattern(int w, int h, int seed) {
  idef::Rgb8 im(w, h);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) im.at(x, y, c) = static_cast<std::uint8_t>((x * 7 + y * 13 + c * 50 + seed * 31) % 180 + 40);
  return im;
}

idef::ProtectionSettings method(const std::string& name) {
  idef::ProtectionSettings s;
  s.method = name;
  return s;
}

}  // namespace

TEST(Protection, EpsilonAndTauFollowOneRule) {
  idef::PerturbationModel pg = idef::test::small_generator("cnet", 4, 16, 1);
  pg.epsilon = 0.04;
  pg.tau = 0.03;
  auto s = method("pg");
  auto own = idef::make_protection(s, &pg, nullptr).options;  // the model's own ε and τ
  EXPECT_DOUBLE_EQ(own.epsilon, 0.04);
  EXPECT_DOUBLE_EQ(own.tau, 0.03);
  s.epsilon = 0.02;  // a given ε is also the cap
  auto given = idef::make_protection(s, &pg, nullptr).options;
  EXPECT_DOUBLE_EQ(given.epsilon, 0.02);
  EXPECT_DOUBLE_EQ(given.tau, 0.02);
  s.tau = 0.05;  // unless τ is given too
  EXPECT_DOUBLE_EQ(idef::make_protection(s, &pg, nullptr).options.tau, 0.05);
  auto noise = idef::make_protection(method("noise"), nullptr, nullptr).options;
  EXPECT_DOUBLE_EQ(noise.epsilon, 0.05);
  EXPECT_DOUBLE_EQ(noise.tau, 0.05);
}

TEST(Protection, RefusesMissingOrUnusedModelsAndBadValues) {
  idef::PerturbationModel pg = idef::test::small_generator("cnet", 4, 16, 1);
  idef::EditorModel editor{idef::test::small_editor("cnet", 4, 16, 2, 2), {"A0", "A1"}};
  EXPECT_THROW(idef::make_protection(method("pg"), nullptr, nullptr), idef::UsageError);
  EXPECT_THROW(idef::make_protection(method("pgd"), nullptr, nullptr), idef::UsageError);
  EXPECT_THROW(idef::make_protection(method("noise"), &pg, nullptr), idef::UsageError);
  EXPECT_THROW(idef::make_protection(method("noise"), nullptr, &editor), idef::UsageError);
  EXPECT_THROW(idef::make_protection(method("blur"), nullptr, nullptr), idef::UsageError);
  auto refine = method("noise");
  refine.refine = 2;
  EXPECT_THROW(idef::make_protection(refine, nullptr, nullptr), idef::UsageError);
  for (double bad : {0.0, -0.1, 1.5, std::nan("")}) {
    auto s = method("noise");
    s.epsilon = bad;
    EXPECT_THROW(idef::make_protection(s, nullptr, nullptr), idef::UsageError) << bad;
    s.epsilon.reset();
    s.tau = bad;
    EXPECT_THROW(idef::make_protection(s, nullptr, nullptr), idef::UsageError) << bad;
  }
  EXPECT_NO_THROW(idef::make_protection(method("fgsm"), nullptr, &editor));
}

// Noise has no size of its own: an aligned crop gets it pixel for pixel at its own size.
// Each face's draw depends on the seed and on its pixels: repeatable, different per face.
TEST(Protection, NoiseWorksAtTheCropsOwnSizeAndDrawsPerFace) {
  idef::Protection p = idef::make_protection(method("noise"), nullptr, nullptr);
  EXPECT_EQ(p.perturber.crop_size, 0);
  const idef::Rgb8 a = pattern(24, 20, 1), b = pattern(24, 20, 2);
  const idef::Rgb8 pa = idef::protect_aligned(a, p.perturber, p.options);
  EXPECT_EQ(pa.width, 24);
  EXPECT_EQ(pa.height, 20);
  EXPECT_EQ(idef::test::max_abs_diff(a, pa), 6);  // round(0.05 · 127.5): unscaled noise reaches its cap
  EXPECT_EQ(idef::protect_aligned(a, p.perturber, p.options), pa);
  // The same noise pattern on two faces would be one fixed pattern, not noise.
  const idef::Rgb8 pb = idef::protect_aligned(b, p.perturber, p.options);
  int same = 0;
  for (std::size_t i = 0; i < a.pixels.size(); ++i) same += (int(pa.pixels[i]) - a.pixels[i]) == (int(pb.pixels[i]) - b.pixels[i]);
  EXPECT_LT(same, static_cast<int>(a.pixels.size()) / 4);
  auto other_seed = method("noise");
  other_seed.seed = 1;
  idef::Protection q = idef::make_protection(other_seed, nullptr, nullptr);
  EXPECT_NE(idef::protect_aligned(a, q.perturber, q.options), pa);
}

TEST(Protection, AttacksDefaultToOneDomainPerAttributeAndTakeGivenOnes) {
  idef::EditorModel editor{idef::test::small_editor("cnet", 4, 16, 2, 2), {"A0", "A1"}};
  const idef::Rgb8 face = pattern(16, 16, 3);
  auto s = method("pgd");
  s.seed = 5;
  idef::Protection by_default = idef::make_protection(s, nullptr, &editor);
  idef::Protection one_hot = idef::make_protection(s, nullptr, &editor, idef::one_attribute_domains(2));
  idef::Protection both_on = idef::make_protection(s, nullptr, &editor, {torch::tensor({{1.f, 1.f}})});
  const idef::Rgb8 x = idef::protect_aligned(face, by_default.perturber, by_default.options);
  EXPECT_EQ(idef::protect_aligned(face, one_hot.perturber, one_hot.options), x);
  EXPECT_NE(idef::protect_aligned(face, both_on.perturber, both_on.options), x);
  EXPECT_LE(idef::test::max_abs_diff(face, x), 6);
}
