// The losses of the attribute-editing defence (docs/method.md, paper Algorithm 1), by the paper's
// names. All images are [N, 3, H, W] in [-1, 1]; "edits" are the surrogate's outputs, one
// tensor per target domain j.
#pragma once
#include <vector>

#include <torch/torch.h>

#include "nets/discriminators.h"
#include "nets/editor.h"

namespace idef::losses {

// µ_j = mean|SM(x, c_j) − x| / Σ_k mean|SM(x, c_k) − x|: the share of domain j in how much
// the surrogate changes the clean image. A [J] tensor that sums to 1, without gradient.
torch::Tensor domain_weights(const torch::Tensor& x, const std::vector<torch::Tensor>& clean_edits);

// L_bs = −Σ_j µ_j · mean|SM(x, c_j) − SM(x', c_j)|
torch::Tensor basic_loss(const torch::Tensor& mu, const std::vector<torch::Tensor>& clean_edits,
                         const std::vector<torch::Tensor>& protected_edits);

// L_cyc = −Σ_j µ_j · mean|x' − SM(SM(x', c_j), c)|
torch::Tensor cycle_loss(const torch::Tensor& mu, const torch::Tensor& x_protected,
                         const std::vector<torch::Tensor>& cycles);

// L_dom = mean_j [ BCE-with-logits(DA_cls(SM(x', c_j)), c^r_j) + mean DA_src(SM(x', c_j)) ],
// the BCE summed over attributes and averaged over the batch (StarGAN's classification loss).
torch::Tensor domain_loss(const std::vector<torch::Tensor>& cls_logits, const std::vector<torch::Tensor>& src,
                          const std::vector<torch::Tensor>& reverse_targets);

// c^r_j: every attribute bit of c_j flipped.
torch::Tensor reverse_domain(const torch::Tensor& target);

// λ2, λ3, λ4 of L_A→B. `uniform_domains` weighs every target domain alike (1/J) instead of
// by µ_j, as the authors' released code does (it draws one target per image).
struct InfluenceWeights {
  double basic = 10, cycle = 2.5, domain = 1;
  bool uniform_domains = false;
};

struct InfluenceTerms {
  torch::Tensor basic, cycle, domain, total;  // total = λ2·L_bs + λ3·L_cyc + λ4·L_dom
};

// L_A→B of the surrogate SM and its discriminator DA for clean x (labels c) and protected x'
// over the target domains; differentiable with respect to x' (the surrogate's own
// parameters may be frozen by the caller).
//
// `subset` (indices into targets; empty: all) evaluates the expensive terms on some domains
// only: µ still comes from all J domains (forward passes without gradient), and the sums of
// L_bs and L_cyc are scaled by J/K, so that over a uniformly random K-subset the estimate is
// unbiased; L_dom is the mean over the subset.
InfluenceTerms attr_influence_loss(nets::EditorImpl& sm, nets::StarGanDiscriminatorImpl& da, const torch::Tensor& x,
                                   const torch::Tensor& x_protected, const torch::Tensor& c,
                                   const std::vector<torch::Tensor>& targets, const InfluenceWeights& weights,
                                   const std::vector<std::int64_t>& subset = {});

// How an ensemble of surrogates combines its members' L_A→B (each a scalar, lower = the
// member's forgeries moved further): their mean, or the worst case, the largest, so that PG
// is pushed where the hardest member still resists.
enum class EnsembleRule { Mean, WorstCase };
torch::Tensor ensemble_influence(const std::vector<torch::Tensor>& member_losses, EnsembleRule rule);

}  // namespace idef::losses
