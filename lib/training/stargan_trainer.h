// StarGAN's training recipe for any editor architecture (the forger's model M, and the
// surrogate SM in stage A of the defence): WGAN-GP with n_critic critic steps per
// generator step, domain classification, cycle reconstruction, Adam, and a linear
// learning-rate decay to zero over the last `decay_iterations`.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include <torch/torch.h>

#include "nets/discriminators.h"
#include "nets/editor.h"
#include "training/data_parallel.h"

namespace idef {

class ModelFile;

struct StarGanSettings {
  double lr_g = 1e-4, lr_d = 1e-4, beta1 = 0.5, beta2 = 0.999;
  int n_critic = 5;
  double lambda_cls = 1, lambda_rec = 10, lambda_gp = 10;
  // Identity term |G(x, c) − x| for the input's own labels (CycleGAN's identity loss; not in
  // StarGAN's recipe, hence 0 by default). It makes small editors keep what they are not
  // asked to change, which the cycle term alone teaches only slowly.
  double lambda_id = 0;
  std::int64_t iterations = 200000, decay_iterations = 100000;
  // Iterations at the start in which only the generator trains, on the identity loss alone
  // (not in StarGAN's recipe, hence 0). StarGAN's InstanceNorm discards each image's mean
  // colour, which the network then has to recover from the zero-padded borders; under the
  // adversarial loss a small editor learns that slowly (grey backgrounds after thousands of
  // iterations), as a plain autoencoder it learns it several times faster.
  std::int64_t warmup_iterations = 0;
  // Decay the learning rate linearly to 0 over the warm-up's last N iterations too (0: the
  // warm-up follows the run's schedule); the adversarial phase then starts again from the full
  // rate. So one run does both phases with a decay each, the schedule measured best for the
  // benchmark's editors (res6, batch 2: val recon L1 0.031 after 96000 warm-up iterations
  // decayed over the last 32000; after 24000 adversarial ones, edits 11.9% closer to the true
  // counterfactual than the input is).
  std::int64_t warmup_decay_iterations = 0;
  // Weight of the generator's adversarial term (StarGAN: 1). The critic's gradient per
  // pixel is about ten times the L1 terms' at 64 px, and it pulls a small editor's
  // colours towards grey; below 1 the edits come from the classification term.
  double lambda_adv = 1;
  // Weight of |G(x, c') − x| on the edits themselves (not in StarGAN's recipe, hence 0): the
  // classification term asks for the new attribute, this one for no change beyond it. Small
  // editors otherwise shift colours all over the picture with every edit.
  double lambda_edit = 0;
};

class StarGanTrainer {
 public:
  StarGanTrainer(nets::Editor generator, nets::StarGanDiscriminator discriminator, StarGanSettings settings);

  // One iteration (0-based): a critic step on (x_real, label_org) and, every n_critic
  // iterations, a generator step (during the warm-up: a generator step on the identity
  // loss only, "G/loss_id"). Target labels are label_org shuffled across the batch,
  // as in StarGAN. Returns the losses of the steps taken ("D/loss_real", "G/loss_rec", ...).
  std::map<std::string, double> step(std::int64_t iteration, const torch::Tensor& x_real,
                                     const torch::Tensor& label_org);

  // The learning-rate factor at an iteration: 1, then linear to 0 over the last decay_iterations
  // (in the warm-up, over its last warmup_decay_iterations when that is set).
  double lr_factor(std::int64_t iteration) const;

  // Data-parallel training: gradients averaged over the ranks before every step, and the
  // networks taken from rank 0 now (call it once the weights are loaded).
  void set_data_parallel(const DataParallel& parallel);

  nets::Editor generator() const { return g_; }
  nets::StarGanDiscriminator discriminator() const { return d_; }
  const StarGanSettings& settings() const { return settings_; }

  // Networks and optimizer states into / out of a checkpoint (sections "G", "D",
  // "optimizer.G", "optimizer.D", under `prefix`).
  void save_state(ModelFile& file, const std::string& prefix = "") ;
  void load_state(const ModelFile& file, const std::string& prefix = "");

 private:
  nets::Editor g_;
  nets::StarGanDiscriminator d_;
  StarGanSettings settings_;
  torch::optim::Adam g_opt_, d_opt_;
  const DataParallel* parallel_ = &single_process();
};

}  // namespace idef
