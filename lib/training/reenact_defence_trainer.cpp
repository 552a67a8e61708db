#include "training/reenact_defence_trainer.h"

#include "core/error.h"
#include "model/model_file.h"
#include "nets/substitution.h"
#include "training/input_diversity.h"

namespace idef {

ReenactDefenceTrainer::ReenactDefenceTrainer(nets::Translator sm, nets::PatchDiscriminator sm_d, nets::Translator tm,
                                             nets::PatchDiscriminator tm_d, nets::Translator pg,
                                             nets::StarGanDiscriminator db, ReenactDefenceSettings settings)
    : settings_(std::move(settings)),
      clean_(std::move(sm), std::move(sm_d), settings_.stage_a),
      poisoned_(std::move(tm), std::move(tm_d), settings_.stage_a),
      pg_(std::move(pg)),
      best_(pg_),
      critic_(std::move(db), settings_.lr_db, settings_.stage_a.beta1, settings_.stage_a.beta2, settings_.lambda_gp),
      pg_opt_(pg_->parameters(),
              torch::optim::AdamOptions(settings_.lr_pg).betas({settings_.stage_a.beta1, settings_.stage_a.beta2})) {
  // Whatever separates TM from SM must be the perturbation's doing: the same start.
  copy_weights(*clean_.generator(), *poisoned_.generator());
  copy_weights(*clean_.discriminator(), *poisoned_.discriminator());
}

void ReenactDefenceTrainer::start_temporary_from_surrogate() {
  copy_weights(*clean_.generator(), *poisoned_.generator());
  copy_weights(*clean_.discriminator(), *poisoned_.discriminator());
}

void ReenactDefenceTrainer::restart_surrogates(nets::TranslatorImpl& g, nets::PatchDiscriminatorImpl& d) {
  clean_.restart_from(g, d);
  poisoned_.restart_from(g, d);
}

std::map<std::string, double> ReenactDefenceTrainer::surrogate_step(std::int64_t iteration, const torch::Tensor& z,
                                                                    const torch::Tensor& x) {
  std::map<std::string, double> named;
  for (const auto& [key, value] : clean_.step(iteration, z, x))
    named[(key.rfind("G/", 0) == 0 ? "SM/" : "SD/") + key.substr(2)] = value;
  return named;
}

std::map<std::string, double> ReenactDefenceTrainer::perturbation_step(std::int64_t iteration, const torch::Tensor& z,
                                                                       const torch::Tensor& x,
                                                                       const torch::Tensor& mask) {
  pg_->train();
  torch::Tensor x_protected = apply_perturbation(perturbation_model(false), x, settings_.epsilon, settings_.tau);
  std::map<std::string, double> losses = critic_.step(x, x_protected);
  // What TM trains on: x', or the forger's view of it (re-aligned: shifted, rescaled, blurred).
  torch::Tensor x_learnt = x_protected;
  std::mt19937_64 rng(settings_.seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(iteration));
  if (settings_.input_diversity > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < settings_.input_diversity)
    x_learnt = apply_view(x_protected, draw_random_view(rng, x.size(2), x.size(3)));

  nets::Translator tm = poisoned_.generator();
  torch::Tensor m = settings_.mask ? mask : torch::ones_like(mask);
  torch::Tensor influence;
  {
    Frozen frozen({clean_.generator().get(), clean_.discriminator().get(), poisoned_.discriminator().get(),
                   critic_.network().get()});
    torch::Tensor sm_output;
    {
      torch::NoGradGuard no_grad;
      sm_output = clean_.generator()->forward(z);
    }
    // TM's parameters stay trainable: the unrolled update differentiates with respect to them.
    auto theta = losses::unrolled_parameters(*tm, z, x_learnt, settings_.unrolled);
    torch::Tensor m_prime;
    {
      nets::ParameterSubstitution with_updated(*tm, theta);
      m_prime = tm->forward(z);
    }
    influence = losses::reenact_influence_loss(sm_output, m_prime, x, m);
    torch::Tensor adv = critic_.adversarial_loss(x_protected);
    torch::Tensor loss = influence + settings_.lambda_adv * adv;
    pg_opt_.zero_grad();
    loss.backward();
    parallel_->average_gradients(*pg_);
    pg_opt_.step();
    losses["PG/L_AB"] = influence.item<double>();
    losses["PG/L_adv"] = adv.item<double>();
    losses["PG/loss"] = loss.item<double>();
  }
  // TM learns from the protected frames as the forger's model would (its gradients from PG's
  // backward pass are cleared by its own step).
  for (const auto& [key, value] : poisoned_.step(iteration, z, x_learnt.detach()))
    losses[(key.rfind("G/", 0) == 0 ? "TM/" : "TD/") + key.substr(2)] = value;
  return losses;
}

torch::Tensor ReenactDefenceTrainer::protect(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  pg_->eval();
  torch::Tensor x_protected = apply_perturbation(perturbation_model(false), x, settings_.epsilon, settings_.tau);
  pg_->train();
  return x_protected;
}

void ReenactDefenceTrainer::set_data_parallel(const DataParallel& parallel) {
  parallel_ = &parallel;
  clean_.set_data_parallel(parallel);
  poisoned_.set_data_parallel(parallel);
  critic_.set_data_parallel(parallel);
  parallel.broadcast(*pg_);
}

double ReenactDefenceTrainer::validate(const torch::Tensor& z, const torch::Tensor& mask) {
  torch::NoGradGuard no_grad;
  // Every rank judges rank 0's networks, running BatchNorm statistics included.
  for (torch::nn::Module* m : std::initializer_list<torch::nn::Module*>{pg_.get(), clean_.generator().get(),
                                                                         poisoned_.generator().get()})
    parallel_->broadcast(*m);
  const torch::Tensor difference = (poisoned_.generator()->forward(z) - clean_.generator()->forward(z)).abs();
  const double distance = ((difference * mask).mean() / mask.mean()).item<double>();
  best_.offer(pg_, distance, iteration_);
  return distance;
}

PerturbationModel ReenactDefenceTrainer::perturbation_model(bool best) const {
  PerturbationModel m;
  m.generator = best ? best_.network() : pg_;
  m.task = "reenact";
  m.epsilon = settings_.epsilon;
  m.tau = settings_.tau;
  return m;
}

void ReenactDefenceTrainer::save_state(ModelFile& file) {
  clean_.save_state(file, "A.");
  poisoned_.save_state(file, "TM.");
  file.set_module("B.PG", *pg_);
  file.set_optimizer("B.optimizer.PG", pg_opt_);
  best_.save_state(file);
  critic_.save_state(file);
}

void ReenactDefenceTrainer::load_state(const ModelFile& file) {
  clean_.load_state(file, "A.");
  poisoned_.load_state(file, "TM.");
  file.load_module("B.PG", *pg_);
  file.load_optimizer("B.optimizer.PG", pg_opt_);
  best_.load_state(file);
  critic_.load_state(file);
}

}  // namespace idef
