#include "nets/substitution.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "nets/discriminators.h"
#include "nets/editor.h"
#include "nets/translator.h"

using idef::nets::ParameterSubstitution;
using Replacements = std::vector<std::pair<std::string, torch::Tensor>>;

namespace {

idef::nets::Translator translator(const std::string& arch, int size, int width = 4) {
  idef::nets::TranslatorConfig c;
  c.arch = arch;
  c.width = width;
  c.image_size = size;
  return idef::nets::make_translator(c);
}

idef::nets::Editor editor(const std::string& arch, int size, int width = 4) {
  idef::nets::EditorConfig c;
  c.arch = arch;
  c.width = width;
  c.image_size = size;
  return idef::nets::make_editor(c);
}

Replacements transformed(const torch::nn::Module& m, const std::function<torch::Tensor(const torch::Tensor&)>& f) {
  Replacements r;
  for (const auto& p : m.named_parameters()) r.emplace_back(p.key(), f(p.value()));
  return r;
}

// Every parameter's tensor object, to check that the very same objects come back.
std::vector<torch::Tensor> handles(const torch::nn::Module& m) { return m.parameters(); }

// The members the layers' forward reads are the registered parameters again.
void expect_layers_use_their_parameters(const torch::nn::Module& m) {
  for (const auto& item : m.named_modules()) {
    torch::nn::Module& layer = *item.value();
    const auto params = layer.named_parameters(/*recurse=*/false);
    auto check = [&](const torch::Tensor& member, const char* local) {
      const torch::Tensor* p = params.find(local);
      if (p) EXPECT_TRUE(member.is_same(*p)) << item.key() << "." << local;
    };
    if (auto* c = layer.as<torch::nn::Conv2d>()) check(c->weight, "weight"), check(c->bias, "bias");
    if (auto* c = layer.as<torch::nn::ConvTranspose2d>()) check(c->weight, "weight"), check(c->bias, "bias");
    if (auto* c = layer.as<torch::nn::InstanceNorm2d>()) check(c->weight, "weight"), check(c->bias, "bias");
  }
}

// The networks of the zoo, each with an input, behind one signature.
struct Case {
  std::string name;
  std::shared_ptr<torch::nn::Module> module;
  std::function<torch::Tensor()> run;
};

std::vector<Case> zoo() {
  torch::manual_seed(7);
  std::vector<Case> cases;
  for (const auto& arch : idef::nets::editor_architectures()) {
    const int size = arch == "unet64" ? 64 : arch == "unet128" ? 128 : arch == "unet256" ? 256 : 16;
    auto e = editor(arch, size, arch == "unet256" ? 2 : 4);
    const torch::Tensor x = torch::rand({2, 3, size, size}) * 2 - 1;
    const torch::Tensor c = torch::randint(0, 2, {2, 5}).to(torch::kFloat);
    cases.push_back({"editor " + arch, e, [=] { return e->forward(x, c); }});
  }
  for (const std::string arch : {"unet64", "res6", "cnet"}) {
    auto t = translator(arch, 64);
    const torch::Tensor x = torch::rand({1, 3, 64, 64}) * 2 - 1;
    cases.push_back({"translator " + arch, t, [=] { return t->forward(x); }});
  }
  idef::nets::StarGanDiscriminator d(32, 4, 5);
  const torch::Tensor xd = torch::rand({2, 3, 32, 32});
  cases.push_back({"stargan-d", d.ptr(), [=]() mutable {
                     auto [src, cls] = d->forward(xd);
                     return torch::cat({src.flatten(), cls.flatten()});
                   }});
  idef::nets::PatchDiscriminator p(6, 4);
  const torch::Tensor xp = torch::rand({1, 6, 32, 32});
  cases.push_back({"patch-d", p.ptr(), [=]() mutable { return p->forward(xp); }});
  return cases;
}

}  // namespace

TEST(NetsSubstitution, OwnParametersGiveTheSameOutputAndGradientsReachThem) {
  for (const Case& c : zoo()) {
    SCOPED_TRACE(c.name);
    const torch::Tensor before = c.run().detach();
    const auto originals = handles(*c.module);
    torch::Tensor out;
    {
      // θ·1 is a non-leaf function of θ, like θ − η·g.
      ParameterSubstitution s(*c.module, transformed(*c.module, [](const torch::Tensor& p) { return p * 1.0; }));
      out = c.run();
      EXPECT_TRUE(torch::equal(out, before));
    }
    out.pow(2).sum().backward();
    for (const auto& p : c.module->named_parameters()) {
      ASSERT_TRUE(p.value().grad().defined()) << p.key();
      EXPECT_GT(p.value().grad().abs().max().item<float>(), 0.0f) << p.key();
    }
    const auto after = handles(*c.module);
    ASSERT_EQ(after.size(), originals.size());
    for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(after[i].is_same(originals[i]));
    expect_layers_use_their_parameters(*c.module);
    EXPECT_TRUE(torch::equal(c.run(), before));
  }
}

