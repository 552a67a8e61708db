#include "nets/translator.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "test_util.h"

#include "core/error.h"
#include "model/model_file.h"

using idef::nets::make_translator;
using idef::nets::TranslatorConfig;

namespace {

TranslatorConfig config(const std::string& arch, int size, int width = 4, int in = 3, int out = 3) {
  TranslatorConfig c;
  c.arch = arch;
  c.in_channels = in;
  c.out_channels = out;
  c.width = width;
  c.image_size = size;
  return c;
}

TranslatorConfig smallest(const std::string& arch) {
  if (arch == "unet64") return config(arch, 64);
  if (arch == "unet128") return config(arch, 128);
  if (arch == "unet256") return config(arch, 256, 2);
  return config(arch, 32);
}

std::string usage_error(const TranslatorConfig& c) {
  try {
    make_translator(c);
  } catch (const idef::UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

struct ShapeCase {
  std::string arch;
  int size, width, in, out;
};

void PrintTo(const ShapeCase& s, std::ostream* os) { *os << s.arch << " @" << s.size << " width " << s.width; }

class TranslatorShapes : public testing::TestWithParam<ShapeCase> {};

}  // namespace

TEST_P(TranslatorShapes, OutputHasTheRequestedShapeAndRange) {
  const ShapeCase& s = GetParam();
  torch::manual_seed(3);
  auto net = make_translator(config(s.arch, s.size, s.width, s.in, s.out));
  const torch::Tensor x = torch::rand({2, s.in, s.size, s.size}) * 2 - 1;
  const torch::Tensor y = net->forward(x);
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, s.out, s.size, s.size}));
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
  EXPECT_LE(y.abs().max().item<float>(), 1.0f);
  EXPECT_GT(y.std().item<float>(), 0.0f);
}

INSTANTIATE_TEST_SUITE_P(
    Nets, TranslatorShapes,
    testing::Values(ShapeCase{"unet64", 64, 4, 3, 3}, ShapeCase{"unet64", 128, 4, 1, 3},
                    ShapeCase{"unet128", 128, 4, 3, 3}, ShapeCase{"unet256", 256, 2, 3, 3},
                    ShapeCase{"res6", 32, 4, 3, 3}, ShapeCase{"res6", 64, 4, 3, 3}, ShapeCase{"res6", 128, 4, 3, 1},
                    ShapeCase{"res9", 32, 4, 3, 3}, ShapeCase{"res9", 64, 4, 3, 3}, ShapeCase{"res9", 128, 4, 3, 3},
                    ShapeCase{"cnet", 32, 4, 3, 3}, ShapeCase{"cnet", 64, 4, 3, 3}, ShapeCase{"cnet", 128, 4, 3, 3},
                    ShapeCase{"unet5-bn", 16, 4, 3, 3}, ShapeCase{"unet5-bn", 64, 4, 3, 3},
                    ShapeCase{"resnet_6blocks", 32, 4, 3, 3}, ShapeCase{"resnet_9blocks", 64, 4, 1, 3}),
    [](const testing::TestParamInfo<ShapeCase>& info) {
      std::string arch = info.param.arch;
      std::replace(arch.begin(), arch.end(), '-', '_');  // test names are identifiers
      return arch + "_" + std::to_string(info.param.size) + "_" + std::to_string(info.param.in) + "to" +
             std::to_string(info.param.out);
    });

TEST(Translator, ListsItsArchitectures) {
  EXPECT_EQ(idef::nets::translator_architectures(),
            (std::vector<std::string>{"unet64", "unet128", "unet256", "res6", "res9", "cnet", "unet5-bn",
                                      "resnet_6blocks", "resnet_9blocks"}));
}

// The authors' released PG: BatchNorm, so training normalises by the batch and evaluation by
// the running statistics the training left; one image's δ in eval() is its own.
TEST(Translator, ReleasedUNetUsesBatchStatisticsOnlyInTraining) {
  torch::manual_seed(6);
  auto net = make_translator(config("unet5-bn", 16));
  const torch::Tensor x = torch::rand({4, 3, 16, 16}) * 2 - 1;
  EXPECT_THROW(net->forward(torch::rand({1, 3, 24, 24})), idef::Error);  // 16 px multiples
  net->train();
  const torch::Tensor in_batch = net->forward(x);
  net->eval();
  const torch::Tensor alone = net->forward(x.slice(0, 0, 1)), together = net->forward(x);
  EXPECT_TRUE(torch::allclose(alone, together.slice(0, 0, 1), 1e-5, 1e-6));
  EXPECT_FALSE(torch::allclose(in_batch, together, 1e-4, 1e-5));
  EXPECT_NE(usage_error(config("unet5-bn", 40)).find("multiple of 16"), std::string::npos);
}

TEST(Translator, OutputDependsOnTheInputEverywhere) {
  // The U-Net's skips and its innermost level both matter: changing the input changes the
  // output, and so does changing only the centre of the image (seen by the deep levels).
  for (const auto& arch : idef::nets::translator_architectures()) {
    SCOPED_TRACE(arch);
    torch::manual_seed(4);
    const TranslatorConfig c = smallest(arch);
    auto net = make_translator(c);
    const torch::Tensor x = torch::rand({1, 3, c.image_size, c.image_size}) * 2 - 1;
    torch::Tensor x2 = x.clone();
    x2.index_put_({0, torch::indexing::Slice(), c.image_size / 2, c.image_size / 2}, 1.0);
    const torch::Tensor y = net->forward(x), y2 = net->forward(x2);
    EXPECT_GT((y - y2).abs().max().item<float>(), 1e-6f);
    // Far corners change too where the receptive field covers the whole image (U-Nets).
    if (arch.rfind("unet", 0) == 0) EXPECT_GT((y - y2).index({0, 0, 0, 0}).abs().item<float>(), 0.0f);
  }
}

