#include "losses/attr_defence.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"

namespace L = idef::losses;

namespace {

// A 1×1×1×2 image from two values.
torch::Tensor img(float a, float b) { return torch::tensor({a, b}).reshape({1, 1, 1, 2}); }

}  // namespace

TEST(AttrDefenceLosses, DomainWeightsAreEachDomainsShareOfTheChange) {
  torch::Tensor x = img(0, 0);
  torch::Tensor e1 = img(0.5f, -0.5f).requires_grad_(true);  // mean |e1 − x| = 0.5
  torch::Tensor e2 = img(1.5f, 1.5f);                        // 1.5
  torch::Tensor mu = L::domain_weights(x, {e1, e2});
  ASSERT_EQ(mu.numel(), 2);
  EXPECT_NEAR(mu[0].item<double>(), 0.25, 1e-7);
  EXPECT_NEAR(mu[1].item<double>(), 0.75, 1e-7);
  EXPECT_NEAR(mu.sum().item<double>(), 1.0, 1e-7);
  EXPECT_FALSE(mu.requires_grad());  // no gradient through µ
}

TEST(AttrDefenceLosses, DomainWeightsOfASurrogateThatChangesNothingAreUniform) {
  torch::Tensor x = img(0.2f, 0.3f);
  torch::Tensor mu = L::domain_weights(x, {x.clone(), x.clone(), x.clone(), x.clone()});
  for (int j = 0; j < 4; ++j) EXPECT_DOUBLE_EQ(mu[j].item<double>(), 0.25);
}

TEST(AttrDefenceLosses, BasicLossIsMinusTheWeightedEditDistance) {
  torch::Tensor mu = torch::tensor({0.25f, 0.75f});
  // |clean − protected| means: domain 0 → 0.5, domain 1 → 1.0
  torch::Tensor loss = L::basic_loss(mu, {img(0, 0), img(1, 1)}, {img(1, 0), img(0, 0)});
  EXPECT_NEAR(loss.item<double>(), -(0.25 * 0.5 + 0.75 * 1.0), 1e-7);
}

TEST(AttrDefenceLosses, CycleLossIsMinusTheWeightedCycleDistance) {
  torch::Tensor mu = torch::tensor({0.25f, 0.75f});
  torch::Tensor xp = img(1, 1);
  // |x' − cycle| means: (0.5 + 0) / 2 = 0.25 and (0 + 2) / 2 = 1
  torch::Tensor loss = L::cycle_loss(mu, xp, {img(0.5f, 1), img(1, -1)});
  EXPECT_NEAR(loss.item<double>(), -(0.25 * 0.25 + 0.75 * 1.0), 1e-7);
}

TEST(AttrDefenceLosses, DomainLossAveragesClassificationTowardsTheReverseDomainAndTheCriticScore) {
  // Domain 0: logit 0 for target 1 → BCE log 2; critic scores 0.5 and 1.5 → mean 1.
  // Domain 1: logit 2 for target 0 → BCE log(1 + e²); critic score −1.
  torch::Tensor loss = L::domain_loss({torch::tensor({{0.0f}}), torch::tensor({{2.0f}})},
                                      {torch::tensor({0.5f, 1.5f}), torch::tensor({-1.0f})},
                                      {torch::tensor({{1.0f}}), torch::tensor({{0.0f}})});
  double expected = ((std::log(2.0) + 1.0) + (std::log(1.0 + std::exp(2.0)) - 1.0)) / 2;
  EXPECT_NEAR(loss.item<double>(), expected, 1e-6);
}

TEST(AttrDefenceLosses, ClassificationSumsOverAttributesAndAveragesOverTheBatch) {
  // Two images, two attributes, all logits 0: every term is log 2 → 2·log 2 per image.
  torch::Tensor loss = L::domain_loss({torch::zeros({2, 2})}, {torch::zeros({2, 1})}, {torch::ones({2, 2})});
  EXPECT_NEAR(loss.item<double>(), 2 * std::log(2.0), 1e-6);
}

