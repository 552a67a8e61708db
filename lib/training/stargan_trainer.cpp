#include "training/stargan_trainer.h"

#include "losses/gan.h"
#include "model/model_file.h"
#include "training/schedule.h"

namespace idef {

StarGanTrainer::StarGanTrainer(nets::Editor generator, nets::StarGanDiscriminator discriminator,
                               StarGanSettings settings)
    : g_(std::move(generator)),
      d_(std::move(discriminator)),
      settings_(settings),
      g_opt_(g_->parameters(), torch::optim::AdamOptions(settings.lr_g).betas({settings.beta1, settings.beta2})),
      d_opt_(d_->parameters(), torch::optim::AdamOptions(settings.lr_d).betas({settings.beta1, settings.beta2})) {
  // Denormal floats, which shrinking GAN gradients can produce, are many times slower on
  // x86; flushing them to zero changes nothing that matters to training.
  at::globalContext().setFlushDenormal(true);
}

void StarGanTrainer::set_data_parallel(const DataParallel& parallel) {
  parallel_ = &parallel;
  parallel.broadcast(*g_);
  parallel.broadcast(*d_);
}

double StarGanTrainer::lr_factor(std::int64_t iteration) const {
  if (iteration < settings_.warmup_iterations && settings_.warmup_decay_iterations > 0)
    return linear_decay(iteration, settings_.warmup_iterations, settings_.warmup_decay_iterations);
  return linear_decay(iteration, settings_.iterations, settings_.decay_iterations);
}

std::map<std::string, double> StarGanTrainer::step(std::int64_t iteration, const torch::Tensor& x_real,
                                                   const torch::Tensor& label_org) {
  g_->train();
  d_->train();
  double factor = lr_factor(iteration);
  set_learning_rate(g_opt_, settings_.lr_g * factor);
  set_learning_rate(d_opt_, settings_.lr_d * factor);
  std::map<std::string, double> losses;

  if (iteration < settings_.warmup_iterations) {
    torch::Tensor g_loss_id = (g_->forward(x_real, label_org) - x_real).abs().mean();
    g_opt_.zero_grad();
    g_loss_id.backward();
    parallel_->average_gradients(*g_);
    g_opt_.step();
    losses["G/loss_id"] = g_loss_id.item<double>();
    return losses;
  }

  torch::Tensor label_trg = label_org.index_select(0, torch::randperm(label_org.size(0), torch::kLong));

  // Critic: real, fake, domain classification of real images, gradient penalty.
  auto [real_src, real_cls] = d_->forward(x_real);
  torch::Tensor d_loss_real = -real_src.mean();
  torch::Tensor d_loss_cls = losses::classification_loss(real_cls, label_org);
  torch::Tensor x_fake = g_->forward(x_real, label_trg);
  torch::Tensor d_loss_fake = d_->forward(x_fake.detach()).first.mean();
  torch::Tensor d_loss_gp = losses::gradient_penalty(
      [&](const torch::Tensor& x) { return d_->forward(x).first; }, x_real, x_fake);
  torch::Tensor d_loss = d_loss_real + d_loss_fake + settings_.lambda_cls * d_loss_cls +
                         settings_.lambda_gp * d_loss_gp;
  d_opt_.zero_grad();
  d_loss.backward();
  parallel_->average_gradients(*d_);
  d_opt_.step();
  losses["D/loss_real"] = d_loss_real.item<double>();
  losses["D/loss_fake"] = d_loss_fake.item<double>();
  losses["D/loss_cls"] = d_loss_cls.item<double>();
  losses["D/loss_gp"] = d_loss_gp.item<double>();

  if ((iteration + 1) % settings_.n_critic == 0) {
    torch::Tensor fake = g_->forward(x_real, label_trg);
    auto [fake_src, fake_cls] = d_->forward(fake);
    torch::Tensor g_loss_fake = -fake_src.mean();
    torch::Tensor g_loss_cls = losses::classification_loss(fake_cls, label_trg);
    torch::Tensor x_rec = g_->forward(fake, label_org);
    torch::Tensor g_loss_rec = (x_real - x_rec).abs().mean();
    torch::Tensor g_loss = settings_.lambda_adv * g_loss_fake + settings_.lambda_rec * g_loss_rec + settings_.lambda_cls * g_loss_cls;
    if (settings_.lambda_id > 0) {
      torch::Tensor g_loss_id = (g_->forward(x_real, label_org) - x_real).abs().mean();
      g_loss = g_loss + settings_.lambda_id * g_loss_id;
      losses["G/loss_id"] = g_loss_id.item<double>();
    }
    if (settings_.lambda_edit > 0) {
      torch::Tensor g_loss_edit = (fake - x_real).abs().mean();
      g_loss = g_loss + settings_.lambda_edit * g_loss_edit;
      losses["G/loss_edit"] = g_loss_edit.item<double>();
    }
    g_opt_.zero_grad();
    g_loss.backward();
    parallel_->average_gradients(*g_);
    g_opt_.step();
    losses["G/loss_fake"] = g_loss_fake.item<double>();
    losses["G/loss_rec"] = g_loss_rec.item<double>();
    losses["G/loss_cls"] = g_loss_cls.item<double>();
  }
  return losses;
}

void StarGanTrainer::save_state(ModelFile& file, const std::string& prefix) {
  file.set_module(prefix + "G", *g_);
  file.set_module(prefix + "D", *d_);
  file.set_optimizer(prefix + "optimizer.G", g_opt_);
  file.set_optimizer(prefix + "optimizer.D", d_opt_);
}

void StarGanTrainer::load_state(const ModelFile& file, const std::string& prefix) {
  file.load_module(prefix + "G", *g_);
  file.load_module(prefix + "D", *d_);
  file.load_optimizer(prefix + "optimizer.G", g_opt_);
  file.load_optimizer(prefix + "optimizer.D", d_opt_);
}

}  // namespace idef
