#include "training/editor_training.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>

#include "core/error.h"
#include "core/interrupt.h"
#include "data/face_dataset.h"
#include "model/editor_model.h"
#include "model/model_file.h"
#include "test_util.h"

namespace fs = std::filesystem;
using idef::test::ScratchDir;

namespace {

idef::EditorTrainingOptions tiny_options(const ScratchDir& dir) {
  idef::EditorTrainingOptions o;
  o.net.arch = "res6";
  o.net.width = 4;
  o.net.image_size = 16;
  o.d_width = 4;
  o.attributes = {"A0", "A1"};
  o.stargan.iterations = 6;
  o.stargan.decay_iterations = 3;
  o.stargan.n_critic = 2;
  o.batch = 4;
  o.seed = 5;
  o.output = dir / "editor.idm";
  o.checkpoint_every = 3;
  return o;
}

// A trainer of a width-4 editor on 16 px images with two domains.
idef::StarGanTrainer tiny_trainer(const std::string& arch, const idef::StarGanSettings& s) {
  idef::nets::EditorConfig c;
  c.arch = arch;
  c.width = 4;
  c.image_size = 16;
  c.c_dim = 2;
  return idef::StarGanTrainer(idef::nets::make_editor(c), idef::nets::StarGanDiscriminator(16, 4, 2), s);
}

idef::FaceDataset tiny_data(const ScratchDir& dir) {
  idef::test::write_tiny_celeba(dir.path() / "faces", 12, 16, 2);
  idef::DatasetOptions d;
  d.attributes = {"A0", "A1"};
  d.image_size = 16;
  return idef::FaceDataset::celeba((dir.path() / "faces").string(), d, nullptr);
}

using LossLog = std::vector<std::map<std::string, double>>;

}  // namespace

TEST(EditorTraining, WritesALoadableEditorAndSampleSheets) {
  torch::set_num_threads(1);
  ScratchDir dir;
  auto data = tiny_data(dir);
  auto o = tiny_options(dir);
  o.samples_dir = dir / "samples";
  o.sample_every = 3;
  EXPECT_EQ(idef::train_editor(o, data, {}), idef::TrainingResult::Finished);
  auto model = idef::load_editor_model(o.output);
  EXPECT_EQ(model.attributes, o.attributes);
  EXPECT_EQ(model.editor->config().arch, "res6");
  EXPECT_TRUE(fs::exists(dir / "samples/iter-00000003.png"));
  EXPECT_TRUE(fs::exists(dir / "samples/iter-00000006.png"));
  EXPECT_TRUE(fs::exists(o.output + ".ckpt"));
}

// A run stopped by a signal and resumed repeats the losses of an uninterrupted run: the
// checkpoint restores weights and optimizer moments, and every iteration is seeded.
TEST(EditorTraining, InterruptedAndResumedRunRepeatsTheLosses) {
  torch::set_num_threads(1);
  ScratchDir dir;
  auto data = tiny_data(dir);

  auto whole = tiny_options(dir);
  whole.output = dir / "whole.idm";
  LossLog expected;
  idef::TrainingEvents record;
  record.iteration = [&](std::int64_t, const std::map<std::string, double>& l) { expected.push_back(l); };
  ASSERT_EQ(idef::train_editor(whole, data, record), idef::TrainingResult::Finished);

  auto split = tiny_options(dir);
  split.output = dir / "split.idm";
  split.checkpoint_every = 100;  // only the interrupt writes one
  LossLog first;
  idef::TrainingEvents stop_at_2;
  stop_at_2.iteration = [&](std::int64_t done, const std::map<std::string, double>& l) {
    first.push_back(l);
    if (done == 2) std::raise(SIGTERM);
  };
  ASSERT_EQ(idef::train_editor(split, data, stop_at_2), idef::TrainingResult::Interrupted);
  idef::clear_interrupt();
  EXPECT_FALSE(fs::exists(split.output));
  auto ckpt = idef::ModelFile::load(split.output + ".ckpt");
  EXPECT_EQ(ckpt.meta.get_int("training.iteration"), 2);

  split.resume = true;
  LossLog second;
  idef::TrainingEvents rest;
  rest.iteration = [&](std::int64_t, const std::map<std::string, double>& l) { second.push_back(l); };
  ASSERT_EQ(idef::train_editor(split, data, rest), idef::TrainingResult::Finished);

  ASSERT_EQ(first.size() + second.size(), expected.size());
  first.insert(first.end(), second.begin(), second.end());
  for (std::size_t i = 0; i < expected.size(); ++i)
    for (const auto& [k, v] : expected[i]) EXPECT_DOUBLE_EQ(first[i].at(k), v) << "iteration " << i + 1 << " " << k;

  auto a = idef::load_editor_model(whole.output), b = idef::load_editor_model(split.output);
  auto pa = a.editor->parameters(), pb = b.editor->parameters();
  for (std::size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::equal(pa[i], pb[i]));
}

