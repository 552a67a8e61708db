// pix2pix's training recipe for a reenactment model z → x (the forger's Face2Face-style
// model M, and the defence's surrogate SM in stage A; docs/reenactment.md): a conditional
// PatchGAN sees (z, x) pairs, the generator gets the vanilla GAN loss plus λ_L1 · L1 to the
// real frame; Adam, and a linear learning-rate decay to zero over the last
// `decay_iterations`.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include <torch/torch.h>

#include "nets/discriminators.h"
#include "nets/translator.h"
#include "training/data_parallel.h"

namespace idef {

class ModelFile;

struct Pix2PixSettings {
  double lr_g = 2e-4, lr_d = 2e-4, beta1 = 0.5, beta2 = 0.999;
  double lambda_l1 = 100;
  std::int64_t iterations = 20000, decay_iterations = 10000;
};

class Pix2PixTrainer {
 public:
  // The discriminator must take 2 × the translator's channels (sketch and frame side by side).
  Pix2PixTrainer(nets::Translator generator, nets::PatchDiscriminator discriminator, Pix2PixSettings settings);

  // One iteration (0-based): a discriminator step on real (z, x) and fake (z, G(z)) pairs,
  // then a generator step. Returns "D/loss_real", "D/loss_fake", "G/loss_gan", "G/loss_l1".
  std::map<std::string, double> step(std::int64_t iteration, const torch::Tensor& z, const torch::Tensor& x);

  double lr_factor(std::int64_t iteration) const;

  // Data-parallel training: gradients averaged over the ranks before every step, and the
  // networks taken from rank 0 now (call it once the weights are loaded).
  void set_data_parallel(const DataParallel& parallel);

  nets::Translator generator() const { return g_; }
  nets::PatchDiscriminator discriminator() const { return d_; }
  const Pix2PixSettings& settings() const { return settings_; }

  // Starts over from `g`'s and `d`'s weights (networks of this trainer's architectures),
  // with empty optimizer states: a training run begun afresh.
  void restart_from(nets::TranslatorImpl& g, nets::PatchDiscriminatorImpl& d);

  // Networks and optimizer states into / out of a checkpoint (sections "G", "D",
  // "optimizer.G", "optimizer.D", under `prefix`).
  void save_state(ModelFile& file, const std::string& prefix = "");
  void load_state(const ModelFile& file, const std::string& prefix = "");

 private:
  nets::Translator g_;
  nets::PatchDiscriminator d_;
  Pix2PixSettings settings_;
  torch::optim::Adam g_opt_, d_opt_;
  const DataParallel* parallel_ = &single_process();
};

}  // namespace idef
