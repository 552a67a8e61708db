#include "training/attr_defence_trainer.h"

#include <algorithm>
#include <random>

#include "core/error.h"
#include "data/face_dataset.h"
#include "losses/gan.h"
#include "model/model_file.h"
#include "training/input_diversity.h"
#include "training/stage_b.h"

namespace idef {

namespace {

nets::StarGanDiscriminator same_discriminator(const nets::StarGanDiscriminator& d) {
  const int conv_dim = static_cast<int>(d->main->parameters()[0].size(0));
  const int c_dim = static_cast<int>(d->cls->options.out_channels());
  return nets::StarGanDiscriminator(d->image_size, conv_dim, c_dim, d->repeat_num);
}

torch::optim::AdamOptions adam(double lr, const StarGanSettings& s) {
  return torch::optim::AdamOptions(lr).betas({s.beta1, s.beta2});
}

}  // namespace

AttrDefenceTrainer::Member::Member(Surrogate s, const StarGanSettings& settings)
    : trainer(s.sm, s.da, settings), sm_prev(nets::make_editor(s.sm->config())), da_prev(same_discriminator(s.da)) {
  const auto device = s.sm->parameters()[0].device();
  sm_prev->to(device);
  da_prev->to(device);
  copy_weights(*s.sm, *sm_prev);
  copy_weights(*s.da, *da_prev);
}

AttrDefenceTrainer::AttrDefenceTrainer(nets::Editor sm, nets::StarGanDiscriminator da, nets::Translator pg,
                                       nets::StarGanDiscriminator db, AttrDefenceSettings settings)
    : AttrDefenceTrainer(std::vector<Surrogate>{Surrogate{std::move(sm), std::move(da)}}, std::move(pg),
                         std::move(db), std::move(settings)) {}

AttrDefenceTrainer::AttrDefenceTrainer(std::vector<Surrogate> surrogates, nets::Translator pg,
                                       nets::StarGanDiscriminator db, AttrDefenceSettings settings)
    : settings_(std::move(settings)),
      pg_(std::move(pg)),
      best_(pg_),
      critic_(std::move(db), settings_.lr_db, settings_.stage_a.beta1, settings_.stage_a.beta2, settings_.lambda_gp),
      pg_opt_(pg_->parameters(), adam(settings_.lr_pg, settings_.stage_a)) {
  if (settings_.attributes.empty()) throw Error("the defence needs at least one attribute domain");
  if (surrogates.empty()) throw Error("the defence needs at least one surrogate");
  for (const auto& s : surrogates) {
    if (static_cast<std::size_t>(s.sm->config().c_dim) != settings_.attributes.size())
      throw Error("the surrogate's domain count differs from the attributes");
    members_.push_back(std::make_unique<Member>(s, settings_.stage_a));
  }
}

std::map<std::string, double> AttrDefenceTrainer::surrogate_step(std::int64_t iteration, const torch::Tensor& x,
                                                                 const torch::Tensor& c) {
  std::map<std::string, double> named;
  for (std::size_t k = 0; k < members_.size(); ++k) {
    Member& m = *members_[k];
    if (settings_.tde) {
      copy_weights(*m.trainer.generator(), *m.sm_prev);
      copy_weights(*m.trainer.discriminator(), *m.da_prev);
    }
    auto step = m.trainer.step(iteration, x, c);
    if (k == 0)
      for (const auto& [key, value] : step) named[(key.rfind("G/", 0) == 0 ? "SM/" : "DA/") + key.substr(2)] = value;
  }
  return named;
}

std::map<std::string, double> AttrDefenceTrainer::perturbation_step(const torch::Tensor& x, const torch::Tensor& c,
                                                                    bool use_previous, std::uint64_t draw) {
  pg_->train();
  PerturbationModel pg = perturbation_model(false);
  torch::Tensor x_protected = apply_perturbation(pg, x, settings_.epsilon, settings_.tau);

  // DB: the WGAN-GP critic that tells x' from x.
  std::map<std::string, double> losses = critic_.step(x, x_protected);

  // PG: L_A→B + L'_A→B + λ·L_adv, L_A→B (with its L'_A→B) combined over the surrogates.
  std::vector<torch::nn::Module*> frozen_modules{critic_.network().get()};
  for (auto& m : members_)
    for (torch::nn::Module* module : std::initializer_list<torch::nn::Module*>{
             m->trainer.generator().get(), m->trainer.discriminator().get(), m->sm_prev.get(), m->da_prev.get()})
      frozen_modules.push_back(module);
  Frozen frozen(frozen_modules);
  std::mt19937_64 rng(settings_.seed * 0x9E3779B97F4A7C15ULL + draw);
  torch::Tensor x_seen = x, x_protected_seen = x_protected;  // what the surrogates see
  if (settings_.input_diversity > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < settings_.input_diversity) {
    const RandomView view = draw_random_view(rng, x.size(2), x.size(3));
    x_seen = apply_view(x, view);
    x_protected_seen = apply_view(x_protected, view);
  }
  std::vector<torch::Tensor> targets = target_domain_labels(c, settings_.attributes);
  std::vector<std::int64_t> subset;  // empty: every domain
  const auto domains = static_cast<std::int64_t>(targets.size());
  if (settings_.domains_per_step > 0 && settings_.domains_per_step < domains) {
    std::vector<std::int64_t> order(static_cast<std::size_t>(domains));
    for (std::int64_t j = 0; j < domains; ++j) order[static_cast<std::size_t>(j)] = j;
    std::shuffle(order.begin(), order.end(), rng);
    subset.assign(order.begin(), order.begin() + settings_.domains_per_step);
  }
  std::vector<torch::Tensor> member_losses;
  for (std::size_t k = 0; k < members_.size(); ++k) {
    Member& m = *members_[k];
    losses::InfluenceTerms now = losses::attr_influence_loss(*m.trainer.generator(), *m.trainer.discriminator(), x_seen,
                                                             x_protected_seen, c, targets, settings_.influence, subset);
    torch::Tensor member = now.total;
    if (use_previous) {
      losses::InfluenceTerms before = losses::attr_influence_loss(*m.sm_prev, *m.da_prev, x_seen, x_protected_seen, c,
                                                                  targets, settings_.influence, subset);
      member = member + before.total;
      if (k == 0) losses["PG/L_AB_prev"] = before.total.item<double>();
    }
    if (k == 0) {
      losses["PG/L_bs"] = now.basic.item<double>();
      losses["PG/L_cyc"] = now.cycle.item<double>();
      losses["PG/L_dom"] = now.domain.item<double>();
      losses["PG/L_AB"] = now.total.item<double>();
    }
    member_losses.push_back(member);
  }
  torch::Tensor influence = losses::ensemble_influence(member_losses, settings_.ensemble);
  torch::Tensor adv = critic_.adversarial_loss(x_protected);
  torch::Tensor loss = influence + settings_.lambda_adv * adv;
  pg_opt_.zero_grad();
  loss.backward();
  parallel_->average_gradients(*pg_);
  pg_opt_.step();
  if (members_.size() > 1) losses["PG/L_ensemble"] = influence.item<double>();
  losses["PG/L_adv"] = adv.item<double>();
  losses["PG/loss"] = loss.item<double>();
  return losses;
}

void AttrDefenceTrainer::set_data_parallel(const DataParallel& parallel) {
  parallel_ = &parallel;
  for (auto& m : members_) {
    m->trainer.set_data_parallel(parallel);
    parallel.broadcast(*m->sm_prev);
    parallel.broadcast(*m->da_prev);
  }
  parallel.broadcast(*pg_);
  critic_.set_data_parallel(parallel);
}

torch::Tensor AttrDefenceTrainer::protect(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  pg_->eval();  // a BatchNorm PG protects with its running statistics, as id-poison will
  torch::Tensor x_protected = apply_perturbation(perturbation_model(false), x, settings_.epsilon, settings_.tau);
  pg_->train();
  return x_protected;
}

double AttrDefenceTrainer::validate(const torch::Tensor& x, const torch::Tensor& c) {
  torch::NoGradGuard no_grad;
  // Every rank then judges rank 0's PG, running BatchNorm statistics included.
  parallel_->broadcast(*pg_);
  torch::Tensor x_protected = protect(x);
  double sum = 0;
  std::vector<torch::Tensor> targets = target_domain_labels(c, settings_.attributes);
  for (auto& m : members_) {
    nets::Editor sm = m->trainer.generator();
    for (const auto& t : targets) sum += torch::mse_loss(sm->forward(x, t), sm->forward(x_protected, t)).item<double>();
  }
  double distance = sum / static_cast<double>(targets.size() * members_.size());
  best_.offer(pg_, distance, iteration_);
  return distance;
}

PerturbationModel AttrDefenceTrainer::perturbation_model(bool best) const {
  PerturbationModel m;
  m.generator = best ? best_.network() : pg_;
  m.task = "attr";
  m.epsilon = settings_.epsilon;
  m.tau = settings_.tau;
  return m;
}

void AttrDefenceTrainer::save_state(ModelFile& file) {
  for (std::size_t k = 0; k < members_.size(); ++k) {
    members_[k]->trainer.save_state(file, section(k));
    file.set_module(section(k) + "previous.G", *members_[k]->sm_prev);
    file.set_module(section(k) + "previous.D", *members_[k]->da_prev);
  }
  file.set_module("B.PG", *pg_);
  best_.save_state(file);
  critic_.save_state(file);
  file.set_optimizer("B.optimizer.PG", pg_opt_);
}

void AttrDefenceTrainer::load_state(const ModelFile& file) {
  for (std::size_t k = 0; k < members_.size(); ++k) {
    members_[k]->trainer.load_state(file, section(k));
    file.load_module(section(k) + "previous.G", *members_[k]->sm_prev);
    file.load_module(section(k) + "previous.D", *members_[k]->da_prev);
  }
  file.load_module("B.PG", *pg_);
  best_.load_state(file);
  critic_.load_state(file);
  file.load_optimizer("B.optimizer.PG", pg_opt_);
}

}  // namespace idef
