#include "training/attr_defence_training.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <csignal>
#include <set>
#include <filesystem>

#include "core/error.h"
#include "core/interrupt.h"
#include "data/face_dataset.h"
#include "defence/perturbation_model.h"
#include "model/editor_model.h"
#include "model/model_file.h"
#include "test_util.h"

namespace fs = std::filesystem;
using idef::test::ScratchDir;

namespace {

const std::vector<std::string> kAttributes{"A0", "A1"};

// A tiny trainer at 16 px: res6 surrogate, cnet generator (unet64 needs 64 px).
idef::AttrDefenceTrainer tiny_trainer(idef::AttrDefenceSettings s = {}) {
  torch::manual_seed(11);
  s.attributes = kAttributes;
  s.stage_a.n_critic = 1;  // SM steps every iteration
  auto sm = idef::nets::make_editor({"res6", 2, 4, 16});
  idef::nets::StarGanDiscriminator da(16, 4, 2);
  auto pg = idef::nets::make_translator({"cnet", 3, 3, 4, 16});
  idef::nets::StarGanDiscriminator db(16, 4, 1);
  return idef::AttrDefenceTrainer(sm, da, pg, db, s);
}

std::pair<torch::Tensor, torch::Tensor> tiny_batch(int seed) {
  torch::manual_seed(seed);
  torch::Tensor x = torch::rand({4, 3, 16, 16}) * 2 - 1;
  torch::Tensor c = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}, {1.0f, 1.0f}, {0.0f, 0.0f}});
  return {x, c};
}

std::vector<torch::Tensor> snapshot(const torch::nn::Module& m) {
  std::vector<torch::Tensor> out;
  for (const auto& p : m.parameters()) out.push_back(p.detach().clone());
  return out;
}

bool same_weights(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!torch::equal(a[i], b[i])) return false;
  return true;
}

idef::AttrDefenceOptions tiny_options(const ScratchDir& dir) {
  idef::AttrDefenceOptions o;
  o.surrogate = {"res6", 2, 4, 16};
  o.da_width = 4;
  o.db_width = 4;
  o.generator = {"cnet", 3, 3, 4, 16};
  o.settings.attributes = kAttributes;
  o.settings.stage_a.n_critic = 2;
  o.iterations = 4;
  o.decay_iterations = 2;
  o.batch = 4;
  o.seed = 5;
  o.validate_every = 2;
  o.validation_size = 2;
  o.output = dir / "pg.idm";
  o.surrogate_output = dir / "sm.idm";
  o.checkpoint_every = 2;
  return o;
}

struct TinyData {
  idef::FaceDataset train, validation;
};

TinyData tiny_data(const ScratchDir& dir) {
  idef::test::write_tiny_celeba(dir.path() / "faces", 20, 16, 2);
  idef::DatasetOptions d;
  d.attributes = kAttributes;
  d.image_size = 16;
  d.split = "train";
  auto train = idef::FaceDataset::celeba((dir.path() / "faces").string(), d, nullptr);
  d.split = "val";
  return {train, idef::FaceDataset::celeba((dir.path() / "faces").string(), d, nullptr)};
}

std::vector<torch::Tensor> editor_weights(const std::string& path) {
  return snapshot(*idef::load_editor_model(path).editor);
}

}  // namespace

// TDE's L'_A→B must use SM and DA as they were before this iteration's stage A step.
TEST(AttrDefenceTrainer, TdeUsesThePreviousIterationsWeights) {
  torch::set_num_threads(1);
  auto trainer = tiny_trainer();
  auto [x, c] = tiny_batch(1);
  trainer.surrogate_step(0, x, c);
  trainer.perturbation_step(x, c, true);
  auto sm_before = snapshot(*trainer.surrogate());
  auto da_before = snapshot(*trainer.surrogate_discriminator());
  trainer.surrogate_step(1, x, c);
  EXPECT_TRUE(same_weights(snapshot(*trainer.previous_surrogate()), sm_before));
  EXPECT_TRUE(same_weights(snapshot(*trainer.previous_surrogate_discriminator()), da_before));
  EXPECT_FALSE(same_weights(snapshot(*trainer.surrogate()), sm_before));  // the step did change SM
  auto losses = trainer.perturbation_step(x, c, true);
  EXPECT_TRUE(losses.count("PG/L_AB_prev"));
  EXPECT_NE(losses.at("PG/L_AB_prev"), losses.at("PG/L_AB"));
}

