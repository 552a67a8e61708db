#include "training/stage_b.h"

#include "core/error.h"
#include "losses/gan.h"
#include "model/model_file.h"

namespace idef {

void describe_defence_networks(Metadata& meta, const std::string& task, const std::string& surrogate_arch,
                               int surrogate_width, int surrogate_d_width, int db_width,
                               const nets::TranslatorConfig& generator) {
  meta.set("task", task);
  meta.set("surrogate.arch", surrogate_arch);
  meta.set("surrogate.width", std::int64_t{surrogate_width});
  meta.set("surrogate.d_width", std::int64_t{surrogate_d_width});
  meta.set("critic.width", std::int64_t{db_width});
  meta.set("network.arch", generator.arch);
  meta.set("network.width", std::int64_t{generator.width});
  meta.set("network.image_size", std::int64_t{generator.image_size});
}

void require_same_run(const ModelFile& ckpt, const Metadata& expected) {
  for (const auto& [key, value] : expected.values())
    if (!ckpt.meta.has(key) || ckpt.meta.values().at(key) != value)
      throw InputError(ckpt.source(), "was made with another '" + key + "'; resume with the same settings or start afresh");
}

void copy_weights(torch::nn::Module& from, torch::nn::Module& to) {
  torch::NoGradGuard no_grad;
  auto src = from.named_parameters();
  for (auto& p : to.named_parameters()) p.value().copy_(src[p.key()]);
  auto src_buffers = from.named_buffers();
  for (auto& b : to.named_buffers()) b.value().copy_(src_buffers[b.key()]);
}

Frozen::Frozen(const std::vector<torch::nn::Module*>& modules) {
  for (auto* m : modules)
    for (auto& p : m->parameters())
      if (p.requires_grad()) {
        p.requires_grad_(false);
        params_.push_back(p);
      }
}

Frozen::~Frozen() {
  for (auto& p : params_) p.requires_grad_(true);
}

PerturbationCritic::PerturbationCritic(nets::StarGanDiscriminator db, double lr, double beta1, double beta2,
                                       double lambda_gp)
    : db_(std::move(db)),
      opt_(db_->parameters(), torch::optim::AdamOptions(lr).betas({beta1, beta2})),
      lambda_gp_(lambda_gp) {}

std::map<std::string, double> PerturbationCritic::step(const torch::Tensor& x, const torch::Tensor& x_protected) {
  db_->train();
  auto critic = [&](const torch::Tensor& image) { return db_->forward(image).first; };
  torch::Tensor real = -critic(x).mean();
  torch::Tensor fake = critic(x_protected.detach()).mean();
  torch::Tensor gp = losses::gradient_penalty(critic, x, x_protected.detach());
  torch::Tensor loss = real + fake + lambda_gp_ * gp;
  opt_.zero_grad();
  loss.backward();
  parallel_->average_gradients(*db_);
  opt_.step();
  return {{"DB/loss_real", real.item<double>()}, {"DB/loss_fake", fake.item<double>()}, {"DB/loss_gp", gp.item<double>()}};
}

void PerturbationCritic::set_data_parallel(const DataParallel& parallel) {
  parallel_ = &parallel;
  parallel.broadcast(*db_);
}

torch::Tensor PerturbationCritic::adversarial_loss(const torch::Tensor& x_protected) {
  return -db_->forward(x_protected).first.mean();
}

void PerturbationCritic::save_state(ModelFile& file) {
  file.set_module("B.DB", *db_);
  file.set_optimizer("B.optimizer.DB", opt_);
}

void PerturbationCritic::load_state(const ModelFile& file) {
  file.load_module("B.DB", *db_);
  file.load_optimizer("B.optimizer.DB", opt_);
}

BestGenerator::BestGenerator(const nets::Translator& pg) : best_(nets::make_translator(pg->config())) {
  best_->to(pg->parameters()[0].device());
  copy_weights(*pg, *best_);
}

bool BestGenerator::offer(const nets::Translator& pg, double distance, std::int64_t iteration) {
  if (!(distance > distance_)) return false;
  distance_ = distance;
  iteration_ = iteration;
  copy_weights(*pg, *best_);
  return true;
}

void BestGenerator::save_state(ModelFile& file) {
  file.set_module("B.PG_best", *best_);
  file.meta.set("training.best_distance", distance_);
  file.meta.set("training.best_iteration", iteration_);
}

void BestGenerator::load_state(const ModelFile& file) {
  file.load_module("B.PG_best", *best_);
  distance_ = file.meta.get_double("training.best_distance");
  iteration_ = file.meta.get_int("training.best_iteration");
}

}  // namespace idef
