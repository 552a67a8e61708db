#include "losses/gan.h"

#include <gtest/gtest.h>

// For a linear critic f(x) = Σ w·x the gradient is w everywhere: the penalty is (‖w‖ − 1)².
TEST(GradientPenalty, MatchesALinearCriticByHand) {
  torch::manual_seed(0);
  torch::Tensor w = torch::randn({1, 3, 4, 4});
  auto critic = [&](const torch::Tensor& x) { return (x * w).sum({1, 2, 3}); };
  torch::Tensor real = torch::randn({5, 3, 4, 4}), fake = torch::randn({5, 3, 4, 4});
  double expected = std::pow(w.norm().item<double>() - 1, 2);
  EXPECT_NEAR(idef::losses::gradient_penalty(critic, real, fake).item<double>(), expected, 1e-4);
}

TEST(GradientPenalty, TrainsTheCritic) {
  torch::Tensor w = torch::full({1, 2, 2, 2}, 2.0, torch::requires_grad());
  auto critic = [&](const torch::Tensor& x) { return (x * w).sum({1, 2, 3}); };
  idef::losses::gradient_penalty(critic, torch::randn({3, 2, 2, 2}), torch::randn({3, 2, 2, 2})).backward();
  ASSERT_TRUE(w.grad().defined());
  EXPECT_GT(w.grad().abs().sum().item<double>(), 0);
}

TEST(ClassificationLoss, SumsOverAttributesAveragesOverBatch) {
  torch::Tensor logits = torch::zeros({2, 3}), target = torch::ones({2, 3});
  // BCE of logit 0 against 1 is log 2, three attributes per image.
  EXPECT_NEAR(idef::losses::classification_loss(logits, target).item<double>(), 3 * std::log(2.0), 1e-6);
}
