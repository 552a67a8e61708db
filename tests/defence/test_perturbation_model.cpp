// The perturbation generator's model file: round trip with the surrogates it carries, and
// values no training writes refused.
#include "defence/perturbation_model.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "test_util.h"
#include "model/translator_model.h"

using idef::test::ScratchDir;

namespace {

idef::PerturbationModel small_model() {
  idef::PerturbationModel m = idef::test::small_generator("unet64", 4, 64, 8);
  m.surrogates.push_back({idef::test::small_editor("res6", 4, 64, 3, 9), {"Black_Hair", "Blond_Hair", "Male"}});
  return m;
}

}  // namespace

TEST(PerturbationModel, RoundTripKeepsTheSurrogates) {
  ScratchDir dir;
  auto m = small_model();
  idef::save_perturbation_model(dir / "pg.idm", m);
  auto back = idef::load_perturbation_model(dir / "pg.idm");
  ASSERT_EQ(back.surrogates.size(), 1u);
  EXPECT_EQ(back.surrogates[0].attributes, m.surrogates[0].attributes);
  torch::NoGradGuard g;
  torch::Tensor x = torch::rand({1, 3, 64, 64}) * 2 - 1, c = torch::tensor({{0.f, 1.f, 0.f}});
  m.surrogates[0].editor->eval();
  EXPECT_TRUE(torch::allclose(back.surrogates[0].editor->forward(x, c), m.surrogates[0].editor->forward(x, c)));
  EXPECT_TRUE(torch::allclose(back.generator->forward(x), m.generator->forward(x)));
}

TEST(PerturbationModel, ImpossibleStrengthsAreRefusedNamingTheField) {
  ScratchDir dir;
  for (double bad : {std::nan(""), 0.0, -0.05, 1.5}) {
    auto m = small_model();
    m.epsilon = bad;
    idef::save_perturbation_model(dir / "bad.idm", m);
    try {
      idef::load_perturbation_model(dir / "bad.idm");
      ADD_FAILURE() << "epsilon " << bad << " loaded";
    } catch (const idef::InputError& e) {
      EXPECT_NE(std::string(e.what()).find("defence.epsilon"), std::string::npos) << e.what();
    }
  }
}

TEST(PerturbationModel, UniversalPatternRoundTripsButIsNoReenactor) {
  ScratchDir dir;
  torch::manual_seed(2);
  idef::nets::TranslatorConfig c;
  c.arch = idef::nets::kUniversalArch;
  c.image_size = 32;
  idef::PerturbationModel m;
  m.generator = idef::nets::make_translator(c);
  m.task = "reenact";
  idef::save_perturbation_model(dir / "pattern.idm", m);
  auto back = idef::load_perturbation_model(dir / "pattern.idm");
  torch::NoGradGuard g;
  const torch::Tensor x = torch::zeros({1, 3, 32, 32});
  EXPECT_TRUE(torch::equal(back.generator->forward(x), m.generator->forward(x)));
  // A forger's reenactment model maps sketches to faces: a pattern file is not one.
  try {
    idef::load_reenactor_model(dir / "pattern.idm");
    ADD_FAILURE() << "a perturbation loaded as a reenactor";
  } catch (const idef::InputError&) {
  }
}
