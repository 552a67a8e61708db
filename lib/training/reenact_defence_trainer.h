// The two-stage training of the reenactment defence (docs/reenactment.md, paper Figure 2),
// one iteration at a time:
//   stage A — a pix2pix step of the surrogate SM (and its PatchGAN) on clean pairs (z, x);
//   stage B — a WGAN-GP critic step of DB (real x, fake x'), then a step of PG on
//             L_PG = L_A→B + λ·L_adv, where L_A→B (eq. 11, with the face mask) compares SM
//             with M': the temporary model TM evaluated with θ' = θ − η·∇θ L_inner(TM(z), x'),
//             unrolled with the graph kept so that the gradient reaches PG; then TM itself
//             takes a pix2pix step on (z, x'), as the forger's model would.
// TM starts from SM's initial weights (alternating) or from the trained SM (--no-alternate),
// and sees the same batches with the same random draws as SM: whatever separates TM from SM
// is the perturbation's doing. The validation distance of PG_best is that separation on
// held-out frames, mean |TM(z) − SM(z)| over the face: the paper's Table 2 measure.
#pragma once
#include <cstdint>
#include <map>
#include <string>

#include <torch/torch.h>

#include "defence/perturbation_model.h"
#include "losses/reenact_defence.h"
#include "nets/discriminators.h"
#include "nets/translator.h"
#include "training/pix2pix_trainer.h"
#include "training/stage_b.h"

namespace idef {

class ModelFile;

struct ReenactDefenceSettings {
  Pix2PixSettings stage_a;                // SM and TM, each with its PatchGAN (the forger's recipe)
  double lr_pg = 2e-4, lr_db = 2e-4;      // stage B, Adam with stage_a's betas
  double epsilon = 0.02, tau = 0.02;      // x' = clamp(x + ε·PG(x)) within τ of x
  losses::UnrolledUpdate unrolled;        // k steps of η, smooth inner loss
  double lambda_adv = 0.01, lambda_gp = 10;
  bool mask = true;                       // weigh L_A→B by the face mask m(x) (false: --no-mask)
  // Probability per stage-B step that TM learns from a random view of x' (input_diversity.h)
  // instead of x' itself: the forger re-aligns each protected frame by its own landmarks,
  // which moves the crop by a fraction of a pixel or more (0: never).
  double input_diversity = 0;
  std::uint64_t seed = 1;                 // the views' draws, with the iteration
};

class ReenactDefenceTrainer {
 public:
  // sm_d and tm_d: PatchGANs over (sketch, frame); db: the critic of x' (real/fake head only).
  ReenactDefenceTrainer(nets::Translator sm, nets::PatchDiscriminator sm_d, nets::Translator tm,
                        nets::PatchDiscriminator tm_d, nets::Translator pg, nets::StarGanDiscriminator db,
                        ReenactDefenceSettings settings);

  // Stage A: SM's pix2pix step. Keys "SM/…", "SD/…".
  std::map<std::string, double> surrogate_step(std::int64_t iteration, const torch::Tensor& z, const torch::Tensor& x);
  // Stage B on clean frames x with sketches z and face masks m: DB, PG, then TM's own step at
  // `iteration` (its learning-rate schedule). Keys "DB/…", "PG/…", "TM/…".
  std::map<std::string, double> perturbation_step(std::int64_t iteration, const torch::Tensor& z,
                                                  const torch::Tensor& x, const torch::Tensor& mask);
  // TM (and its PatchGAN) become copies of SM (and its): --no-alternate's start of stage B.
  void start_temporary_from_surrogate();
  // SM and TM (and their PatchGANs) both start over from `g`'s and `d`'s weights, with empty
  // optimizer states: the forger's training seen again from its beginning (--restart-every).
  void restart_surrogates(nets::TranslatorImpl& g, nets::PatchDiscriminatorImpl& d);

  torch::Tensor protect(const torch::Tensor& x);  // x' of the current PG, no gradient
  // mean |TM(z) − SM(z)| over the face (m-weighted) on held-out frames; PG_best becomes PG
  // when it beats the best so far. Returns the distance.
  double validate(const torch::Tensor& z, const torch::Tensor& mask);
  void set_iteration(std::int64_t iteration) { iteration_ = iteration; }

  // Data-parallel training: every network taken from rank 0 now (call it once the weights are
  // loaded), gradients averaged over the ranks before every step.
  void set_data_parallel(const DataParallel& parallel);
  double best_distance() const { return best_.distance(); }
  std::int64_t best_iteration() const { return best_.iteration(); }

  nets::Translator surrogate() const { return clean_.generator(); }
  nets::Translator temporary() const { return poisoned_.generator(); }
  nets::Translator generator() const { return pg_; }
  PerturbationModel perturbation_model(bool best) const;
  const ReenactDefenceSettings& settings() const { return settings_; }

  void save_state(ModelFile& file);
  void load_state(const ModelFile& file);

 private:
  ReenactDefenceSettings settings_;
  Pix2PixTrainer clean_, poisoned_;  // (SM, SD) on x and (TM, TD) on x'
  nets::Translator pg_;
  BestGenerator best_;
  PerturbationCritic critic_;
  torch::optim::Adam pg_opt_;
  const DataParallel* parallel_ = &single_process();
  std::int64_t iteration_ = 0;
};

}  // namespace idef