TEST(AttrDefenceTrainer, PerturbationStepTrainsOnlyPgAndDb) {
  torch::set_num_threads(1);
  auto trainer = tiny_trainer();
  auto [x, c] = tiny_batch(2);
  auto sm = snapshot(*trainer.surrogate()), da = snapshot(*trainer.surrogate_discriminator());
  auto pg = snapshot(*trainer.generator()), db = snapshot(*trainer.critic());
  trainer.perturbation_step(x, c, false);
  EXPECT_TRUE(same_weights(snapshot(*trainer.surrogate()), sm));
  EXPECT_TRUE(same_weights(snapshot(*trainer.surrogate_discriminator()), da));
  EXPECT_FALSE(same_weights(snapshot(*trainer.generator()), pg));
  EXPECT_FALSE(same_weights(snapshot(*trainer.critic()), db));
}

TEST(AttrDefenceTrainer, ProtectedImagesStayWithinTau) {
  idef::AttrDefenceSettings s;
  s.epsilon = 0.5;  // PG's tanh output alone could move pixels by up to 0.5
  s.tau = 0.03;
  auto trainer = tiny_trainer(s);
  auto [x, c] = tiny_batch(3);
  torch::Tensor xp = trainer.protect(x);
  EXPECT_LE((xp - x).abs().max().item<double>(), 0.03 + 1e-6);
  EXPECT_GT((xp - x).abs().max().item<double>(), 0.02);  // and the cap is reached somewhere
  EXPECT_LE(xp.abs().max().item<double>(), 1.0);
}

// PG_best is the generator of the largest validation distance, not the last one.
TEST(AttrDefenceTrainer, KeepsTheBestGeneratorOnTheValidationBatch) {
  torch::set_num_threads(1);
  auto trainer = tiny_trainer();
  auto [xv, cv] = tiny_batch(4);
  std::vector<double> distances;
  std::vector<std::vector<torch::Tensor>> weights;
  for (int i = 0; i < 6; ++i) {
    auto [x, c] = tiny_batch(10 + i);
    trainer.surrogate_step(i, x, c);
    trainer.perturbation_step(x, c, true);
    trainer.set_iteration(i + 1);
    weights.push_back(snapshot(*trainer.generator()));
    distances.push_back(trainer.validate(xv, cv));
  }
  auto best = std::max_element(distances.begin(), distances.end()) - distances.begin();
  EXPECT_DOUBLE_EQ(trainer.best_distance(), distances[best]);
  EXPECT_EQ(trainer.best_iteration(), best + 1);
  EXPECT_TRUE(same_weights(snapshot(*trainer.best_generator()), weights[best]));
}

// The whole point: training PG makes the surrogate's forgeries of x' drift away from
// those of x (L_A→B falls, the validation distance grows).
TEST(AttrDefenceTrainer, AlternatingTrainingGrowsTheForgeryDistance) {
  torch::set_num_threads(1);
  idef::AttrDefenceSettings s;
  s.lr_pg = 1e-3;
  auto trainer = tiny_trainer(s);
  auto [xv, cv] = tiny_batch(4);
  double before = trainer.validate(xv, cv);
  double first_loss = 0, last_loss = 0;
  for (int i = 0; i < 30; ++i) {
    auto [x, c] = tiny_batch(100 + i);
    trainer.surrogate_step(i, x, c);
    auto l = trainer.perturbation_step(x, c, true);
    if (i < 5) first_loss += l.at("PG/L_AB");
    if (i >= 25) last_loss += l.at("PG/L_AB");
  }
  double after = trainer.validate(xv, cv);
  EXPECT_GT(after, 2 * before) << "before " << before << " after " << after;
  EXPECT_LT(last_loss, first_loss);
}

TEST(AttrDefenceTraining, WritesAPerturbationModelTheToolsLoad) {
  torch::set_num_threads(1);
  ScratchDir dir;
  auto data = tiny_data(dir);
  auto o = tiny_options(dir);
  o.samples_dir = dir / "samples";
  o.sample_every = 2;
  std::vector<double> distances;
  idef::TrainingEvents events;
  events.iteration = [&](std::int64_t, const std::map<std::string, double>& l) {
    if (l.count("val/distance")) distances.push_back(l.at("val/distance"));
  };
  ASSERT_EQ(idef::train_attr_defence(o, data.train, data.validation, events), idef::TrainingResult::Finished);
  auto pg = idef::load_perturbation_model(o.output);
  EXPECT_EQ(pg.task, "attr");
  EXPECT_DOUBLE_EQ(pg.epsilon, 0.05);
  auto file = idef::ModelFile::load(o.output);
  EXPECT_EQ(file.meta.get_strings("domains"), kAttributes);
  ASSERT_EQ(distances.size(), 2u);
  EXPECT_DOUBLE_EQ(file.meta.get_double("training.best_distance"), std::max(distances[0], distances[1]));
  EXPECT_EQ(idef::load_editor_model(o.surrogate_output).attributes, kAttributes);
  EXPECT_TRUE(fs::exists(dir / "samples/iter-00000004.png"));
}

