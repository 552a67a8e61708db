#include "losses/attr_defence.h"

#include "core/error.h"
#include "losses/gan.h"

namespace idef::losses {

torch::Tensor domain_weights(const torch::Tensor& x, const std::vector<torch::Tensor>& clean_edits) {
  if (clean_edits.empty()) throw Error("domain_weights: no target domains");
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> change;
  for (const auto& y : clean_edits) change.push_back((y - x).abs().mean());
  torch::Tensor m = torch::stack(change);
  // A surrogate that changes nothing (e.g. freshly initialised to the identity) weighs
  // every domain alike rather than dividing by zero.
  torch::Tensor total = m.sum();
  if (total.item<double>() <= 0) return torch::full_like(m, 1.0 / static_cast<double>(m.numel()));
  return (m / total).detach();
}

torch::Tensor basic_loss(const torch::Tensor& mu, const std::vector<torch::Tensor>& clean_edits,
                         const std::vector<torch::Tensor>& protected_edits) {
  if (clean_edits.size() != protected_edits.size() || static_cast<std::int64_t>(clean_edits.size()) != mu.numel())
    throw Error("basic_loss: one weight, clean edit and protected edit per domain");
  torch::Tensor loss = torch::zeros({}, protected_edits[0].options());
  for (std::size_t j = 0; j < clean_edits.size(); ++j)
    loss = loss - mu[j] * (clean_edits[j] - protected_edits[j]).abs().mean();
  return loss;
}

torch::Tensor cycle_loss(const torch::Tensor& mu, const torch::Tensor& x_protected,
                         const std::vector<torch::Tensor>& cycles) {
  if (static_cast<std::int64_t>(cycles.size()) != mu.numel()) throw Error("cycle_loss: one weight per domain");
  torch::Tensor loss = torch::zeros({}, x_protected.options());
  for (std::size_t j = 0; j < cycles.size(); ++j) loss = loss - mu[j] * (x_protected - cycles[j]).abs().mean();
  return loss;
}

torch::Tensor domain_loss(const std::vector<torch::Tensor>& cls_logits, const std::vector<torch::Tensor>& src,
                          const std::vector<torch::Tensor>& reverse_targets) {
  if (cls_logits.empty() || cls_logits.size() != src.size() || src.size() != reverse_targets.size())
    throw Error("domain_loss: one classifier output, critic output and reversed domain per domain");
  torch::Tensor loss = torch::zeros({}, src[0].options());
  for (std::size_t j = 0; j < cls_logits.size(); ++j)
    loss = loss + classification_loss(cls_logits[j], reverse_targets[j]) + src[j].mean();
  return loss / static_cast<double>(cls_logits.size());
}

torch::Tensor reverse_domain(const torch::Tensor& target) { return 1 - target; }

InfluenceTerms attr_influence_loss(nets::EditorImpl& sm, nets::StarGanDiscriminatorImpl& da, const torch::Tensor& x,
                                   const torch::Tensor& x_protected, const torch::Tensor& c,
                                   const std::vector<torch::Tensor>& targets, const InfluenceWeights& weights,
                                   const std::vector<std::int64_t>& subset) {
  const auto all = static_cast<std::int64_t>(targets.size());
  std::vector<std::int64_t> chosen = subset;
  if (chosen.empty())
    for (std::int64_t j = 0; j < all; ++j) chosen.push_back(j);
  for (auto j : chosen)
    if (j < 0 || j >= all) throw Error("attr_influence_loss: domain index out of range");
  std::vector<torch::Tensor> clean;
  {
    torch::NoGradGuard no_grad;  // the clean forgeries do not depend on PG
    for (const auto& t : targets) clean.push_back(sm.forward(x, t));
  }
  torch::Tensor mu_all = weights.uniform_domains
                            ? torch::full({all}, 1.0 / static_cast<double>(all), x.options())
                            : domain_weights(x, clean);
  const double scale = static_cast<double>(all) / static_cast<double>(chosen.size());
  std::vector<torch::Tensor> clean_chosen, protected_edits, cycles, cls, src, reversed, mu;
  for (auto j : chosen) {
    const torch::Tensor& t = targets[static_cast<std::size_t>(j)];
    torch::Tensor y = sm.forward(x_protected, t);
    clean_chosen.push_back(clean[static_cast<std::size_t>(j)]);
    protected_edits.push_back(y);
    cycles.push_back(sm.forward(y, c));
    auto [s, k] = da.forward(y);
    src.push_back(s);
    cls.push_back(k);
    reversed.push_back(reverse_domain(t));
    mu.push_back(mu_all[j] * scale);
  }
  torch::Tensor mu_chosen = torch::stack(mu);
  InfluenceTerms terms;
  terms.basic = basic_loss(mu_chosen, clean_chosen, protected_edits);
  terms.cycle = cycle_loss(mu_chosen, x_protected, cycles);
  terms.domain = domain_loss(cls, src, reversed);
  terms.total = weights.basic * terms.basic + weights.cycle * terms.cycle + weights.domain * terms.domain;
  return terms;
}

torch::Tensor ensemble_influence(const std::vector<torch::Tensor>& member_losses, EnsembleRule rule) {
  if (member_losses.empty()) throw Error("ensemble_influence: no surrogates");
  torch::Tensor all = torch::stack(member_losses);
  return rule == EnsembleRule::Mean ? all.mean() : all.max();
}

}  // namespace idef::losses