TEST(AttrDefenceLosses, ReverseDomainFlipsEveryBit) {
  EXPECT_TRUE(torch::equal(L::reverse_domain(torch::tensor({{1.0f, 0.0f, 0.0f, 1.0f}})),
                           torch::tensor({{0.0f, 1.0f, 1.0f, 0.0f}})));
}

TEST(AttrDefenceLosses, InfluenceLossCombinesItsTermsAndReachesTheProtectedImage) {
  torch::manual_seed(3);
  idef::nets::EditorConfig c{"res6", 2, 4, 16};
  auto sm = idef::nets::make_editor(c);
  idef::nets::StarGanDiscriminator da(16, 4, 2);
  torch::Tensor x = torch::rand({2, 3, 16, 16}) * 2 - 1;
  torch::Tensor labels = torch::tensor({{1.0f, 0.0f}, {0.0f, 1.0f}});
  std::vector<torch::Tensor> targets{torch::tensor({{0.0f, 0.0f}, {1.0f, 1.0f}}),
                                     torch::tensor({{1.0f, 1.0f}, {0.0f, 0.0f}})};
  L::InfluenceWeights w{10, 2.5, 1};

  // x' = x: the forgeries are equal, L_bs is exactly 0.
  auto same = L::attr_influence_loss(*sm, *da, x, x, labels, targets, w);
  EXPECT_DOUBLE_EQ(same.basic.item<double>(), 0.0);

  torch::Tensor xp = (x + 0.05 * torch::randn_like(x)).clamp(-1, 1).requires_grad_(true);
  auto t = L::attr_influence_loss(*sm, *da, x, xp, labels, targets, w);
  EXPECT_LT(t.basic.item<double>(), 0.0);
  EXPECT_LT(t.cycle.item<double>(), 0.0);
  EXPECT_NEAR(t.total.item<double>(),
              10 * t.basic.item<double>() + 2.5 * t.cycle.item<double>() + t.domain.item<double>(), 1e-5);
  torch::Tensor g = torch::autograd::grad({t.total}, {xp})[0];
  EXPECT_GT(g.abs().sum().item<double>(), 0.0);
}

// A random K-subset of the domains estimates L_bs and L_cyc without bias: their mean over
// every subset is the loss over all domains.
TEST(AttrDefenceLosses, DomainSubsetsEstimateTheFullLossWithoutBias) {
  torch::manual_seed(5);
  auto sm = idef::nets::make_editor({"cnet", 3, 4, 16});
  idef::nets::StarGanDiscriminator da(16, 4, 3);
  torch::Tensor x = torch::rand({2, 3, 16, 16}) * 2 - 1;
  torch::Tensor xp = (x + 0.1 * torch::randn_like(x)).clamp(-1, 1);
  torch::Tensor labels = torch::tensor({{1.0f, 0.0f, 1.0f}, {0.0f, 1.0f, 0.0f}});
  std::vector<torch::Tensor> targets;
  for (int j = 0; j < 3; ++j) {
    torch::Tensor t = labels.clone();
    t.select(1, j).fill_(1);
    targets.push_back(t);
  }
  L::InfluenceWeights w;
  auto full = L::attr_influence_loss(*sm, *da, x, xp, labels, targets, w);
  double basic = 0, cycle = 0, domain = 0;
  for (std::int64_t j = 0; j < 3; ++j) {
    auto one = L::attr_influence_loss(*sm, *da, x, xp, labels, targets, w, {j});
    basic += one.basic.item<double>() / 3;
    cycle += one.cycle.item<double>() / 3;
    domain += one.domain.item<double>() / 3;
  }
  EXPECT_NEAR(basic, full.basic.item<double>(), 1e-6);
  EXPECT_NEAR(cycle, full.cycle.item<double>(), 1e-6);
  EXPECT_NEAR(domain, full.domain.item<double>(), 1e-6);
  auto all = L::attr_influence_loss(*sm, *da, x, xp, labels, targets, w, {0, 1, 2});
  EXPECT_DOUBLE_EQ(all.total.item<double>(), full.total.item<double>());
  EXPECT_THROW(L::attr_influence_loss(*sm, *da, x, xp, labels, targets, w, {3}), idef::Error);
}

