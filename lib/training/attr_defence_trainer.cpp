#include "training/attr_defence_trainer.h"

#include "core/error.h"
#include "data/face_dataset.h"
#include "losses/gan.h"
#include "model/model_file.h"

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

AttrDefenceTrainer::AttrDefenceTrainer(nets::Editor sm, nets::StarGanDiscriminator da, nets::Translator pg,
                                       nets::StarGanDiscriminator db, AttrDefenceSettings settings)
    : settings_(std::move(settings)),
      trainer_(sm, da, settings_.stage_a),
      sm_prev_(nets::make_editor(sm->config())),
      da_prev_(same_discriminator(da)),
      pg_(std::move(pg)),
      pg_best_(nets::make_translator(pg_->config())),
      db_(std::move(db)),
      pg_opt_(pg_->parameters(), adam(settings_.lr_pg, settings_.stage_a)),
      db_opt_(db_->parameters(), adam(settings_.lr_db, settings_.stage_a)) {
  if (settings_.attributes.empty()) throw Error("the defence needs at least one attribute domain");
  if (static_cast<std::size_t>(sm->config().c_dim) != settings_.attributes.size())
    throw Error("the surrogate's domain count differs from the attributes");
  const auto device = pg_->parameters()[0].device();
  sm_prev_->to(device);
  da_prev_->to(device);
  pg_best_->to(device);
  copy_weights(*sm, *sm_prev_);
  copy_weights(*da, *da_prev_);
  copy_weights(*pg_, *pg_best_);
}

std::map<std::string, double> AttrDefenceTrainer::surrogate_step(std::int64_t iteration, const torch::Tensor& x,
                                                                 const torch::Tensor& c) {
  if (settings_.tde) {
    copy_weights(*trainer_.generator(), *sm_prev_);
    copy_weights(*trainer_.discriminator(), *da_prev_);
  }
  std::map<std::string, double> named;
  for (const auto& [key, value] : trainer_.step(iteration, x, c))
    named[(key.rfind("G/", 0) == 0 ? "SM/" : "DA/") + key.substr(2)] = value;
  return named;
}

std::map<std::string, double> AttrDefenceTrainer::perturbation_step(const torch::Tensor& x, const torch::Tensor& c,
                                                                    bool use_previous) {
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

  // PG: L_A→B + L'_A→B + λ·L_adv.
  nets::Editor sm = trainer_.generator();
  nets::StarGanDiscriminator da = trainer_.discriminator();
  Frozen frozen({sm.get(), da.get(), sm_prev_.get(), da_prev_.get(), db_.get()});
  std::vector<torch::Tensor> targets = target_domain_labels(c, settings_.attributes);
  std::vector<std::int64_t> subset;  // empty: every domain
  const auto domains = static_cast<std::int64_t>(targets.size());
  if (settings_.domains_per_step > 0 && settings_.domains_per_step < domains) {
    torch::Tensor order = torch::randperm(domains, torch::kLong);
    for (int k = 0; k < settings_.domains_per_step; ++k) subset.push_back(order[k].item<std::int64_t>());
  }
  losses::InfluenceTerms now =
      losses::attr_influence_loss(*sm, *da, x, x_protected, c, targets, settings_.influence, subset);
  torch::Tensor adv = -critic(x_protected).mean();
  torch::Tensor loss = now.total + settings_.lambda_adv * adv;
  if (use_previous) {
    losses::InfluenceTerms before =
        losses::attr_influence_loss(*sm_prev_, *da_prev_, x, x_protected, c, targets, settings_.influence, subset);
    loss = loss + before.total;
    losses["PG/L_AB_prev"] = before.total.item<double>();
  }
  pg_opt_.zero_grad();
  loss.backward();
  pg_opt_.step();
  losses["PG/L_bs"] = now.basic.item<double>();
  losses["PG/L_cyc"] = now.cycle.item<double>();
  losses["PG/L_dom"] = now.domain.item<double>();
  losses["PG/L_AB"] = now.total.item<double>();
  losses["PG/L_adv"] = adv.item<double>();
  losses["PG/loss"] = loss.item<double>();
  return losses;
}

torch::Tensor AttrDefenceTrainer::protect(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  return apply_perturbation(perturbation_model(false), x, settings_.epsilon, settings_.tau);
}

double AttrDefenceTrainer::validate(const torch::Tensor& x, const torch::Tensor& c) {
  torch::NoGradGuard no_grad;
  nets::Editor sm = trainer_.generator();
  torch::Tensor x_protected = protect(x);
  double sum = 0;
  std::vector<torch::Tensor> targets = target_domain_labels(c, settings_.attributes);
  for (const auto& t : targets) sum += torch::mse_loss(sm->forward(x, t), sm->forward(x_protected, t)).item<double>();
  double distance = sum / static_cast<double>(targets.size());
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
  trainer_.save_state(file, "A.");
  file.set_module("A.previous.G", *sm_prev_);
  file.set_module("A.previous.D", *da_prev_);
  file.set_module("B.PG", *pg_);
  file.set_module("B.PG_best", *pg_best_);
  file.set_module("B.DB", *db_);
  file.set_optimizer("B.optimizer.PG", pg_opt_);
  file.set_optimizer("B.optimizer.DB", db_opt_);
  file.meta.set("training.best_distance", best_distance_);
  file.meta.set("training.best_iteration", best_iteration_);
}

void AttrDefenceTrainer::load_state(const ModelFile& file) {
  trainer_.load_state(file, "A.");
  file.load_module("A.previous.G", *sm_prev_);
  file.load_module("A.previous.D", *da_prev_);
  file.load_module("B.PG", *pg_);
  file.load_module("B.PG_best", *pg_best_);
  file.load_module("B.DB", *db_);
  file.load_optimizer("B.optimizer.PG", pg_opt_);
  file.load_optimizer("B.optimizer.DB", db_opt_);
  best_distance_ = file.meta.get_double("training.best_distance");
  best_iteration_ = file.meta.get_int("training.best_iteration");
}

}  // namespace idef
