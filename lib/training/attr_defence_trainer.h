// The two-stage alternating training of the attribute-editing defence (docs/method.md, paper
// Algorithm 1), one iteration at a time:
//   stage A — a StarGAN step of the surrogate SM and its discriminator DA on clean x;
//   stage B — a WGAN-GP critic step of DB (real x, fake x'), then a step of the perturbation
//             generator PG on  L_PG = L_A→B(SM, DA) + L'_A→B(SM_prev, DA_prev) + λ·L_adv,
//             where SM_prev, DA_prev are the weights before this iteration's stage A (TDE).
// PG_best, the PG with the largest validation distance so far, is kept beside PG.
//
// Transfer switches (the protection issue): an ensemble of surrogates, each trained in
// stage A on the same batches from its own initial weights (and architecture), their
// L_A→B combined by mean or worst case; input diversity (the same random view of x and x'
// before the surrogates see them, with some probability per step).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "defence/perturbation_model.h"
#include "losses/attr_defence.h"
#include "nets/discriminators.h"
#include "nets/editor.h"
#include "nets/translator.h"
#include "training/stage_b.h"
#include "training/stargan_trainer.h"

namespace idef {

class ModelFile;

struct AttrDefenceSettings {
  std::vector<std::string> attributes;  // the domain labels, in order
  StarGanSettings stage_a;             // SM and DA (stage A, docs/method.md)
  double lr_pg = 1e-4, lr_db = 1e-4;   // stage B, Adam with stage_a's betas
  double epsilon = 0.05, tau = 0.05;   // x' = clamp(x + ε·PG(x)) within τ of x
  losses::InfluenceWeights influence;  // λ2, λ3, λ4
  double lambda_adv = 0.01;            // λ of L_B (the authors' code uses 0.001)
  double lambda_gp = 10;               // λ1, DB's gradient penalty
  bool tde = true;                     // add L'_A→B of the previous SM and DA
  int domains_per_step = 0;            // > 0: L_A→B on that many random domains per step (an unbiased estimate)
  losses::EnsembleRule ensemble = losses::EnsembleRule::Mean;  // with more than one surrogate
  double input_diversity = 0;          // probability of a random view per PG step (0: never)
  std::uint64_t seed = 1;              // draws of the domain subset and the random views
};

// One surrogate of the ensemble: the editor SM and its discriminator DA.
struct Surrogate {
  nets::Editor sm;
  nets::StarGanDiscriminator da{nullptr};
};

class AttrDefenceTrainer {
 public:
  AttrDefenceTrainer(std::vector<Surrogate> surrogates, nets::Translator pg, nets::StarGanDiscriminator db,
                     AttrDefenceSettings settings);
  AttrDefenceTrainer(nets::Editor sm, nets::StarGanDiscriminator da, nets::Translator pg,
                     nets::StarGanDiscriminator db, AttrDefenceSettings settings);

  // Stage A at `iteration` (0-based, for the learning-rate decay and n_critic) for every
  // surrogate, after keeping the current SM and DA as the previous ones when TDE is on.
  // Keys "SM/…", "DA/…" (the first surrogate's).
  std::map<std::string, double> surrogate_step(std::int64_t iteration, const torch::Tensor& x,
                                               const torch::Tensor& c);

  // Stage B on clean x with labels c. `use_previous` adds TDE's L'_A→B (only meaningful
  // after a surrogate_step). `draw` picks the step's random draws (the input-diversity view,
  // the domain subset): the training loop passes a number of its own per step, so that a
  // resumed run repeats them. Keys "DB/…", "PG/…".
  std::map<std::string, double> perturbation_step(const torch::Tensor& x, const torch::Tensor& c,
                                                  bool use_previous, std::uint64_t draw = 0);

  // x' of the current PG (no gradient).
  torch::Tensor protect(const torch::Tensor& x);

  // The validation distance of the current PG on a fixed held-out batch: the mean over
  // target domains of L2(SM(x, c_j), SM(x', c_j)). If it beats the best so far, PG_best
  // becomes a copy of PG. Returns the distance.
  double validate(const torch::Tensor& x, const torch::Tensor& c);
  double best_distance() const { return best_.distance(); }
  std::int64_t best_iteration() const { return best_.iteration(); }
  void set_iteration(std::int64_t iteration) { iteration_ = iteration; }  // for best_iteration

  // Data-parallel training: every network taken from rank 0 now (call it once the weights are
  // loaded), gradients averaged over the ranks before every step.
  void set_data_parallel(const DataParallel& parallel);

  std::size_t surrogate_count() const { return members_.size(); }
  nets::Editor surrogate(std::size_t k = 0) const { return members_.at(k)->trainer.generator(); }
  nets::StarGanDiscriminator surrogate_discriminator(std::size_t k = 0) const {
    return members_.at(k)->trainer.discriminator();
  }
  nets::Editor previous_surrogate(std::size_t k = 0) const { return members_.at(k)->sm_prev; }
  nets::StarGanDiscriminator previous_surrogate_discriminator(std::size_t k = 0) const {
    return members_.at(k)->da_prev;
  }
  nets::Translator generator() const { return pg_; }
  nets::Translator best_generator() const { return best_.network(); }
  nets::StarGanDiscriminator critic() const { return critic_.network(); }
  const AttrDefenceSettings& settings() const { return settings_; }
  PerturbationModel perturbation_model(bool best) const;

  void save_state(ModelFile& file);
  void load_state(const ModelFile& file);

 private:
  struct Member {
    Member(Surrogate s, const StarGanSettings& settings);
    StarGanTrainer trainer;  // SM and DA
    nets::Editor sm_prev;
    nets::StarGanDiscriminator da_prev{nullptr};
  };
  static std::string section(std::size_t k) { return k == 0 ? "A." : "A" + std::to_string(k) + "."; }

  AttrDefenceSettings settings_;
  std::vector<std::unique_ptr<Member>> members_;
  nets::Translator pg_;
  BestGenerator best_;
  PerturbationCritic critic_;
  torch::optim::Adam pg_opt_;
  std::int64_t iteration_ = 0;
  const DataParallel* parallel_ = &single_process();
};

}  // namespace idef