TEST(NetsSubstitution, ComputesWithTheGivenValues) {
  // A network evaluated with another network's parameters gives that network's output.
  torch::manual_seed(8);
  for (const std::string arch : {"res6", "unet64"}) {
    SCOPED_TRACE(arch);
    auto a = editor(arch, 64), b = editor(arch, 64);
    const torch::Tensor x = torch::rand({1, 3, 64, 64}) * 2 - 1;
    const torch::Tensor c = torch::tensor({{0.f, 1.f, 0.f, 1.f, 1.f}});
    const torch::Tensor ya = a->forward(x, c).detach(), yb = b->forward(x, c).detach();
    ASSERT_FALSE(torch::allclose(ya, yb));
    {
      ParameterSubstitution s(*a, transformed(*b, [](const torch::Tensor& p) { return p.detach().clone(); }));
      EXPECT_TRUE(torch::allclose(a->forward(x, c), yb, 1e-5, 1e-6));
    }
    EXPECT_TRUE(torch::equal(a->forward(x, c), ya));
  }
}

TEST(NetsSubstitution, ReplacesOnlyTheNamedParameters) {
  torch::manual_seed(9);
  auto t = translator("unet64", 64);
  const torch::Tensor x = torch::rand({1, 3, 64, 64});
  const torch::Tensor y = t->forward(x).detach();
  torch::Tensor head_weight;
  for (const auto& p : t->named_parameters())
    if (p.key() == "up.0.conv.weight") head_weight = p.value();
  ASSERT_TRUE(head_weight.defined());
  {
    ParameterSubstitution s(*t, {{"up.0.conv.bias", torch::full({3}, 100.0)}});
    // tanh(anything + 100) = 1: only the outermost bias was replaced.
    EXPECT_TRUE(torch::allclose(t->forward(x), torch::ones_like(y)));
  }
  {
    ParameterSubstitution s(*t, {{"up.0.conv.weight", torch::zeros_like(head_weight)}});
    EXPECT_TRUE(torch::allclose(t->forward(x), torch::zeros_like(y)));  // the bias is zero at init
  }
  EXPECT_TRUE(torch::equal(t->forward(x), y));
  EXPECT_TRUE(head_weight.requires_grad());
  EXPECT_TRUE(head_weight.is_leaf());
}

TEST(NetsSubstitution, Nests) {
  torch::manual_seed(10);
  auto t = translator("cnet", 32);
  const torch::Tensor x = torch::rand({1, 3, 32, 32});
  const torch::Tensor y = t->forward(x).detach();
  {
    ParameterSubstitution outer(*t, transformed(*t, [](const torch::Tensor& p) { return p * 0.5; }));
    const torch::Tensor y_outer = t->forward(x).detach();
    EXPECT_FALSE(torch::allclose(y_outer, y));
    {
      ParameterSubstitution inner(*t, {{"head.weight", torch::zeros({3, 4, 7, 7})}});
      EXPECT_TRUE(torch::equal(t->forward(x), torch::zeros_like(y)));
    }
    EXPECT_TRUE(torch::equal(t->forward(x), y_outer));
  }
  EXPECT_TRUE(torch::equal(t->forward(x), y));
}