TEST(EditorTraining, ResumeRefusesACheckpointOfOtherSettings) {
  ScratchDir dir;
  auto data = tiny_data(dir);
  auto o = tiny_options(dir);
  o.stargan.iterations = 3;
  ASSERT_EQ(idef::train_editor(o, data, {}), idef::TrainingResult::Finished);
  o.resume = true;
  o.net.width = 8;
  EXPECT_THROW(idef::train_editor(o, data, {}), idef::InputError);
  o.net.width = 4;
  o.warmup_batch = 2;
  EXPECT_THROW(idef::train_editor(o, data, {}), idef::InputError);
}

// --warmup-batch sets the warm-up's batch alone: its warm-up repeats that of a run at that
// batch, and from the same weights its first adversarial iteration differs from that run's.
TEST(EditorTraining, WarmupBatchAppliesToTheWarmupOnly) {
  torch::set_num_threads(1);
  ScratchDir dir;
  auto data = tiny_data(dir);
  auto losses_of = [&](int batch, int warmup_batch, const std::string& name) {
    auto o = tiny_options(dir);
    o.stargan.warmup_iterations = 3;
    o.stargan.n_critic = 1;
    o.batch = batch;
    o.warmup_batch = warmup_batch;
    o.output = dir / name;
    LossLog log;
    idef::TrainingEvents record;
    record.iteration = [&](std::int64_t, const std::map<std::string, double>& l) { log.push_back(l); };
    EXPECT_EQ(idef::train_editor(o, data, record), idef::TrainingResult::Finished);
    return log;
  };
  LossLog small = losses_of(2, 0, "small.idm"), mixed = losses_of(4, 2, "mixed.idm"), large = losses_of(4, 0, "large.idm");
  ASSERT_EQ(mixed.size(), 6u);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(mixed[i].at("G/loss_id"), small[i].at("G/loss_id")) << i;
  EXPECT_NE(mixed[0].at("G/loss_id"), large[0].at("G/loss_id"));
  EXPECT_NE(mixed[3].at("D/loss_real"), small[3].at("D/loss_real"));
}

TEST(StarGanTrainer, LearningRateDecaysLinearlyToZero) {
  idef::StarGanSettings s;
  s.iterations = 10;
  s.decay_iterations = 4;
  idef::StarGanTrainer t = tiny_trainer("cnet", s);
  EXPECT_DOUBLE_EQ(t.lr_factor(0), 1.0);
  EXPECT_DOUBLE_EQ(t.lr_factor(5), 1.0);
  EXPECT_DOUBLE_EQ(t.lr_factor(6), 1.0);
  EXPECT_DOUBLE_EQ(t.lr_factor(8), 0.5);
  EXPECT_DOUBLE_EQ(t.lr_factor(10), 0.0);
}

