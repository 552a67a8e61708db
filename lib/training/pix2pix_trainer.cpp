#include "training/pix2pix_trainer.h"

#include "core/error.h"
#include "model/model_file.h"
#include "training/schedule.h"
#include "training/stage_b.h"

namespace idef {

Pix2PixTrainer::Pix2PixTrainer(nets::Translator generator, nets::PatchDiscriminator discriminator,
                               Pix2PixSettings settings)
    : g_(std::move(generator)),
      d_(std::move(discriminator)),
      settings_(settings),
      g_opt_(g_->parameters(), torch::optim::AdamOptions(settings.lr_g).betas({settings.beta1, settings.beta2})),
      d_opt_(d_->parameters(), torch::optim::AdamOptions(settings.lr_d).betas({settings.beta1, settings.beta2})) {
  const auto& c = g_->config();
  if (d_->in_channels != c.in_channels + c.out_channels)
    throw Error("pix2pix: the discriminator takes " + std::to_string(d_->in_channels) + " channels, not the " +
                std::to_string(c.in_channels + c.out_channels) + " of a (sketch, frame) pair");
  at::globalContext().setFlushDenormal(true);  // as StarGanTrainer: denormals are slow and useless
}

void Pix2PixTrainer::restart_from(nets::TranslatorImpl& g, nets::PatchDiscriminatorImpl& d) {
  copy_weights(g, *g_);
  copy_weights(d, *d_);
  // Adam makes a parameter's moments anew where it finds none.
  g_opt_.state().clear();
  d_opt_.state().clear();
}

void Pix2PixTrainer::set_data_parallel(const DataParallel& parallel) {
  parallel_ = &parallel;
  parallel.broadcast(*g_);
  parallel.broadcast(*d_);
}

double Pix2PixTrainer::lr_factor(std::int64_t iteration) const {
  return linear_decay(iteration, settings_.iterations, settings_.decay_iterations);
}

std::map<std::string, double> Pix2PixTrainer::step(std::int64_t iteration, const torch::Tensor& z,
                                                   const torch::Tensor& x) {
  g_->train();
  d_->train();
  const double factor = lr_factor(iteration);
  set_learning_rate(g_opt_, settings_.lr_g * factor);
  set_learning_rate(d_opt_, settings_.lr_d * factor);
  namespace F = torch::nn::functional;

  torch::Tensor fake = g_->forward(z);
  torch::Tensor real_logits = d_->forward(torch::cat({z, x}, 1));
  torch::Tensor fake_logits = d_->forward(torch::cat({z, fake.detach()}, 1));
  torch::Tensor d_loss_real = F::binary_cross_entropy_with_logits(real_logits, torch::ones_like(real_logits));
  torch::Tensor d_loss_fake = F::binary_cross_entropy_with_logits(fake_logits, torch::zeros_like(fake_logits));
  torch::Tensor d_loss = 0.5 * (d_loss_real + d_loss_fake);
  d_opt_.zero_grad();
  d_loss.backward();
  parallel_->average_gradients(*d_);
  d_opt_.step();

  torch::Tensor g_logits = d_->forward(torch::cat({z, fake}, 1));
  torch::Tensor g_loss_gan = F::binary_cross_entropy_with_logits(g_logits, torch::ones_like(g_logits));
  torch::Tensor g_loss_l1 = (fake - x).abs().mean();
  torch::Tensor g_loss = g_loss_gan + settings_.lambda_l1 * g_loss_l1;
  g_opt_.zero_grad();
  g_loss.backward();
  parallel_->average_gradients(*g_);
  g_opt_.step();

  return {{"D/loss_real", d_loss_real.item<double>()},
          {"D/loss_fake", d_loss_fake.item<double>()},
          {"G/loss_gan", g_loss_gan.item<double>()},
          {"G/loss_l1", g_loss_l1.item<double>()}};
}

void Pix2PixTrainer::save_state(ModelFile& file, const std::string& prefix) {
  file.set_module(prefix + "G", *g_);
  file.set_module(prefix + "D", *d_);
  file.set_optimizer(prefix + "optimizer.G", g_opt_);
  file.set_optimizer(prefix + "optimizer.D", d_opt_);
}

void Pix2PixTrainer::load_state(const ModelFile& file, const std::string& prefix) {
  file.load_module(prefix + "G", *g_);
  file.load_module(prefix + "D", *d_);
  file.load_optimizer(prefix + "optimizer.G", g_opt_);
  file.load_optimizer(prefix + "optimizer.D", d_opt_);
}

}  // namespace idef
