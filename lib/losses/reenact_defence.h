// The losses of the reenactment defence (docs/reenactment.md, paper Figure 2 and eq. 11).
//
// The forger will train a model on the protected frames x'. The defence imitates that with
// a temporary model TM: θ' = θ − η·∇θ L_TM(TM_θ(z), x'), unrolled with the graph kept, so
// that θ' — and so M'(z), TM evaluated with θ' — is a differentiable function of x' and
// therefore of PG. The inner loss must be smooth in x': the gradient of an L1 loss is a sign,
// piecewise constant in x', and would give PG a zero gradient.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

#include "nets/translator.h"

namespace idef::losses {

enum class InnerLoss { Mse, SmoothL1 };
// "mse" or "smooth-l1"; throws UsageError for anything else.
InnerLoss inner_loss_named(const std::string& name);

struct UnrolledUpdate {
  int steps = 1;        // k unrolled SGD steps
  double lr = 0.01;     // η
  InnerLoss loss = InnerLoss::Mse;
};

// The inner loss of TM on the poisoned pairs: mean over pixels.
torch::Tensor inner_loss(const torch::Tensor& output, const torch::Tensor& target, InnerLoss loss);

// θ' after update.steps SGD steps of TM on (z, x_poisoned), named as tm.named_parameters()
// (ready for nets::ParameterSubstitution). Every tensor is a differentiable function of
// x_poisoned and of TM's parameters. TM's own parameters are not changed.
std::vector<std::pair<std::string, torch::Tensor>> unrolled_parameters(nets::TranslatorImpl& tm, const torch::Tensor& z,
                                                                        const torch::Tensor& x_poisoned,
                                                                        const UnrolledUpdate& update);

// eq. 11: L_A→B = mean|(SM(z) − x)·m| − mean|(M'(z) − x)·m|. Lower means M' (the model the
// forger would train on the protected frames) is further from the real frame x than the
// clean surrogate SM. mask: [N, 1, H, W] (1 on the face, 0.01 elsewhere) or all ones.
torch::Tensor reenact_influence_loss(const torch::Tensor& sm_output, const torch::Tensor& m_prime_output,
                                     const torch::Tensor& x, const torch::Tensor& mask);

}  // namespace idef::losses