TEST(NetsSubstitution, RefusesBadReplacementsAndChangesNothing) {
  torch::manual_seed(11);
  auto t = translator("res6", 32);
  const torch::Tensor x = torch::rand({1, 3, 32, 32});
  const torch::Tensor y = t->forward(x).detach();
  const torch::Tensor w = torch::zeros({3, 4, 7, 7});
  auto error_of = [&](const Replacements& r) -> std::string {
    try {
      ParameterSubstitution s(*t, r);
    } catch (const idef::Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_NE(error_of({{"head.weight", w}, {"head.wieght", w}}).find("no parameter of that name"), std::string::npos);
  EXPECT_NE(error_of({{"head.weight", w}, {"head.weight", w}}).find("twice"), std::string::npos);
  EXPECT_NE(error_of({{"stem.conv.weight", w}}).find("[4, 3, 7, 7]"), std::string::npos)
      << error_of({{"stem.conv.weight", w}});
  EXPECT_NE(error_of({{"head.weight", w.to(torch::kDouble)}}).find("Double"), std::string::npos);
  EXPECT_NE(error_of({{"head.weight", torch::Tensor()}}).find("undefined"), std::string::npos);
  EXPECT_NE(error_of({{"stem.norm.running_mean", torch::zeros({4})}}).find("no parameter"), std::string::npos);
  EXPECT_TRUE(torch::equal(t->forward(x), y));
}

TEST(NetsSubstitution, CoversPlainLayersAndRefusesUnknownOnes) {
  torch::manual_seed(12);
  torch::nn::Sequential seq(torch::nn::Linear(4, 3), torch::nn::LayerNorm(torch::nn::LayerNormOptions({3})));
  const torch::Tensor x = torch::rand({2, 4});
  const torch::Tensor w = torch::rand({3, 4}), b = torch::rand({3}), g = torch::rand({3}), h = torch::rand({3});
  {
    ParameterSubstitution s(*seq, {{"0.weight", w}, {"0.bias", b}, {"1.weight", g}, {"1.bias", h}});
    const torch::Tensor expected = torch::layer_norm(torch::linear(x, w, b), {3}, g, h);
    EXPECT_TRUE(torch::allclose(seq->forward(x), expected));
  }
  torch::nn::Linear bare(4, 3);  // the root module itself
  {
    ParameterSubstitution s(*bare, {{"weight", w}});
    EXPECT_TRUE(torch::allclose(bare(x), torch::linear(x, w, bare->bias)));
  }
  torch::nn::Embedding embedding(10, 3);
  auto substitute_embedding = [&] { ParameterSubstitution s(*embedding, {{"weight", torch::zeros({10, 3})}}); };
  EXPECT_THROW(substitute_embedding(), idef::Error);
}

namespace {

// The reenactment defence's unrolled step (docs/method.md), in miniature: TM takes one SGD step on
// the poisoned frame x' = x + ε·u with a smooth (MSE) loss, keeping the graph; the outer loss
// evaluates TM with θ' = θ − η·∇θ. u stands for PG's output.
torch::Tensor unrolled_outer_loss(idef::nets::TranslatorImpl& tm, const torch::Tensor& z, const torch::Tensor& x,
                                  const torch::Tensor& u, double eps, double lr, bool keep_graph) {
  const torch::Tensor poisoned = x + eps * u;
  const torch::Tensor inner = torch::mse_loss(tm.forward(z), poisoned);
  std::vector<std::string> names;
  std::vector<torch::Tensor> params;
  for (const auto& p : tm.named_parameters()) names.push_back(p.key()), params.push_back(p.value());
  const auto grads = torch::autograd::grad({inner}, params, {}, /*retain_graph=*/keep_graph, /*create_graph=*/keep_graph);
  Replacements updated;
  for (size_t i = 0; i < params.size(); ++i) updated.emplace_back(names[i], params[i] - lr * grads[i]);
  ParameterSubstitution with_updated(tm, updated);
  return torch::mse_loss(tm.forward(z), x);
}

}  // namespace

TEST(NetsSubstitution, UnrolledUpdateGradientMatchesFiniteDifference) {
  for (const std::string arch : {"unet64", "res6"}) {
    SCOPED_TRACE(arch);
    torch::manual_seed(13);
    const int size = arch == "unet64" ? 64 : 16;
    auto tm = translator(arch, size);
    tm->to(torch::kDouble);
    const auto opts = torch::TensorOptions().dtype(torch::kDouble);
    const torch::Tensor z = torch::rand({1, 3, size, size}, opts) * 2 - 1;
    const torch::Tensor x = torch::rand({1, 3, size, size}, opts) * 2 - 1;
    const torch::Tensor u0 = torch::rand({1, 3, size, size}, opts) * 2 - 1;
    const double eps = 0.5, lr = 5.0;

    const torch::Tensor u = u0.clone().requires_grad_(true);
    unrolled_outer_loss(*tm, z, x, u, eps, lr, true).backward();
    ASSERT_TRUE(u.grad().defined());

    const torch::Tensor v = torch::randn_like(u0);
    const double analytic = (u.grad() * v).sum().item<double>();
    const double h = 1e-4;
    const double plus = unrolled_outer_loss(*tm, z, x, u0 + h * v, eps, lr, false).item<double>();
    const double minus = unrolled_outer_loss(*tm, z, x, u0 - h * v, eps, lr, false).item<double>();
    const double numeric = (plus - minus) / (2 * h);
    // The outer loss only sees u through θ': a zero gradient would mean the graph was cut.
    EXPECT_GT(std::abs(analytic), 1e-9);
    EXPECT_NEAR(analytic, numeric, 0.01 * std::abs(numeric)) << "analytic " << analytic << " numeric " << numeric;
    for (const auto& p : tm->parameters()) {
      EXPECT_TRUE(p.is_leaf());
      EXPECT_TRUE(p.requires_grad());
    }
    expect_layers_use_their_parameters(*tm);
  }
}
