#include "training/reenactor_training.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include "core/error.h"
#include "core/interrupt.h"
#include "data/synth_face.h"
#include "data/talking_head.h"
#include "model/model_file.h"
#include "model/translator_model.h"
#include "test_util.h"

namespace fs = std::filesystem;
using idef::test::ScratchDir;

namespace idef {
namespace {

// Six 32 px frames of a synthetic talking head with their true landmarks (no detector).
TalkingHead tiny_head() {
  TalkingHead head(32);
  const synth::FaceParams base = synth::sample_face(5, 1);
  for (int k = 0; k < 6; ++k) {
    const synth::FaceParams f = synth::at_time(base, k * 0.2, 5);
    head.add({synth::render(f, 32), synth::landmarks(f, 32)}, k);
  }
  return head;
}

ReenactorTrainingOptions tiny_options(const ScratchDir& dir) {
  ReenactorTrainingOptions o;
  o.net.arch = "cnet";
  o.net.width = 4;
  o.net.image_size = 32;
  o.d_width = 4;
  o.pix2pix.iterations = 6;
  o.pix2pix.decay_iterations = 3;
  o.batch = 2;
  o.seed = 3;
  o.output = dir / "reenactor.idm";
  o.checkpoint_every = 3;
  return o;
}

using LossLog = std::vector<std::map<std::string, double>>;

TEST(Pix2PixTrainer, LearnsAFixedPairAndDecaysItsRate) {
  torch::set_num_threads(1);
  torch::manual_seed(2);
  nets::TranslatorConfig c;
  c.arch = "cnet";
  c.width = 8;
  c.image_size = 32;
  Pix2PixSettings s;
  s.iterations = 40;
  s.decay_iterations = 10;
  Pix2PixTrainer trainer(nets::make_translator(c), nets::PatchDiscriminator(6, 8), s);
  const torch::Tensor z = torch::rand({1, 3, 32, 32}) * 2 - 1, x = torch::rand({1, 3, 32, 32}) * 2 - 1;
  const double first = trainer.step(0, z, x).at("G/loss_l1");
  double last = first;
  for (int i = 1; i < 40; ++i) last = trainer.step(i, z, x).at("G/loss_l1");
  EXPECT_LT(last, 0.8 * first);
  EXPECT_DOUBLE_EQ(trainer.lr_factor(0), 1.0);
  EXPECT_DOUBLE_EQ(trainer.lr_factor(35), 0.5);
  EXPECT_THROW(Pix2PixTrainer(nets::make_translator(c), nets::PatchDiscriminator(3, 8), s), Error);
}

TEST(ReenactorTraining, WritesALoadableReenactorSamplesAndACheckpoint) {
  torch::set_num_threads(1);
  ScratchDir dir;
  auto o = tiny_options(dir);
  o.samples_dir = dir / "samples";
  o.sample_every = 3;
  ASSERT_EQ(train_reenactor(o, tiny_head(), {}), TrainingResult::Finished);
  nets::Translator g = load_reenactor_model(o.output);
  EXPECT_EQ(g->config().arch, "cnet");
  EXPECT_EQ(g->config().image_size, 32);
  EXPECT_TRUE(fs::exists(dir / "samples/iter-00000006.png"));
  load_reenactor_model(o.output + ".ckpt");  // a checkpoint loads as its generator
  // Not an editor, not a perturbation generator.
  EXPECT_THROW(ModelFile::load(o.output).require("task", "editor"), InputError);
}

TEST(ReenactorTraining, InterruptedAndResumedRunRepeatsTheLosses) {
  torch::set_num_threads(1);
  ScratchDir dir;
  const TalkingHead head = tiny_head();
  auto whole = tiny_options(dir);
  whole.output = dir / "whole.idm";
  LossLog expected;
  TrainingEvents record;
  record.iteration = [&](std::int64_t, const std::map<std::string, double>& l) { expected.push_back(l); };
  ASSERT_EQ(train_reenactor(whole, head, record), TrainingResult::Finished);

  auto split = tiny_options(dir);
  split.output = dir / "split.idm";
  split.checkpoint_every = 100;
  LossLog losses;
  TrainingEvents stop_at_2;
  stop_at_2.iteration = [&](std::int64_t done, const std::map<std::string, double>& l) {
    losses.push_back(l);
    if (done == 2) std::raise(SIGTERM);
  };
  ASSERT_EQ(train_reenactor(split, head, stop_at_2), TrainingResult::Interrupted);
  clear_interrupt();
  split.resume = true;
  TrainingEvents rest;
  rest.iteration = [&](std::int64_t, const std::map<std::string, double>& l) { losses.push_back(l); };
  ASSERT_EQ(train_reenactor(split, head, rest), TrainingResult::Finished);
  ASSERT_EQ(losses.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i)
    for (const auto& [k, v] : expected[i]) EXPECT_DOUBLE_EQ(losses[i].at(k), v) << "iteration " << i + 1 << " " << k;

  // Other settings are refused, naming the checkpoint.
  auto other = tiny_options(dir);
  other.output = split.output;
  other.resume = true;
  other.net.width = 8;
  EXPECT_THROW(train_reenactor(other, head, {}), InputError);
}

}  // namespace
}  // namespace idef
