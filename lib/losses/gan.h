// GAN loss terms shared by the forger's StarGAN training (stage A) and the defence's
// critic DB (stage B): WGAN-GP as StarGAN and the paper use it.
#pragma once
#include <functional>

#include <torch/torch.h>

namespace idef::losses {

// mean over the batch of (‖∇x̂ critic(x̂)‖₂ − 1)², x̂ = α·real + (1−α)·fake with one α per
// image; the graph is kept so the penalty trains the critic.
torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                               const torch::Tensor& real, const torch::Tensor& fake);

// StarGAN's domain classification loss: BCE-with-logits summed over attributes, averaged
// over the batch.
torch::Tensor classification_loss(const torch::Tensor& logits, const torch::Tensor& target);

}  // namespace idef::losses
