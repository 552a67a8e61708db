#include "losses/reenact_defence.h"

#include <optional>

#include "core/error.h"
#include "nets/substitution.h"

namespace idef::losses {

InnerLoss inner_loss_named(const std::string& name) {
  if (name == "mse") return InnerLoss::Mse;
  if (name == "smooth-l1") return InnerLoss::SmoothL1;
  throw UsageError("unknown inner loss '" + name + "' (mse or smooth-l1; an L1 loss would give PG no gradient)");
}

torch::Tensor inner_loss(const torch::Tensor& output, const torch::Tensor& target, InnerLoss loss) {
  namespace F = torch::nn::functional;
  if (loss == InnerLoss::SmoothL1) return F::smooth_l1_loss(output, target, F::SmoothL1LossFuncOptions().beta(0.1));
  return F::mse_loss(output, target);
}

std::vector<std::pair<std::string, torch::Tensor>> unrolled_parameters(nets::TranslatorImpl& tm, const torch::Tensor& z,
                                                                        const torch::Tensor& x_poisoned,
                                                                        const UnrolledUpdate& update) {
  if (update.steps < 1) throw UsageError("the unrolled update needs at least one step");
  std::vector<std::string> names;
  std::vector<torch::Tensor> theta;
  for (const auto& p : tm.named_parameters()) {
    names.push_back(p.key());
    theta.push_back(p.value());
  }
  for (int step = 0; step < update.steps; ++step) {
    torch::Tensor loss;
    {
      std::optional<nets::ParameterSubstitution> with_current;
      if (step > 0) {
        std::vector<std::pair<std::string, torch::Tensor>> current;
        for (std::size_t i = 0; i < names.size(); ++i) current.emplace_back(names[i], theta[i]);
        with_current.emplace(tm, current);
      }
      loss = inner_loss(tm.forward(z), x_poisoned, update.loss);
    }
    const auto grads = torch::autograd::grad({loss}, theta, {}, /*retain_graph=*/true, /*create_graph=*/true,
                                             /*allow_unused=*/true);
    for (std::size_t i = 0; i < theta.size(); ++i)
      if (grads[i].defined()) theta[i] = theta[i] - update.lr * grads[i];
  }
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (std::size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i], theta[i]);
  return out;
}

torch::Tensor reenact_influence_loss(const torch::Tensor& sm_output, const torch::Tensor& m_prime_output,
                                     const torch::Tensor& x, const torch::Tensor& mask) {
  return ((sm_output - x) * mask).abs().mean() - ((m_prime_output - x) * mask).abs().mean();
}

}  // namespace idef::losses