// --no-alternate (the paper's †): SM trains first, then stays frozen while PG trains.
TEST(AttrDefenceTraining, WithoutAlternationTheSurrogateIsFrozenWhilePgTrains) {
  torch::set_num_threads(1);
  ScratchDir dir;
  auto data = tiny_data(dir);
  auto o = tiny_options(dir);
  o.alternate = false;
  o.surrogate_iterations = 3;
  o.iterations = 1;
  o.surrogate_output = dir / "sm1.idm";
  ASSERT_EQ(idef::train_attr_defence(o, data.train, data.validation, {}), idef::TrainingResult::Finished);
  o.iterations = 4;
  o.output = dir / "pg4.idm";
  o.surrogate_output = dir / "sm4.idm";
  std::set<std::string> keys;
  idef::TrainingEvents events;
  events.iteration = [&](std::int64_t done, const std::map<std::string, double>& l) {
    if (done > 3)
      for (const auto& kv : l) keys.insert(kv.first);
  };
  ASSERT_EQ(idef::train_attr_defence(o, data.train, data.validation, events), idef::TrainingResult::Finished);
  EXPECT_TRUE(same_weights(editor_weights(dir / "sm1.idm"), editor_weights(dir / "sm4.idm")));
  EXPECT_FALSE(keys.count("SM/loss_rec") || keys.count("DA/loss_real") || keys.count("PG/L_AB_prev"));
  EXPECT_TRUE(keys.count("PG/L_AB"));

  // Alternating, the surrogate keeps training with PG.
  o.alternate = true;
  o.surrogate_iterations = -1;
  o.iterations = 2;
  o.surrogate_output = dir / "alt2.idm";
  ASSERT_EQ(idef::train_attr_defence(o, data.train, data.validation, {}), idef::TrainingResult::Finished);
  o.iterations = 4;
  o.surrogate_output = dir / "alt4.idm";
  ASSERT_EQ(idef::train_attr_defence(o, data.train, data.validation, {}), idef::TrainingResult::Finished);
  EXPECT_FALSE(same_weights(editor_weights(dir / "alt2.idm"), editor_weights(dir / "alt4.idm")));
}

TEST(AttrDefenceTraining, InterruptedAndResumedRunRepeatsTheLosses) {
  torch::set_num_threads(1);
  ScratchDir dir;
  auto data = tiny_data(dir);
  using LossLog = std::vector<std::map<std::string, double>>;

  // With random views and domain subsets drawn per step, which a resume must draw alike.
  auto with_draws = [&] {
    auto o = tiny_options(dir);
    o.settings.input_diversity = 1;
    o.settings.domains_per_step = 1;
    return o;
  };
  auto whole = with_draws();
  whole.output = dir / "whole.idm";
  LossLog expected;
  idef::TrainingEvents record;
  record.iteration = [&](std::int64_t, const std::map<std::string, double>& l) { expected.push_back(l); };
  ASSERT_EQ(idef::train_attr_defence(whole, data.train, data.validation, record), idef::TrainingResult::Finished);

  auto split = with_draws();
  split.output = dir / "split.idm";
  split.checkpoint_every = 100;  // only the interrupt writes one
  LossLog got;
  idef::TrainingEvents stop_at_3;
  stop_at_3.iteration = [&](std::int64_t done, const std::map<std::string, double>& l) {
    got.push_back(l);
    if (done == 3) std::raise(SIGTERM);
  };
  ASSERT_EQ(idef::train_attr_defence(split, data.train, data.validation, stop_at_3),
            idef::TrainingResult::Interrupted);
  idef::clear_interrupt();
  EXPECT_FALSE(fs::exists(split.output));
  split.resume = true;
  idef::TrainingEvents rest;
  rest.iteration = [&](std::int64_t, const std::map<std::string, double>& l) { got.push_back(l); };
  ASSERT_EQ(idef::train_attr_defence(split, data.train, data.validation, rest), idef::TrainingResult::Finished);

  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    for (const auto& [k, v] : expected[i]) EXPECT_DOUBLE_EQ(got[i].at(k), v) << "iteration " << i + 1 << " " << k;
  auto a = idef::load_perturbation_model(whole.output), b = idef::load_perturbation_model(split.output);
  EXPECT_TRUE(same_weights(snapshot(*a.generator), snapshot(*b.generator)));

  split.resume = true;
  split.settings.tde = false;  // another setting: refused
  fs::remove(split.output);
  EXPECT_THROW(idef::train_attr_defence(split, data.train, data.validation, {}), idef::InputError);
}

