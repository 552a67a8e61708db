// LPIPS and the VGG perceptual loss with randomly initialised weights files made here (real
// ImageNet weights cannot be downloaded): file format, names, shapes, and the arithmetic
// against an independent functional forward written from the file's tensors.
#include "metrics/perceptual.h"

#include <gtest/gtest.h>

#include <map>

#include "core/atomic_file.h"
#include "core/error.h"
#include "model/model_file.h"
#include "test_util.h"

namespace idef {
namespace {

using test::ScratchDir;

// A random network with non-negative lin weights (LPIPS's are clamped to ≥ 0 in training).
PerceptualNet random_net(const std::string& arch) {
  torch::manual_seed(5);
  PerceptualNet net(arch);
  torch::NoGradGuard no_grad;
  for (auto& lin : net->lin)
    for (auto& p : lin->parameters()) p.abs_();
  return net;
}

torch::Tensor images(std::int64_t n, std::int64_t size, int seed) {
  torch::manual_seed(seed);
  return torch::rand({n, 3, size, size}) * 2 - 1;
}

TEST(Perceptual, NetworksCarryTorchvisionAndLpipsNames) {
  PerceptualNet alex("alex");
  std::map<std::string, std::vector<std::int64_t>> shapes;
  for (const auto& p : alex->named_parameters(true)) shapes[p.key()] = p.value().sizes().vec();
  EXPECT_EQ(shapes.size(), 5u * 2 + 5);
  EXPECT_EQ(shapes.at("features.0.weight"), (std::vector<std::int64_t>{64, 3, 11, 11}));
  EXPECT_EQ(shapes.at("features.3.weight"), (std::vector<std::int64_t>{192, 64, 5, 5}));
  EXPECT_EQ(shapes.at("features.10.bias"), (std::vector<std::int64_t>{256}));
  EXPECT_EQ(shapes.at("lin2.model.1.weight"), (std::vector<std::int64_t>{1, 384, 1, 1}));
  PerceptualNet vgg("vgg");
  shapes.clear();
  for (const auto& p : vgg->named_parameters(true)) shapes[p.key()] = p.value().sizes().vec();
  EXPECT_EQ(shapes.size(), 13u * 2 + 5);
  EXPECT_EQ(shapes.at("features.28.weight"), (std::vector<std::int64_t>{512, 512, 3, 3}));
  EXPECT_EQ(shapes.at("features.5.weight"), (std::vector<std::int64_t>{128, 64, 3, 3}));
  EXPECT_EQ(shapes.at("lin4.model.1.weight"), (std::vector<std::int64_t>{1, 512, 1, 1}));
  EXPECT_THROW(PerceptualNet("squeeze"), Error);
}

TEST(Perceptual, LpipsAlexFromAWeightsFile) {
  ScratchDir dir;
  PerceptualNet net = random_net("alex");
  save_perceptual_weights(dir / "alex.idm", net);
  Lpips lpips = Lpips::load(dir / "alex.idm");
  EXPECT_EQ(lpips.arch(), "alex");
  torch::Tensor a = images(2, 32, 1), b = images(2, 32, 2);
  torch::Tensor d = lpips.distance(a, b);
  ASSERT_EQ(d.sizes(), (std::vector<std::int64_t>{2}));
  EXPECT_TRUE(torch::isfinite(d).all().item<bool>());
  EXPECT_GT(d.min().item<float>(), 0.0f);
  EXPECT_EQ(lpips.per_image(a, a), (std::vector<double>{0.0, 0.0}));  // identical → exactly 0
  auto ab = lpips.per_image(a, b), ba = lpips.per_image(b, a);
  EXPECT_NEAR(ab[0], ba[0], 1e-6);
  // A closer picture is nearer.
  auto near = lpips.per_image(a, (a + 0.05 * (b - a)));
  EXPECT_LT(near[0], ab[0]);
  EXPECT_THROW(lpips.distance(images(1, 30, 1), images(1, 30, 2)), Error);  // alex needs ≥ 31 px
}

// LPIPS written out again with torch's functional ops and the tensors as the file holds
// them: AlexNet's layer sequence, LPIPS's scaling constants, unit normalisation over
// channels, lin weights, spatial mean, sum over the five layers.
TEST(Perceptual, LpipsAlexMatchesAFunctionalForwardOfTheFileTensors) {
  ScratchDir dir;
  PerceptualNet net = random_net("alex");
  save_perceptual_weights(dir / "alex.idm", net);
  ModelFile file = ModelFile::load(dir / "alex.idm");
  EXPECT_EQ(file.meta.get_string("task"), "perceptual");
  EXPECT_EQ(file.meta.get_string("network.arch"), "alex");
  std::map<std::string, torch::Tensor> w;
  for (auto& [name, t] : file.tensors("weights")) w[name] = t;
  auto trunk = [&](torch::Tensor x) {
    x = (x - torch::tensor({-.030f, -.088f, -.188f}).view({1, 3, 1, 1})) /
        torch::tensor({.458f, .448f, .450f}).view({1, 3, 1, 1});
    std::vector<torch::Tensor> taps;
    x = torch::relu(torch::conv2d(x, w["features.0.weight"], w["features.0.bias"], 4, 2));
    taps.push_back(x);
    x = torch::max_pool2d(x, 3, 2);
    x = torch::relu(torch::conv2d(x, w["features.3.weight"], w["features.3.bias"], 1, 2));
    taps.push_back(x);
    x = torch::max_pool2d(x, 3, 2);
    for (int i : {6, 8, 10}) {
      x = torch::relu(torch::conv2d(x, w["features." + std::to_string(i) + ".weight"],
                                    w["features." + std::to_string(i) + ".bias"], 1, 1));
      taps.push_back(x);
    }
    return taps;
  };
  torch::Tensor a = images(2, 40, 3), b = images(2, 40, 4);
  auto ta = trunk(a), tb = trunk(b);
  torch::Tensor expected = torch::zeros({2});
  for (int k = 0; k < 5; ++k) {
    torch::Tensor na = ta[k] / (ta[k].pow(2).sum(1, true).sqrt() + 1e-10);
    torch::Tensor nb = tb[k] / (tb[k].pow(2).sum(1, true).sqrt() + 1e-10);
    torch::Tensor lw = w["lin" + std::to_string(k) + ".model.1.weight"];
    expected += ((na - nb).pow(2) * lw).sum(1).mean({1, 2});
  }
  torch::Tensor got = Lpips::load(dir / "alex.idm").distance(a, b);
  EXPECT_TRUE(torch::allclose(got, expected, 1e-4, 1e-6)) << got << expected;
}

TEST(Perceptual, VggWeightsServeLpipsAndThePerceptualLoss) {
  ScratchDir dir;
  PerceptualNet net = random_net("vgg");
  save_perceptual_weights(dir / "vgg.idm", net);
  torch::Tensor a = images(1, 16, 5), b = images(1, 16, 6);
  Lpips lpips = Lpips::load(dir / "vgg.idm");
  EXPECT_EQ(lpips.min_size(), 16);
  EXPECT_EQ(lpips.per_image(a, a)[0], 0.0);
  double d = lpips.per_image(a, b)[0];
  EXPECT_TRUE(std::isfinite(d));
  EXPECT_GT(d, 0.0);

  auto l1 = VggPerceptualLoss::load(dir / "vgg.idm");
  auto l2 = VggPerceptualLoss::load(dir / "vgg.idm", VggPerceptualLoss::Distance::L2, 2);
  EXPECT_EQ(l1(a, a).item<float>(), 0.0f);
  float v1 = l1(a, b).item<float>(), v2 = l2(a, b).item<float>();
  EXPECT_TRUE(std::isfinite(v1) && v1 > 0);
  EXPECT_TRUE(std::isfinite(v2) && v2 > 0);
  // The loss is differentiable in its input, for training.
  torch::Tensor x = b.clone().requires_grad_(true);
  l1(a, x).backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_GT(x.grad().abs().sum().item<float>(), 0.0f);

  // The perceptual loss needs no lin weights; LPIPS does and names the missing tensor.
  ModelFile features_only;
  features_only.meta.set("task", std::string("perceptual"));
  features_only.meta.set("network.arch", std::string("vgg"));
  NamedTensors kept;
  for (auto& [name, t] : ModelFile::load(dir / "vgg.idm").tensors("weights"))
    if (name.rfind("features.", 0) == 0) kept.emplace_back(name, t);
  features_only.set_tensors("weights", kept);
  features_only.save(dir / "vgg-features.idm");
  EXPECT_NO_THROW(VggPerceptualLoss::load(dir / "vgg-features.idm"));
  try {
    Lpips::load(dir / "vgg-features.idm");
    FAIL() << "LPIPS loaded without lin weights";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("lin0.model.1.weight"), std::string::npos) << e.what();
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

TEST(Perceptual, MissingOrWrongFilesAreInputErrors) {
  ScratchDir dir;
  auto load = [](const std::string& path) { return [path] { Lpips::load(path); }; };
  EXPECT_NE(error_of(load(dir / "missing.idm")).find("missing.idm"), std::string::npos);

  write_all(dir / "garbage.idm", "not a model at all");
  EXPECT_NE(error_of(load(dir / "garbage.idm")).find("garbage.idm"), std::string::npos);

  ModelFile editor;
  editor.meta.set("task", std::string("editor"));
  editor.set_tensors("weights", {});
  editor.save(dir / "editor.idm");
  EXPECT_NE(error_of(load(dir / "editor.idm")).find("task"), std::string::npos);

  ModelFile odd;
  odd.meta.set("task", std::string("perceptual"));
  odd.meta.set("network.arch", std::string("squeeze"));
  odd.set_tensors("weights", {});
  odd.save(dir / "odd.idm");
  EXPECT_NE(error_of(load(dir / "odd.idm")).find("squeeze"), std::string::npos);

  // Right names, one wrong shape: the message names the tensor.
  PerceptualNet net = random_net("alex");
  NamedTensors tensors;
  for (const auto& p : net->named_parameters(true))
    tensors.emplace_back(p.key(), p.key() == "features.3.weight" ? torch::zeros({192, 64, 3, 3}) : p.value());
  ModelFile wrong;
  wrong.meta.set("task", std::string("perceptual"));
  wrong.meta.set("network.arch", std::string("alex"));
  wrong.set_tensors("weights", tensors);
  wrong.save(dir / "wrong.idm");
  std::string msg = error_of(load(dir / "wrong.idm"));
  EXPECT_NE(msg.find("features.3.weight"), std::string::npos) << msg;
  EXPECT_NE(msg.find("wrong.idm"), std::string::npos) << msg;

  // alex weights are not VGG's.
  save_perceptual_weights(dir / "alex.idm", net);
  EXPECT_NE(error_of([&] { VggPerceptualLoss::load(dir / "alex.idm"); }).find("vgg"), std::string::npos);
}

}  // namespace
}  // namespace idef
