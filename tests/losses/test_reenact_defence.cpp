#include "losses/reenact_defence.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "nets/substitution.h"
#include "nets/translator.h"

namespace idef::losses {
namespace {

nets::Translator tiny(const std::string& arch, int size, std::uint64_t seed) {
  torch::manual_seed(seed);
  nets::TranslatorConfig c;
  c.arch = arch;
  c.width = 2;
  c.image_size = size;
  nets::Translator t = nets::make_translator(c);
  t->to(torch::kDouble);
  return t;
}

// The defence's objective as a function of PG alone: poison x, unroll TM's update on the
// poisoned frame, evaluate M' (TM with θ') on the sketch, compare with the clean surrogate.
struct TinyProblem {
  nets::Translator pg = tiny("cnet", 8, 1), tm = tiny("cnet", 8, 2), sm = tiny("cnet", 8, 3);
  torch::Tensor x, z, mask;
  UnrolledUpdate update;
  double epsilon = 0.05;
  TinyProblem() {
    torch::manual_seed(4);
    x = torch::rand({2, 3, 8, 8}, torch::kDouble) * 2 - 1;
    z = torch::rand({2, 3, 8, 8}, torch::kDouble) * 2 - 1;
    mask = torch::full({2, 1, 8, 8}, 0.01, torch::kDouble);
    mask.narrow(2, 2, 4).narrow(3, 2, 4).fill_(1.0);
    update.lr = 0.5;  // large enough that θ' moves visibly in double precision
  }
  torch::Tensor objective() {
    torch::Tensor x_poisoned = (x + epsilon * pg->forward(x)).clamp(-1, 1);
    auto theta = unrolled_parameters(*tm, z, x_poisoned, update);
    torch::Tensor m_prime;
    {
      nets::ParameterSubstitution with_updated(*tm, theta);
      m_prime = tm->forward(z);
    }
    return reenact_influence_loss(sm->forward(z).detach(), m_prime, x, mask);
  }
};

// The test that shows the defence is not a no-op: PG's gradient comes through θ' and equals a
// central finite difference.
void expect_hypergradient_matches_finite_difference(TinyProblem& s) {
  torch::Tensor loss = s.objective();
  s.pg->zero_grad();
  loss.backward();
  // The PG parameter element with the largest gradient.
  torch::Tensor param;
  std::int64_t index = 0;
  double best = -1;
  for (auto& p : s.pg->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    torch::Tensor g = p.grad().flatten().abs();
    const double m = g.max().item<double>();
    if (m > best) best = m, param = p, index = g.argmax().item<std::int64_t>();
  }
  ASSERT_GT(best, 1e-8) << "PG gets no gradient through the unrolled update";
  const double analytic = param.grad().flatten()[index].item<double>();
  const double h = 1e-6;
  torch::NoGradGuard no_grad_for_edits;
  auto flat = param.view(-1);
  const double original = flat[index].item<double>();
  double plus, minus;
  {
    flat[index] = original + h;
    torch::AutoGradMode enable(true);
    plus = s.objective().item<double>();
  }
  {
    flat[index] = original - h;
    torch::AutoGradMode enable(true);
    minus = s.objective().item<double>();
  }
  flat[index] = original;
  const double numeric = (plus - minus) / (2 * h);
  EXPECT_NEAR(analytic, numeric, 1e-4 * std::abs(numeric) + 1e-9) << "analytic " << analytic << " numeric " << numeric;
}

TEST(ReenactDefence, PgGradientFlowsThroughTheUnrolledUpdateAndMatchesAFiniteDifference) {
  TinyProblem s;
  expect_hypergradient_matches_finite_difference(s);
}

TEST(ReenactDefence, SmoothL1InnerLossAndTwoStepsToo) {
  TinyProblem s;
  s.update.loss = InnerLoss::SmoothL1;
  s.update.steps = 2;
  expect_hypergradient_matches_finite_difference(s);
}

TEST(ReenactDefence, UnrolledParametersAreOneSgdStepAndLeaveTmAlone) {
  TinyProblem s;
  torch::Tensor xp = s.x.detach();
  auto theta = unrolled_parameters(*s.tm, s.z, xp, s.update);
  // By hand: θ − η·∇θ MSE(TM(z), x').
  s.tm->zero_grad();
  inner_loss(s.tm->forward(s.z), xp, InnerLoss::Mse).backward();
  const auto named = s.tm->named_parameters();
  ASSERT_EQ(theta.size(), named.size());
  for (const auto& [name, value] : theta) {
    const torch::Tensor& p = named[name];
    EXPECT_TRUE(torch::allclose(value, p - s.update.lr * p.grad(), 1e-12, 1e-12)) << name;
  }
}

TEST(ReenactDefence, InfluenceLossIsEquationEleven) {
  const torch::Tensor x = torch::zeros({1, 3, 2, 2});
  const torch::Tensor sm = torch::full({1, 3, 2, 2}, 0.1);
  torch::Tensor mp = torch::full({1, 3, 2, 2}, 0.5);
  torch::Tensor mask = torch::tensor({1.0f, 0.01f, 0.01f, 1.0f}).view({1, 1, 2, 2});
  // mean|0.1·m| − mean|0.5·m| = (0.1 − 0.5)·mean(m) = −0.4 · 0.505
  EXPECT_NEAR(reenact_influence_loss(sm, mp, x, mask).item<double>(), -0.4 * 0.505, 1e-6);
  EXPECT_THROW(inner_loss_named("l1"), UsageError);
}

}  // namespace
}  // namespace idef::losses