namespace {

// An "editor" whose forgery is (a + b·c)·x for the one-bit domain c: its losses can be
// computed by hand.
class ScaleEditor final : public idef::nets::EditorImpl {
 public:
  explicit ScaleEditor(double a, double b = 0) : EditorImpl({"res6", 1, 1, 8}), a_(a), b_(b) {}
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& c) override {
    return (a_ + b_ * c.view({-1, 1, 1, 1})) * x;
  }

 private:
  double a_, b_;
};

}  // namespace

// Two surrogates of gains 1 and 3 on x = 0, x' = 0.1 everywhere (one domain, λ4 = 0):
//   L_bs = −a·0.1, L_cyc = −|1 − a²|·0.1, so L_A→B = 10·L_bs + 2.5·L_cyc is −1 (a = 1) and
//   −3 − 2 = −5 (a = 3); their mean is −3, the worst case (the larger) −1, and the worst
//   case's gradient reaches x' through the resisting member only.
TEST(AttrDefenceLosses, EnsembleInfluenceMatchesAHandComputation) {
  ScaleEditor weak(1), strong(3);
  idef::nets::StarGanDiscriminator da(8, 2, 1, 1);
  torch::Tensor x = torch::zeros({1, 3, 8, 8});
  torch::Tensor xp = torch::full({1, 3, 8, 8}, 0.1f).requires_grad_(true);
  torch::Tensor labels = torch::zeros({1, 1});
  std::vector<torch::Tensor> targets{torch::ones({1, 1})};
  L::InfluenceWeights w{10, 2.5, 0};
  torch::Tensor a = L::attr_influence_loss(weak, *da, x, xp, labels, targets, w).total;
  torch::Tensor b = L::attr_influence_loss(strong, *da, x, xp, labels, targets, w).total;
  EXPECT_NEAR(a.item<double>(), -1.0, 1e-6);
  EXPECT_NEAR(b.item<double>(), -5.0, 1e-6);
  EXPECT_NEAR(L::ensemble_influence({a, b}, L::EnsembleRule::Mean).item<double>(), -3.0, 1e-6);
  torch::Tensor worst = L::ensemble_influence({a, b}, L::EnsembleRule::WorstCase);
  EXPECT_NEAR(worst.item<double>(), -1.0, 1e-6);
  // d(−1·mean|x'| − 0)/dx' under the weak member alone: −10·0.1/0.1 per pixel / count.
  torch::Tensor g = torch::autograd::grad({worst}, {xp})[0];
  EXPECT_NEAR(g.sum().item<double>(), -10.0, 1e-4);
  EXPECT_THROW(L::ensemble_influence({}, L::EnsembleRule::Mean), idef::Error);
}

// The released code's alike weights. The editor (1 + 2c)·x on x = 0.5, x' = 0.6: domain
// c = 1 triples x (it changes x, µ = 1), domain c = 0 keeps it (µ = 0). Their forgeries move
// by 0.3 and 0.1: L_bs = −0.3 under µ, −(0.3 + 0.1)/2 under alike weights.
TEST(AttrDefenceLosses, UniformDomainWeightsAverageTheDomains) {
  ScaleEditor sm(1, 2);
  idef::nets::StarGanDiscriminator da(8, 2, 1, 1);
  torch::Tensor x = torch::full({1, 3, 8, 8}, 0.5f);
  torch::Tensor xp = torch::full({1, 3, 8, 8}, 0.6f);
  torch::Tensor labels = torch::zeros({1, 1});
  std::vector<torch::Tensor> targets{torch::ones({1, 1}), torch::zeros({1, 1})};
  L::InfluenceWeights mu{1, 0, 0, false}, uniform{1, 0, 0, true};
  EXPECT_NEAR(L::attr_influence_loss(sm, *da, x, xp, labels, targets, mu).basic.item<double>(), -0.3, 1e-6);
  EXPECT_NEAR(L::attr_influence_loss(sm, *da, x, xp, labels, targets, uniform).basic.item<double>(), -0.2, 1e-6);
}