TEST(Translator, Pix2PixUNetsHavePix2PixsParameterCounts) {
  // pix2pix's unet_256 at ngf 64 (BatchNorm) has 54,413,955 parameters (it prints
  // "54.414 M"), unet_128 41,828,995. InstanceNorm's affine parameters replace BatchNorm's
  // one for one; we add a bias to the two down convs that no norm follows (64 + 512).
  EXPECT_EQ(idef::test::parameter_count(*make_translator(config("unet256", 256, 64))), 54413955 + 576);
  EXPECT_EQ(idef::test::parameter_count(*make_translator(config("unet128", 128, 64))), 41828995 + 576);
}

TEST(Translator, UsesPix2PixInitialisation) {
  torch::manual_seed(8);
  auto net = make_translator(config("unet64", 64, 16));
  for (const auto& p : net->named_parameters()) {
    if (p.key() == "down.1.conv.weight") EXPECT_NEAR(p.value().std().item<double>(), 0.02, 0.002);
    if (p.key() == "down.1.norm.weight") EXPECT_NEAR(p.value().mean().item<double>(), 1.0, 0.01);
    if (p.key() == "up.0.conv.bias") EXPECT_EQ(p.value().abs().max().item<double>(), 0.0);
  }
}

TEST(Translator, RefusesUnsupportedConfigurations) {
  EXPECT_EQ(usage_error(config("unet128", 100)), "unet128 needs an image size that is a multiple of 128 (got 100)");
  EXPECT_EQ(usage_error(config("unet64", 32)), "unet64 needs an image size that is a multiple of 64 (got 32)");
  EXPECT_EQ(usage_error(config("unet256", 128)), "unet256 needs an image size that is a multiple of 256 (got 128)");
  EXPECT_EQ(usage_error(config("res9", 66)), "res9 needs an image size that is a multiple of 4 (got 66)");
  EXPECT_NE(usage_error(config("unet32", 64)).find("unknown translator architecture 'unet32'"), std::string::npos);
  EXPECT_NE(usage_error(config("cnet", 64, 4, 0, 3)).find("input channels must be at least 1"), std::string::npos);
  EXPECT_NE(usage_error(config("cnet", 64, 4, 3, 0)).find("output channels must be at least 1"), std::string::npos);
}

TEST(Translator, ForwardRefusesMismatchedInputs) {
  auto net = make_translator(config("unet64", 64, 4, 1, 3));
  EXPECT_THROW(net->forward(torch::zeros({1, 3, 64, 64})), idef::Error);
  EXPECT_THROW(net->forward(torch::zeros({1, 1, 64, 100})), idef::Error);
  EXPECT_THROW(net->forward(torch::zeros({1, 64, 64})), idef::Error);
}

TEST(Translator, ModelFileRoundTripReproducesOutputs) {
  idef::test::ScratchDir dir;
  for (const auto& arch : idef::nets::translator_architectures()) {
    SCOPED_TRACE(arch);
    const TranslatorConfig c = smallest(arch);
    torch::manual_seed(21);
    auto saved = make_translator(c);
    idef::ModelFile file;
    file.set_module("weights", *saved);
    file.save(dir / (arch + ".idm"));
    torch::manual_seed(22);
    auto loaded = make_translator(c);
    const torch::Tensor x = torch::rand({1, 3, c.image_size, c.image_size}) * 2 - 1;
    ASSERT_FALSE(torch::equal(saved->forward(x), loaded->forward(x)));
    idef::ModelFile::load(dir / (arch + ".idm")).load_module("weights", *loaded);
    EXPECT_TRUE(torch::equal(saved->forward(x), loaded->forward(x)));
  }
}

// The universal perturbation: one bounded pattern, whatever the input, that training moves.
TEST(Translator, UniversalPatternIgnoresItsInputAndLearns) {
  torch::manual_seed(3);
  auto net = make_translator(config(idef::nets::kUniversalArch, 16));
  const torch::Tensor a = torch::rand({2, 3, 16, 16}) * 2 - 1, b = torch::rand({2, 3, 16, 16}) * 2 - 1;
  const torch::Tensor y = net->forward(a);
  ASSERT_EQ(y.sizes(), a.sizes());
  EXPECT_TRUE(torch::equal(y, net->forward(b)));
  EXPECT_TRUE(torch::equal(y[0], y[1]));
  EXPECT_LE(y.abs().max().item<float>(), 1.0f);
  EXPECT_GT(y.abs().mean().item<float>(), 0.5f);  // starts near saturation, where a forger learns it
  EXPECT_GT(y.std().item<float>(), 0.3f);         // a pattern, not a constant
  y.sum().backward();
  const auto params = net->parameters();
  ASSERT_EQ(params.size(), 1u);
  EXPECT_GT(params[0].grad().abs().sum().item<float>(), 0.0f);
  EXPECT_THROW(net->forward(torch::rand({1, 3, 32, 32})), idef::Error);  // the pattern's own size only
  EXPECT_EQ(std::count(idef::nets::translator_architectures().begin(), idef::nets::translator_architectures().end(),
                       std::string(idef::nets::kUniversalArch)),
            0);  // not an image-to-image network
}
