#include "defence/protect_photo.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "defence/baselines.h"
#include "io/image.h"
#include "model/editor_model.h"
#include "pixel_diff.h"
#include "test_util.h"

using idef::test::ScratchDir;

using idef::test::max_abs_diff;

namespace {

idef::PerturbationModel untrained_pg(int size = 64) {
  torch::manual_seed(11);
  idef::nets::TranslatorConfig c;
  c.arch = "unet64";
  c.width = 4;
  c.image_size = size;
  idef::PerturbationModel m;
  m.generator = idef::nets::make_translator(c);
  m.generator->eval();
  return m;
}

}  // namespace

TEST(ApplyPerturbation, StaysWithinTauAndTheImageRange) {
  auto pg = untrained_pg();
  torch::Tensor x = torch::rand({2, 3, 64, 64}) * 2 - 1;
  x[0].fill_(1.0);  // saturated: the clamp to [-1,1] must hold
  torch::Tensor y = idef::apply_perturbation(pg, x, 0.5, 0.03);
  EXPECT_LE((y - x).abs().max().item<double>(), 0.03 + 1e-6);
  EXPECT_LE(y.max().item<double>(), 1.0);
  EXPECT_GT((y - x).abs().max().item<double>(), 0.0);
}

TEST(PerturbationModel, RoundTripAndRefusesOtherModels) {
  ScratchDir dir;
  auto pg = untrained_pg();
  pg.epsilon = 0.03;
  pg.tau = 0.04;
  idef::save_perturbation_model(dir / "pg.idm", pg);
  auto back = idef::load_perturbation_model(dir / "pg.idm");
  EXPECT_DOUBLE_EQ(back.epsilon, 0.03);
  EXPECT_DOUBLE_EQ(back.tau, 0.04);
  EXPECT_EQ(back.task, "attr");
  torch::Tensor x = torch::rand({1, 3, 64, 64}) * 2 - 1;
  EXPECT_TRUE(torch::equal(pg.generator->forward(x), back.generator->forward(x)));

  idef::nets::EditorConfig ec;
  ec.arch = "cnet";
  ec.width = 4;
  ec.image_size = 16;
  ec.c_dim = 1;
  idef::save_editor_model(dir / "editor.idm", {idef::nets::make_editor(ec), {"Male"}});
  EXPECT_THROW(idef::load_perturbation_model(dir / "editor.idm"), idef::InputError);
}

TEST(ProtectPhoto, ChangesTheFaceOnlyAndWithinTau) {
  idef::Image photo = idef::Image::load(idef::test::testdata("astronaut.png"));
  idef::FaceDetector detector;
  auto pg = untrained_pg();
  idef::ProtectOptions opt;
  // An untrained generator's output is small: a large ε makes its perturbation visible
  // after rounding, and τ = 0.05 still caps it.
  opt.epsilon = 1.0;
  opt.tau = 0.05;
  auto result = idef::protect_photo(photo.rgb(), detector, idef::generator_perturber(pg, opt), opt);
  ASSERT_EQ(result.faces.size(), 1u);
  const auto& in = photo.rgb();
  const auto& out = result.image;
  EXPECT_LE(max_abs_diff(in, out), 6);  // round(0.05 · 127.5)
  // Inside the detected face box something changed; far from it nothing did.
  const auto& box = result.faces[0];
  int changed_in_face = 0, changed_far = 0;
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < in.width; ++x) {
      bool differs = false;
      for (int c = 0; c < 3; ++c) differs |= in.at(x, y, c) != out.at(x, y, c);
      bool inside = box.contains({double(x), double(y)});
      double far = std::max(box.width(), box.height()) * 1.5;
      double cx = (box.left + box.right) / 2, cy = (box.top + box.bottom) / 2;
      if (inside) changed_in_face += differs;
      if (std::abs(x - cx) > far || std::abs(y - cy) > far) changed_far += differs;
    }
  EXPECT_GT(changed_in_face, box.width() * box.height() / 4);
  EXPECT_EQ(changed_far, 0);
}

TEST(ProtectPhoto, NoFaceLeavesThePhotoAlone) {
  idef::Rgb8 flat(96, 80);
  std::fill(flat.pixels.begin(), flat.pixels.end(), 128);
  idef::FaceDetector detector;
  auto result = idef::protect_photo(flat, detector, idef::generator_perturber(untrained_pg(), {}), {});
  EXPECT_TRUE(result.faces.empty());
  EXPECT_EQ(result.image, flat);
}

TEST(ProtectAligned, KeepsTheSizeAndTheCap) {
  idef::Rgb8 crop(100, 100);
  for (std::size_t i = 0; i < crop.pixels.size(); ++i) crop.pixels[i] = static_cast<std::uint8_t>(i * 7 % 251);
  idef::ProtectOptions opt;
  opt.epsilon = 0.2;
  opt.tau = 0.02;  // the cap, not ε, bounds the change
  idef::Rgb8 out = idef::protect_aligned(crop, idef::generator_perturber(untrained_pg(), opt), opt);
  EXPECT_EQ(out.width, 100);
  EXPECT_LE(max_abs_diff(crop, out), 3);  // round(0.02 · 127.5)
  EXPECT_GT(max_abs_diff(crop, out), 0);
}

// A chain of two perturbers: the second works on the first one's output, the sum is capped by
// the chain's τ (and without a tighter cap reaches past one stage's); a chain of one stage is
// the perturber alone; max_change measures what changed.
TEST(PerturberChain, StagesAddUpUnderTheChainsCap) {
  idef::Rgb8 crop(64, 64);
  for (std::size_t i = 0; i < crop.pixels.size(); ++i) crop.pixels[i] = static_cast<std::uint8_t>(60 + i * 7 % 131);
  idef::ProtectOptions opt;
  opt.epsilon = opt.tau = 0.05;  // 6 levels each
  std::vector<idef::Rgb8> seen;
  const idef::CropPerturber first = idef::noise_perturber(64, 0.05, 1);
  const idef::CropPerturber second{64, [&](const idef::Rgb8& c) {
                                     seen.push_back(c);
                                     return std::vector<float>(c.pixels.size(), 6.f);  // +6 everywhere
                                   }};
  idef::PerturberChain chain{{{first, opt}, {second, opt}}, 0.1};
  const idef::Rgb8 one = idef::protect_aligned(crop, first, opt);
  const idef::Rgb8 both = idef::protect_aligned(crop, chain);
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0], one);  // the second stage saw the first one's output
  EXPECT_GT(idef::max_change(crop, both), 6);
  EXPECT_LE(idef::max_change(crop, both), 12);
  chain.tau = 0.03;
  const idef::Rgb8 capped = idef::protect_aligned(crop, chain);
  EXPECT_EQ(idef::max_change(crop, capped), 4);  // round(0.03 · 127.5)
  EXPECT_EQ(idef::protect_aligned(crop, idef::PerturberChain::single(first, opt)), one);
  idef::ImageRegion corner{0, 0, 2, 2, {}};
  idef::Rgb8 edited = crop;
  edited.pixels[(10 * 64 + 10) * 3] ^= 0x40;
  EXPECT_EQ(idef::max_change(crop, edited), 0x40);
  EXPECT_EQ(idef::max_change(crop, edited, &corner), 0);
}
