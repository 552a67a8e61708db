#include "nets/layers.h"

#include <gtest/gtest.h>

#include <set>

#include "core/error.h"
#include "nets/editor.h"
#include "nets/translator.h"

namespace nd = idef::nets::detail;

namespace {

std::map<std::string, std::vector<int64_t>> shapes(const torch::nn::Module& m) {
  std::map<std::string, std::vector<int64_t>> s;
  for (const auto& p : m.named_parameters()) s[p.key()] = p.value().sizes().vec();
  return s;
}

struct Owner : torch::nn::Module {};

}  // namespace

TEST(NetsLayers, UNetFollowsPix2PixLayout) {
  auto owner = std::make_shared<Owner>();
  nd::UNetBody body(*owner, 3, 2, 4, 6);
  const auto s = shapes(*owner);
  using V = std::vector<int64_t>;
  // Outermost down: no norm, so a bias; channels ngf·{1, 2, 4, 8, 8, 8}.
  EXPECT_EQ(s.at("down.0.conv.weight"), (V{4, 3, 4, 4}));
  EXPECT_TRUE(s.count("down.0.conv.bias"));
  EXPECT_FALSE(s.count("down.0.norm.weight"));
  EXPECT_EQ(s.at("down.1.conv.weight"), (V{8, 4, 4, 4}));
  EXPECT_FALSE(s.count("down.1.conv.bias"));
  EXPECT_EQ(s.at("down.1.norm.weight"), (V{8}));
  EXPECT_EQ(s.at("down.3.conv.weight"), (V{32, 16, 4, 4}));
  EXPECT_EQ(s.at("down.4.conv.weight"), (V{32, 32, 4, 4}));
  // Innermost: its 1×1 map is not normalised; its up has no skip to concatenate.
  EXPECT_EQ(s.at("down.5.conv.weight"), (V{32, 32, 4, 4}));
  EXPECT_FALSE(s.count("down.5.norm.weight"));
  EXPECT_EQ(s.at("up.5.conv.weight"), (V{32, 32, 4, 4}));  // ConvTranspose: [in, out, k, k]
  EXPECT_EQ(s.at("up.5.norm.weight"), (V{32}));
  EXPECT_EQ(s.at("up.4.conv.weight"), (V{64, 32, 4, 4}));  // skip concatenated
  EXPECT_EQ(s.at("up.1.conv.weight"), (V{16, 4, 4, 4}));
  // Outermost up: to the output channels, with a bias, then tanh.
  EXPECT_EQ(s.at("up.0.conv.weight"), (V{8, 2, 4, 4}));
  EXPECT_TRUE(s.count("up.0.conv.bias"));
  EXPECT_FALSE(s.count("up.0.norm.weight"));
  EXPECT_EQ(s.size(), 12 + 3 + 2 * (4 + 5));  // conv weights, 3 biases where no norm follows, norms' pairs
}

TEST(NetsLayers, ResNetFollowsStarGanLayout) {
  auto owner = std::make_shared<Owner>();
  nd::ResNetBody body(*owner, 8, 3, 4, 6);
  const auto s = shapes(*owner);
  using V = std::vector<int64_t>;
  EXPECT_EQ(s.at("stem.conv.weight"), (V{4, 8, 7, 7}));
  EXPECT_EQ(s.at("down.0.conv.weight"), (V{8, 4, 4, 4}));
  EXPECT_EQ(s.at("down.1.conv.weight"), (V{16, 8, 4, 4}));
  EXPECT_EQ(s.at("res.5.conv2.weight"), (V{16, 16, 3, 3}));
  EXPECT_EQ(s.at("res.5.norm2.bias"), (V{16}));
  EXPECT_EQ(s.at("up.0.conv.weight"), (V{16, 8, 4, 4}));
  EXPECT_EQ(s.at("up.1.norm.weight"), (V{4}));
  EXPECT_EQ(s.at("head.weight"), (V{3, 4, 7, 7}));
  for (const auto& [name, shape] : s)  // the norms' shifts are the only biases (StarGAN)
    if (name.find(".bias") != std::string::npos) EXPECT_NE(name.find("norm"), std::string::npos) << name;

  auto plain = std::make_shared<Owner>();
  nd::ResNetBody cnet(*plain, 3, 3, 4, 0);
  for (const auto& [name, shape] : shapes(*plain)) EXPECT_NE(name.rfind("res.", 0), 0u) << name;
  EXPECT_EQ(cnet.forward(torch::zeros({1, 3, 12, 20})).sizes(), (std::vector<int64_t>{1, 3, 12, 20}));
}

TEST(NetsLayers, EditorAndTranslatorShareParameterNames) {
  idef::nets::EditorConfig e;
  e.arch = "unet64";
  e.width = 4;
  e.image_size = 64;
  idef::nets::TranslatorConfig t;
  t.arch = "unet64";
  t.width = 4;
  t.image_size = 64;
  std::set<std::string> a, b;
  for (const auto& [name, shape] : shapes(*idef::nets::make_editor(e))) a.insert(name);
  for (const auto& [name, shape] : shapes(*idef::nets::make_translator(t))) b.insert(name);
  EXPECT_EQ(a, b);
}

TEST(NetsLayers, InstanceNormHasNoRunningStatistics) {
  auto norm = nd::instance_norm(4);
  EXPECT_TRUE(norm->weight.defined());
  EXPECT_TRUE(norm->bias.defined());
  EXPECT_TRUE(norm->buffers().empty());
}

TEST(NetsLayers, SizeChecks) {
  EXPECT_NO_THROW(nd::check_image_size("unet64", 192, 64));
  EXPECT_THROW(nd::check_image_size("unet64", -64, 64), idef::UsageError);
  EXPECT_NO_THROW(nd::check_input("x", torch::zeros({1, 2, 8, 16}), 2, 8));
  EXPECT_THROW(nd::check_input("x", torch::zeros({0, 2, 8, 16}), 2, 8), idef::Error);
  EXPECT_THROW(nd::check_input("x", torch::Tensor(), 2, 8), idef::Error);
  EXPECT_EQ(nd::shape_string(torch::zeros({2, 3})), "[2, 3]");
}