// A pretrained surrogate (id-forge's editor) used as it is: --no-alternate with no
// surrogate iterations keeps exactly its weights.
TEST(AttrDefenceTraining, StartsTheSurrogateFromAnEditorModel) {
  torch::set_num_threads(1);
  ScratchDir dir;
  auto data = tiny_data(dir);
  torch::manual_seed(42);
  auto editor = idef::nets::make_editor({"res6", 2, 4, 16});
  idef::save_editor_model(dir / "init.idm", idef::EditorModel{editor, kAttributes});

  auto o = tiny_options(dir);
  o.surrogate_init = dir / "init.idm";
  o.alternate = false;
  o.surrogate_iterations = 0;
  o.iterations = 2;
  ASSERT_EQ(idef::train_attr_defence(o, data.train, data.validation, {}), idef::TrainingResult::Finished);
  EXPECT_TRUE(same_weights(editor_weights(dir / "init.idm"), editor_weights(o.surrogate_output)));

  o.surrogate.width = 8;  // another architecture: refused, naming the file
  try {
    idef::train_attr_defence(o, data.train, data.validation, {});
    FAIL() << "no error";
  } catch (const idef::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("init.idm"), std::string::npos) << e.what();
  }
}

// An ensemble: every surrogate trains in stage A, PG trains against all of them, and a
// checkpoint carries them all.
TEST(AttrDefenceTrainer, TrainsEverySurrogateOfAnEnsemble) {
  torch::set_num_threads(1);
  torch::manual_seed(11);
  idef::AttrDefenceSettings s;
  s.attributes = kAttributes;
  s.stage_a.n_critic = 1;
  s.ensemble = idef::losses::EnsembleRule::WorstCase;
  s.input_diversity = 1;
  std::vector<idef::Surrogate> members{{idef::nets::make_editor({"res6", 2, 4, 16}), idef::nets::StarGanDiscriminator(16, 4, 2)},
                                       {idef::nets::make_editor({"cnet", 2, 4, 16}), idef::nets::StarGanDiscriminator(16, 4, 2)}};
  idef::AttrDefenceTrainer trainer(members, idef::nets::make_translator({"unet5-bn", 3, 3, 4, 16}),
                                   idef::nets::StarGanDiscriminator(16, 4, 1), s);
  ASSERT_EQ(trainer.surrogate_count(), 2u);
  auto [x, c] = tiny_batch(7);
  auto second = snapshot(*trainer.surrogate(1));
  trainer.surrogate_step(0, x, c);
  EXPECT_FALSE(same_weights(snapshot(*trainer.surrogate(1)), second));
  EXPECT_TRUE(same_weights(snapshot(*trainer.previous_surrogate(1)), second));
  second = snapshot(*trainer.surrogate(1));
  auto pg = snapshot(*trainer.generator());
  auto losses = trainer.perturbation_step(x, c, true);
  EXPECT_TRUE(losses.count("PG/L_ensemble"));
  EXPECT_TRUE(same_weights(snapshot(*trainer.surrogate(1)), second));
  EXPECT_FALSE(same_weights(snapshot(*trainer.generator()), pg));

  idef::ModelFile file;
  trainer.save_state(file);
  EXPECT_TRUE(file.has_section("A1.G"));
  EXPECT_TRUE(file.has_section("A1.previous.G"));
}

// id-train-attr's switches end to end: an ensemble of two surrogates, input diversity, alike
// domain weights, two PG steps per iteration, the released PG; the model carries both
// surrogates (for --refine), and a checkpoint of another ensemble is not resumed.
TEST(AttrDefenceTraining, TransferSwitchesTrainAndAreRecorded) {
  torch::set_num_threads(1);
  ScratchDir dir;
  auto data = tiny_data(dir);
  auto o = tiny_options(dir);
  o.ensemble = {"cnet"};
  o.generator = {"unet5-bn", 3, 3, 4, 16};
  o.settings.input_diversity = 0.5;
  o.settings.influence.uniform_domains = true;
  o.pg_steps = 2;
  ASSERT_EQ(idef::train_attr_defence(o, data.train, data.validation, {}), idef::TrainingResult::Finished);
  auto model = idef::load_perturbation_model(o.output);
  ASSERT_EQ(model.surrogates.size(), 2u);
  EXPECT_EQ(model.surrogates[1].editor->config().arch, "cnet");
  auto meta = idef::ModelFile::load(o.output).meta;
  EXPECT_EQ(meta.get_strings("surrogate.ensemble"), std::vector<std::string>{"cnet"});
  EXPECT_EQ(meta.get_int("training.pg_steps"), 2);

  o.ensemble.clear();  // the checkpoint has an ensemble: refused
  o.resume = true;
  o.output = dir / "other.idm";
  o.checkpoint = dir / "pg.idm.ckpt";
  EXPECT_THROW(idef::train_attr_defence(o, data.train, data.validation, {}), idef::InputError);
}
