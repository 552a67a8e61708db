#include "training/data_parallel.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <set>
#include <thread>

#include "core/error.h"
#include "data/face_dataset.h"
#include "nets/translator.h"
#include "training/attr_defence_trainer.h"
#include "training/editor_training.h"
#include "training/reenact_defence_trainer.h"
#include "training/stargan_trainer.h"
#include "test_util.h"

using idef::test::ScratchDir;

namespace idef {
namespace {

// The ranks of one world as threads of this process, meeting through a file.
void run_ranks(const ScratchDir& dir, int world, const std::function<void(const DataParallel&)>& body) {
  std::vector<std::exception_ptr> errors(world);
  std::vector<std::thread> ranks;
  for (int r = 0; r < world; ++r)
    ranks.emplace_back([&, r] {
      try {
        DataParallelOptions o;
        o.rank = r;
        o.world_size = world;
        o.rendezvous_file = (dir.path() / "rendezvous").string();
        o.timeout_seconds = 120;
        DataParallel parallel(o);
        body(parallel);
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  for (auto& t : ranks) t.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

// A width-4 res6 editor on 16 px images with two domains; `seed` sets its first weights.
StarGanTrainer tiny_trainer(std::uint64_t seed, const StarGanSettings& s) {
  torch::manual_seed(seed);
  nets::EditorConfig c;
  c.arch = "res6";
  c.width = 4;
  c.image_size = 16;
  c.c_dim = 2;
  return StarGanTrainer(nets::make_editor(c), nets::StarGanDiscriminator(16, 4, 2), s);
}

// Copies of every parameter of the modules, in order.
std::vector<torch::Tensor> parameters_of(const std::vector<torch::nn::Module*>& modules) {
  std::vector<torch::Tensor> w;
  for (auto* m : modules)
    for (auto& p : m->parameters()) w.push_back(p.detach().clone());
  return w;
}

std::vector<torch::Tensor> weights_of(StarGanTrainer& t) {
  return parameters_of({t.generator().get(), t.discriminator().get()});
}

double largest_difference(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b) {
  double most = 0;
  for (std::size_t i = 0; i < a.size(); ++i) most = std::max(most, (a[i] - b[i]).abs().max().item<double>());
  return most;
}

StarGanSettings warmup_only() {
  StarGanSettings s;
  s.iterations = 10;
  s.decay_iterations = 0;
  s.warmup_iterations = 10;
  s.lr_g = 1e-2;  // steps large enough that a wrong average would show
  return s;
}

torch::Tensor images(std::uint64_t seed, int n) {
  torch::manual_seed(seed);
  return torch::rand({n, 3, 16, 16}) * 2 - 1;
}

}  // namespace

std::vector<torch::Tensor> generator_gradients(StarGanTrainer& t) {
  std::vector<torch::Tensor> g;
  for (auto& p : t.generator()->parameters()) g.push_back(p.grad().clone());
  return g;
}

// Two ranks, each with its own half of the batch (and, on rank 1, other first weights that
// the broadcast replaces), take the steps of one process trained on the whole batch: the
// same averaged gradients, and weights identical across ranks and equal to that process's.
TEST(DataParallel, TwoRanksMatchOneProcessOnTheUnionBatch) {
  torch::set_num_threads(1);
  ScratchDir dir;
  const torch::Tensor x = images(11, 8), labels = torch::tensor({1.f, 0.f}).repeat({8, 1});
  const int steps = 4;

  StarGanTrainer alone = tiny_trainer(3, warmup_only());
  std::vector<std::vector<torch::Tensor>> expected_gradients;
  for (int i = 0; i < steps; ++i) {
    alone.step(i, x, labels);
    expected_gradients.push_back(generator_gradients(alone));
  }
  const auto expected = weights_of(alone);

  std::vector<std::vector<torch::Tensor>> ended(2);
  std::vector<double> gradient_error(2, 0.0);
  // Made here: torch's seed is global, the rank threads would race for it.
  std::vector<std::unique_ptr<StarGanTrainer>> trainers;
  for (std::uint64_t seed : {3, 99}) trainers.push_back(std::make_unique<StarGanTrainer>(tiny_trainer(seed, warmup_only())));
  run_ranks(dir, 2, [&](const DataParallel& parallel) {
    const int r = parallel.rank();
    StarGanTrainer& trainer = *trainers[r];
    trainer.set_data_parallel(parallel);
    for (int i = 0; i < steps; ++i) {
      trainer.step(i, x.narrow(0, 4 * r, 4), labels.narrow(0, 4 * r, 4));
      gradient_error[r] = std::max(gradient_error[r],
                                   largest_difference(generator_gradients(trainer), expected_gradients[i]));
    }
    ended[r] = weights_of(trainer);
  });
  EXPECT_EQ(largest_difference(ended[0], ended[1]), 0.0);
  EXPECT_LT(gradient_error[0], 1e-6);
  EXPECT_LT(gradient_error[1], 1e-6);
  // Adam divides by the gradient's running size, so a weight whose gradient is near zero
  // can take a step of ±lr on a rounding difference: equal within that, and all but a few
  // weights to 1e-6.
  const StarGanSettings warmup = warmup_only();
  EXPECT_LE(largest_difference(ended[0], expected), 2 * warmup.lr_g * steps);
  std::int64_t off = 0, total = 0;
  for (std::size_t k = 0; k < expected.size(); ++k) {
    off += ((ended[0][k] - expected[k]).abs() > 1e-6).sum().item<std::int64_t>();
    total += expected[k].numel();
  }
  EXPECT_LT(double(off) / double(total), 0.01) << off << " of " << total << " weights differ";

  // Without the average, a rank's gradients are its half's, not the union's (the test can fail).
  StarGanTrainer half = tiny_trainer(3, warmup_only());
  half.step(0, x.narrow(0, 0, 4), labels.narrow(0, 0, 4));
  EXPECT_GT(largest_difference(generator_gradients(half), expected_gradients[0]), 1e-4);
}

// The adversarial phase draws different label shuffles and penalty mixes on each rank; the
// averaged steps still keep the ranks' weights identical.
TEST(DataParallel, RanksStayIdenticalThroughAdversarialSteps) {
  torch::set_num_threads(1);
  ScratchDir dir;
  StarGanSettings s;
  s.iterations = 4;
  s.decay_iterations = 2;
  s.n_critic = 2;
  std::vector<std::vector<torch::Tensor>> ended(2);
  std::vector<std::unique_ptr<StarGanTrainer>> trainers;
  for (std::uint64_t seed : {3, 4}) trainers.push_back(std::make_unique<StarGanTrainer>(tiny_trainer(seed, s)));
  std::vector<torch::Tensor> x{images(20, 4), images(21, 4)};
  const torch::Tensor labels = torch::tensor({1.f, 0.f, 0.f, 1.f, 1.f, 1.f, 0.f, 0.f}).reshape({4, 2});
  run_ranks(dir, 2, [&](const DataParallel& parallel) {
    const int r = parallel.rank();
    StarGanTrainer& trainer = *trainers[r];
    trainer.set_data_parallel(parallel);
    for (int i = 0; i < 4; ++i) trainer.step(i, x[r], labels);
    ended[r] = weights_of(trainer);
  });
  EXPECT_EQ(largest_difference(ended[0], ended[1]), 0.0);
}

// id-train-attr's trainer: surrogate steps, then PG and critic steps, each rank on its own
// batch; PG, its critic and the surrogate stay identical across ranks.
TEST(DataParallel, DefenceTrainerRanksStayIdentical) {
  torch::set_num_threads(1);
  ScratchDir dir;
  std::vector<std::unique_ptr<AttrDefenceTrainer>> trainers;
  for (std::uint64_t seed : {11, 12}) {
    torch::manual_seed(seed);
    AttrDefenceSettings s;
    s.attributes = {"A0", "A1"};
    s.stage_a.n_critic = 1;
    trainers.push_back(std::make_unique<AttrDefenceTrainer>(
        nets::make_editor({"res6", 2, 4, 16}), nets::StarGanDiscriminator(16, 4, 2),
        nets::make_translator({"cnet", 3, 3, 4, 16}), nets::StarGanDiscriminator(16, 4, 1), s));
  }
  std::vector<torch::Tensor> x{images(30, 4), images(31, 4)};
  const torch::Tensor labels = torch::tensor({1.f, 0.f, 0.f, 1.f, 1.f, 1.f, 0.f, 0.f}).reshape({4, 2});
  std::vector<std::vector<torch::Tensor>> ended(2);
  run_ranks(dir, 2, [&](const DataParallel& parallel) {
    AttrDefenceTrainer& t = *trainers[parallel.rank()];
    t.set_data_parallel(parallel);
    for (int i = 0; i < 3; ++i) {
      t.surrogate_step(i, x[parallel.rank()], labels);
      t.perturbation_step(x[parallel.rank()], labels, true, i);
    }
    t.validate(x[0], labels);
    ended[parallel.rank()] =
        parameters_of({t.generator().get(), t.critic().get(), t.surrogate().get(), t.best_generator().get()});
  });
  EXPECT_EQ(largest_difference(ended[0], ended[1]), 0.0);
}

// id-train-reenact's trainer: SM steps, then PG (through TM's unrolled update), DB and TM
// steps, each rank on its own frames; every network stays identical across ranks.
TEST(DataParallel, ReenactDefenceTrainerRanksStayIdentical) {
  torch::set_num_threads(1);
  ScratchDir dir;
  std::vector<std::unique_ptr<ReenactDefenceTrainer>> trainers;
  for (std::uint64_t seed : {5, 6}) {
    torch::manual_seed(seed);
    nets::TranslatorConfig c{"cnet", 3, 3, 2, 16};
    trainers.push_back(std::make_unique<ReenactDefenceTrainer>(
        nets::make_translator(c), nets::PatchDiscriminator(6, 2, 1), nets::make_translator(c),
        nets::PatchDiscriminator(6, 2, 1), nets::make_translator(c), nets::StarGanDiscriminator(16, 2, 1),
        ReenactDefenceSettings{}));
  }
  std::vector<torch::Tensor> z{images(40, 2), images(41, 2)}, x{images(42, 2), images(43, 2)};
  std::vector<std::vector<torch::Tensor>> ended(2);
  run_ranks(dir, 2, [&](const DataParallel& parallel) {
    const int r = parallel.rank();
    ReenactDefenceTrainer& t = *trainers[r];
    t.set_data_parallel(parallel);
    for (int i = 0; i < 2; ++i) {
      t.surrogate_step(i, z[r], x[r]);
      t.perturbation_step(i, z[r], x[r], torch::ones({2, 1, 16, 16}));
    }
    t.validate(z[0], torch::ones({2, 1, 16, 16}));
    ended[r] = parameters_of({t.surrogate().get(), t.temporary().get(), t.generator().get()});
  });
  EXPECT_EQ(largest_difference(ended[0], ended[1]), 0.0);
}

TEST(DataParallel, AnyInterruptStopsEveryRank) {
  ScratchDir dir;
  std::vector<int> seen(2, -1);
  run_ranks(dir, 2, [&](const DataParallel& parallel) {
    seen[parallel.rank()] = parallel.any(parallel.rank() == 1) ? 1 : 0;
    EXPECT_FALSE(parallel.any(false));
  });
  EXPECT_EQ(seen, (std::vector<int>{1, 1}));
}

TEST(DataParallel, ShardsOfTheDataHoldEveryImageOnce) {
  ScratchDir dir;
  test::write_tiny_celeba(dir.path() / "faces", 11, 16, 2);
  DatasetOptions d;
  d.attributes = {"A0", "A1"};
  d.image_size = 16;
  d.split = "all";
  const auto all = FaceDataset::celeba((dir.path() / "faces").string(), d, nullptr).names();
  std::multiset<std::string> union_of_shards;
  for (int k = 0; k < 3; ++k) {
    d.shard_index = k;
    d.shard_count = 3;
    const FaceDataset shard = FaceDataset::celeba((dir.path() / "faces").string(), d, nullptr);
    EXPECT_GE(shard.size(), 3);
    for (const auto& n : shard.names()) union_of_shards.insert(n);
  }
  EXPECT_EQ(union_of_shards, std::multiset<std::string>(all.begin(), all.end()));
  EXPECT_EQ(all.size(), 11u);
}

TEST(DataParallel, OptionsAreChecked) {
  DataParallelOptions o;
  o.world_size = 2;
  o.rank = 2;
  EXPECT_THROW(check_data_parallel_options(o), UsageError);
  o.rank = 1;
  o.master_port = 0;
  EXPECT_THROW(check_data_parallel_options(o), UsageError);
  o.master_port = 29500;
  EXPECT_NO_THROW(check_data_parallel_options(o));

  setenv("WORLD_SIZE", "two", 1);
  EXPECT_THROW(data_parallel_from_environment(), UsageError);
  setenv("WORLD_SIZE", "4", 1);
  setenv("RANK", "3", 1);
  EXPECT_EQ(data_parallel_from_environment().rank, 3);
  EXPECT_EQ(data_parallel_from_environment().world_size, 4);
  unsetenv("WORLD_SIZE");
  unsetenv("RANK");
}

}  // namespace idef
