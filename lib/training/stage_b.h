// What the two defences' stage B share (docs/method.md, docs/reenactment.md): the WGAN-GP
// critic DB that keeps x' looking like x, PG_best (the generator whose validation distance is
// the largest so far), and two helpers for the networks around PG.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "nets/discriminators.h"
#include "nets/translator.h"
#include "training/data_parallel.h"

namespace idef {

class Metadata;
class ModelFile;

// The networks of a defence run as its checkpoints and its model record them.
void describe_defence_networks(Metadata& meta, const std::string& task, const std::string& surrogate_arch,
                               int surrogate_width, int surrogate_d_width, int db_width,
                               const nets::TranslatorConfig& generator);

// A checkpoint may be resumed only if its metadata has every key of `expected` with the same
// value; otherwise an InputError names the first key that differs.
void require_same_run(const ModelFile& ckpt, const Metadata& expected);

// Copies parameters and buffers between networks of one architecture.
void copy_weights(torch::nn::Module& from, torch::nn::Module& to);

// While alive, the modules' parameters take no gradient: PG's loss goes through the
// surrogates and the critic without paying for their weight gradients.
class Frozen {
 public:
  explicit Frozen(const std::vector<torch::nn::Module*>& modules);
  ~Frozen();
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;

 private:
  std::vector<torch::Tensor> params_;
};

// DB: a WGAN-GP critic of real x against protected x' (only the real/fake output of the
// StarGAN discriminator is used), with its Adam optimiser.
class PerturbationCritic {
 public:
  PerturbationCritic(nets::StarGanDiscriminator db, double lr, double beta1, double beta2, double lambda_gp);
  // A critic step; keys "DB/loss_real", "DB/loss_fake", "DB/loss_gp".
  std::map<std::string, double> step(const torch::Tensor& x, const torch::Tensor& x_protected);
  // L_adv for PG: −mean DB(x'), differentiable with respect to x'.
  torch::Tensor adversarial_loss(const torch::Tensor& x_protected);
  nets::StarGanDiscriminator network() const { return db_; }
  // Data-parallel: DB from rank 0 now, its gradients averaged before every step.
  void set_data_parallel(const DataParallel& parallel);
  // Sections "B.DB" and "B.optimizer.DB".
  void save_state(ModelFile& file);
  void load_state(const ModelFile& file);

 private:
  nets::StarGanDiscriminator db_;
  torch::optim::Adam opt_;
  double lambda_gp_;
  const DataParallel* parallel_ = &single_process();
};

// PG_best: a copy of PG taken whenever a validation distance beats the best so far.
class BestGenerator {
 public:
  explicit BestGenerator(const nets::Translator& pg);
  // Keeps a copy of `pg` if `distance` is the largest so far; true if it was.
  bool offer(const nets::Translator& pg, double distance, std::int64_t iteration);
  nets::Translator network() const { return best_; }
  double distance() const { return distance_; }
  std::int64_t iteration() const { return iteration_; }
  // Section "B.PG_best" and training.best_distance / training.best_iteration.
  void save_state(ModelFile& file);
  void load_state(const ModelFile& file);

 private:
  nets::Translator best_;
  double distance_ = -1;
  std::int64_t iteration_ = 0;
};

}  // namespace idef