// With warmup_decay_iterations the warm-up decays on its own, and the adversarial phase starts
// again from the full rate and follows the run's schedule.
TEST(StarGanTrainer, WarmupDecaysOnItsOwnThenTheRateStartsAgain) {
  idef::StarGanSettings s;
  s.iterations = 20;
  s.decay_iterations = 4;
  s.warmup_iterations = 10;
  s.warmup_decay_iterations = 4;
  idef::StarGanTrainer t = tiny_trainer("cnet", s);
  EXPECT_DOUBLE_EQ(t.lr_factor(0), 1.0);
  EXPECT_DOUBLE_EQ(t.lr_factor(6), 1.0);
  EXPECT_DOUBLE_EQ(t.lr_factor(8), 0.5);
  EXPECT_DOUBLE_EQ(t.lr_factor(9), 0.25);
  EXPECT_DOUBLE_EQ(t.lr_factor(10), 1.0);
  EXPECT_DOUBLE_EQ(t.lr_factor(16), 1.0);
  EXPECT_DOUBLE_EQ(t.lr_factor(18), 0.5);
}

// During the warm-up only the generator learns, on the identity loss alone; the critic
// keeps its weights. After it, the usual critic and generator steps follow.
TEST(StarGanTrainer, WarmupTrainsTheGeneratorAloneOnTheIdentityLoss) {
  torch::manual_seed(3);
  idef::StarGanSettings s;
  s.iterations = 4;
  s.decay_iterations = 0;
  s.n_critic = 1;
  s.warmup_iterations = 2;
  idef::StarGanTrainer t = tiny_trainer("res6", s);
  auto snapshot = [](torch::nn::Module& m) {
    std::vector<torch::Tensor> v;
    for (const auto& p : m.parameters()) v.push_back(p.detach().clone());
    return v;
  };
  auto same = [](const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
    for (std::size_t i = 0; i < a.size(); ++i)
      if (!torch::equal(a[i], b[i])) return false;
    return true;
  };
  torch::Tensor x = torch::rand({4, 3, 16, 16}) * 2 - 1;
  torch::Tensor labels = torch::tensor({{1.f, 0.f}, {0.f, 1.f}, {1.f, 1.f}, {0.f, 0.f}});
  auto g0 = snapshot(*t.generator()), d0 = snapshot(*t.discriminator());
  auto first = t.step(0, x, labels);
  EXPECT_EQ(first.size(), 1u);
  ASSERT_EQ(first.count("G/loss_id"), 1u);
  t.step(1, x, labels);
  EXPECT_FALSE(same(snapshot(*t.generator()), g0));
  EXPECT_TRUE(same(snapshot(*t.discriminator()), d0));
  auto after = t.step(2, x, labels);
  EXPECT_EQ(after.count("D/loss_real"), 1u);
  EXPECT_EQ(after.count("G/loss_rec"), 1u);
  EXPECT_FALSE(same(snapshot(*t.discriminator()), d0));
}

// The edit term pulls each edit towards its input: the same training from the same start,
// with a heavy weight on it, leaves edits that change the pictures less.
TEST(StarGanTrainer, EditTermKeepsEditsCloseToTheirInput) {
  auto change_after_training = [](double lambda_edit) {
    torch::manual_seed(4);
    idef::StarGanSettings s;
    s.iterations = 30;
    s.decay_iterations = 0;
    s.n_critic = 1;
    s.lr_g = 5e-3;
    s.lambda_edit = lambda_edit;
    idef::StarGanTrainer t = tiny_trainer("res6", s);
    torch::Tensor x = torch::rand({4, 3, 16, 16}) * 2 - 1;
    torch::Tensor labels = torch::tensor({{1.f, 0.f}, {0.f, 1.f}, {1.f, 1.f}, {0.f, 0.f}});
    std::map<std::string, double> losses;
    for (int i = 0; i < 30; ++i) losses = t.step(i, x, labels);
    EXPECT_EQ(losses.count("G/loss_edit"), lambda_edit > 0 ? 1u : 0u);
    torch::NoGradGuard no_grad;
    t.generator()->eval();
    return (t.generator()->forward(x, 1 - labels) - x).abs().mean().item<double>();
  };
  double with = change_after_training(100), without = change_after_training(0);
  EXPECT_LT(with, 0.8 * without);
}
