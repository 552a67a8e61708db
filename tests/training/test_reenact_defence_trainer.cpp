// The reenactment defence's stage B with input diversity: the temporary model TM learns from
// a random view of x' (the forger's re-aligned crops), drawn from (seed, iteration).
#include "training/reenact_defence_trainer.h"

#include <gtest/gtest.h>

#include "nets/discriminators.h"
#include "nets/translator.h"

namespace {

// A trainer of tiny networks at 16 px, every weight drawn from seed 3.
idef::ReenactDefenceTrainer tiny_trainer(double input_diversity, std::uint64_t seed) {
  torch::manual_seed(3);
  idef::nets::TranslatorConfig c{"cnet", 3, 3, 2, 16};
  idef::ReenactDefenceSettings s;
  s.input_diversity = input_diversity;
  s.seed = seed;
  return idef::ReenactDefenceTrainer(idef::nets::make_translator(c), idef::nets::PatchDiscriminator(6, 2, 1),
                                     idef::nets::make_translator(c), idef::nets::PatchDiscriminator(6, 2, 1),
                                     idef::nets::make_translator(c), idef::nets::StarGanDiscriminator(16, 2, 1),
                                     s);
}

torch::Tensor flat_weights(torch::nn::Module& m) {
  std::vector<torch::Tensor> flat;
  for (const auto& p : m.parameters()) flat.push_back(p.detach().flatten().clone());
  return torch::cat(flat);
}

// TM's weights after one stage-B step at `iteration` on fixed data.
torch::Tensor temporary_after_step(idef::ReenactDefenceTrainer trainer, std::int64_t iteration) {
  torch::manual_seed(4);
  const torch::Tensor z = torch::rand({1, 3, 16, 16}) * 2 - 1, x = torch::rand({1, 3, 16, 16}) * 2 - 1;
  torch::manual_seed(5);  // the step's own draws (GP mixing), the same for every trainer
  trainer.perturbation_step(iteration, z, x, torch::ones({1, 1, 16, 16}));
  return flat_weights(*trainer.temporary());
}

}  // namespace

TEST(ReenactDefenceTrainer, InputDiversityChangesWhatTmLearnsAndRepeatsForASeed) {
  const torch::Tensor plain = temporary_after_step(tiny_trainer(0, 1), 0);
  const torch::Tensor viewed = temporary_after_step(tiny_trainer(1, 1), 0);
  EXPECT_FALSE(torch::allclose(plain, viewed));
  EXPECT_TRUE(torch::equal(viewed, temporary_after_step(tiny_trainer(1, 1), 0)));
  // Another iteration or seed draws another view.
  EXPECT_FALSE(torch::equal(viewed, temporary_after_step(tiny_trainer(1, 2), 0)));
}

// --restart-every: SM and TM start over as a run begun afresh would, optimizer state included
// (an Adam step from stale moments would differ from a first step).
TEST(ReenactDefenceTrainer, RestartIsAFreshStartOfSmAndTm) {
  torch::manual_seed(4);
  const torch::Tensor z = torch::rand({1, 3, 16, 16}) * 2 - 1, x = torch::rand({1, 3, 16, 16}) * 2 - 1;
  const torch::Tensor mask = torch::ones({1, 1, 16, 16});
  idef::ReenactDefenceTrainer trained = tiny_trainer(0, 1);
  trained.surrogate_step(0, z, x);
  trained.perturbation_step(0, z, x, mask);
  torch::manual_seed(9);
  idef::nets::TranslatorConfig c{"cnet", 3, 3, 2, 16};
  idef::nets::Translator fresh = idef::nets::make_translator(c);
  idef::nets::PatchDiscriminator fresh_d(6, 2, 1);
  ASSERT_FALSE(torch::equal(flat_weights(*trained.surrogate()), flat_weights(*fresh)));
  trained.restart_surrogates(*fresh, *fresh_d);
  EXPECT_TRUE(torch::equal(flat_weights(*trained.surrogate()), flat_weights(*fresh)));
  EXPECT_TRUE(torch::equal(flat_weights(*trained.temporary()), flat_weights(*fresh)));

  // A trainer whose SM starts from the fresh weights takes the same first step.
  idef::ReenactDefenceTrainer reference = tiny_trainer(0, 1);
  reference.restart_surrogates(*fresh, *fresh_d);  // on a trainer that never stepped: plain copies
  torch::manual_seed(5);
  trained.surrogate_step(0, z, x);
  torch::manual_seed(5);
  reference.surrogate_step(0, z, x);
  EXPECT_TRUE(torch::allclose(flat_weights(*trained.surrogate()), flat_weights(*reference.surrogate())));
  EXPECT_FALSE(torch::equal(flat_weights(*trained.surrogate()), flat_weights(*fresh)));  // it did step
}
