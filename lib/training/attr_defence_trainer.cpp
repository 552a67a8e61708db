#include "training/attr_defence_trainer.h"

#include <algorithm>
#include <random>

#include "core/error.h"
#include "data/face_dataset.h"
#include "losses/gan.h"
#include "model/model_file.h"
#include "training/input_diversity.h"

namespace idef {

namespace {

// Copies parameters and buffers of equal architectures.
void copy_weights(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto src = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(src[p.key()]);
  auto src_buffers = from.named_buffers();
  for (auto& b : to.named_buffers()) b.value().copy_(src_buffers[b.key()]);
}

// While alive, the modules' parameters take no gradient: PG's loss goes through the
// surrogate and the critics without paying for their weight gradients.
class Frozen {
 public:
  explicit Frozen(std::vector<torch::nn::Module*> modules) {
    for (auto* m : modules)
      for (auto& p : m->parameters())
        if (p.requires_grad()) {
          p.requires_grad_(false);
          params_.push_back(p);
        }
  }
  ~Frozen() {
    for (auto& p : params_) p.requires_grad_(true);
  }
  Frozen(const Frozen&) = delete;
  Frozen& operator=(const Frozen&) = delete;

 private:
  std::vector<torch::Tensor> params_;
};

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
      pg_best_(nets::make_translator(pg_->config())),
      db_(std::move(db)),
      pg_opt_(pg_->parameters(), adam(settings_.lr_pg, settings_.stage_a)),
      db_opt_(db_->parameters(), adam(settings_.lr_db, settings_.stage_a)) {
  if (settings_.attributes.empty()) throw Error("the defence needs at least one attribute domain");
  if (surrogates.empty()) throw Error("the defence needs at least one surrogate");
  for (const auto& s : surrogates) {
    if (static_cast<std::size_t>(s.sm->config().c_dim) != settings_.attributes.size())
      throw Error("the surrogate's domain count differs from the attributes");
    members_.push_back(std::make_unique<Member>(s, settings_.stage_a));
  }
  pg_best_->to(pg_->parameters()[0].device());
  copy_weights(*pg_, *pg_best_);
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
  db_->train();
  std::map<std::string, double> losses;
  PerturbationModel pg = perturbation_model(false);
  torch::Tensor x_protected = apply_perturbation(pg, x, settings_.epsilon, settings_.tau);

  // DB: the WGAN-GP critic that tells x' from x.
  auto critic = [&](const torch::Tensor& image) { return db_->forward(image).first; };
  torch::Tensor db_real = -critic(x).mean();
  torch::Tensor db_fake = critic(x_protected.detach()).mean();
  torch::Tensor db_gp = losses::gradient_penalty(critic, x, x_protected);
  torch::Tensor db_loss = db_real + db_fake + settings_.lambda_gp * db_gp;
  db_opt_.zero_grad();
  db_loss.backward();
  db_opt_.step();
  losses["DB/loss_real"] = db_real.item<double>();
  losses["DB/loss_fake"] = db_fake.item<double>();
  losses["DB/loss_gp"] = db_gp.item<double>();

  // PG: L_A→B + L'_A→B + λ·L_adv, L_A→B (with its L'_A→B) combined over the surrogates.
  std::vector<torch::nn::Module*> frozen_modules{db_.get()};
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
  torch::Tensor adv = -critic(x_protected).mean();
  torch::Tensor loss = influence + settings_.lambda_adv * adv;
  pg_opt_.zero_grad();
  loss.backward();
  pg_opt_.step();
  if (members_.size() > 1) losses["PG/L_ensemble"] = influence.item<double>();
  losses["PG/L_adv"] = adv.item<double>();
  losses["PG/loss"] = loss.item<double>();
  return losses;
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
  torch::Tensor x_protected = protect(x);
  double sum = 0;
  std::vector<torch::Tensor> targets = target_domain_labels(c, settings_.attributes);
  for (auto& m : members_) {
    nets::Editor sm = m->trainer.generator();
    for (const auto& t : targets) sum += torch::mse_loss(sm->forward(x, t), sm->forward(x_protected, t)).item<double>();
  }
  double distance = sum / static_cast<double>(targets.size() * members_.size());
  if (distance > best_distance_) {
    best_distance_ = distance;
    best_iteration_ = iteration_;
    copy_weights(*pg_, *pg_best_);
  }
  return distance;
}

PerturbationModel AttrDefenceTrainer::perturbation_model(bool best) const {
  PerturbationModel m;
  m.generator = best ? pg_best_ : pg_;
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
  file.set_module("B.PG_best", *pg_best_);
  file.set_module("B.DB", *db_);
  file.set_optimizer("B.optimizer.PG", pg_opt_);
  file.set_optimizer("B.optimizer.DB", db_opt_);
  file.meta.set("training.best_distance", best_distance_);
  file.meta.set("training.best_iteration", best_iteration_);
}

void AttrDefenceTrainer::load_state(const ModelFile& file) {
  for (std::size_t k = 0; k < members_.size(); ++k) {
    members_[k]->trainer.load_state(file, section(k));
    file.load_module(section(k) + "previous.G", *members_[k]->sm_prev);
    file.load_module(section(k) + "previous.D", *members_[k]->da_prev);
  }
  file.load_module("B.PG", *pg_);
  file.load_module("B.PG_best", *pg_best_);
  file.load_module("B.DB", *db_);
  file.load_optimizer("B.optimizer.PG", pg_opt_);
  file.load_optimizer("B.optimizer.DB", db_opt_);
  best_distance_ = file.meta.get_double("training.best_distance");
  best_iteration_ = file.meta.get_int("training.best_iteration");
}

}  // namespace idef
