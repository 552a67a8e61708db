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
