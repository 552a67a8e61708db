#include "losses/gan.h"

namespace idef::losses {

torch::Tensor gradient_penalty(const std::function<torch::Tensor(const torch::Tensor&)>& critic,
                               const torch::Tensor& real, const torch::Tensor& fake) {
  torch::Tensor alpha = torch::rand({real.size(0), 1, 1, 1}, real.options());
  torch::Tensor mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(true);
  torch::Tensor score = critic(mixed);
  torch::Tensor grad = torch::autograd::grad({score}, {mixed}, {torch::ones_like(score)},
                                             /*retain_graph=*/true, /*create_graph=*/true)[0];
  torch::Tensor norm = grad.reshape({grad.size(0), -1}).norm(2, 1);
  return (norm - 1).pow(2).mean();
}

torch::Tensor classification_loss(const torch::Tensor& logits, const torch::Tensor& target) {
  return torch::binary_cross_entropy_with_logits(logits, target, {}, {}, at::Reduction::Sum) / logits.size(0);
}

}  // namespace idef::losses
