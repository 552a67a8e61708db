#include "nets/editor.h"

#include <gtest/gtest.h>

#include "test_util.h"

#include "core/error.h"
#include "model/model_file.h"

using idef::nets::EditorConfig;
using idef::nets::make_editor;

namespace {

EditorConfig config(const std::string& arch, int size, int width = 4, int c_dim = 5) {
  EditorConfig c;
  c.arch = arch;
  c.c_dim = c_dim;
  c.width = width;
  c.image_size = size;
  return c;
}

// Smallest size each architecture supports, with a width that keeps the tests fast.
EditorConfig smallest(const std::string& arch) {
  if (arch == "unet64") return config(arch, 64);
  if (arch == "unet128") return config(arch, 128);
  if (arch == "unet256") return config(arch, 256, 2);
  return config(arch, 32);
}

torch::Tensor labels(int64_t n, int64_t c_dim, int64_t seed) {
  torch::manual_seed(seed);
  return torch::randint(0, 2, {n, c_dim}).to(torch::kFloat);
}

std::string usage_error(const EditorConfig& c) {
  try {
    make_editor(c);
  } catch (const idef::UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

struct ShapeCase {
  std::string arch;
  int size, width;
};

void PrintTo(const ShapeCase& s, std::ostream* os) { *os << s.arch << " @" << s.size << " width " << s.width; }

class EditorShapes : public testing::TestWithParam<ShapeCase> {};

}  // namespace

TEST_P(EditorShapes, OutputHasTheImageShapeAndRange) {
  const ShapeCase& s = GetParam();
  torch::manual_seed(3);
  auto editor = make_editor(config(s.arch, s.size, s.width));
  EXPECT_EQ(editor->config().arch, s.arch);
  const torch::Tensor x = torch::rand({2, 3, s.size, s.size}) * 2 - 1;
  const torch::Tensor y = editor->forward(x, labels(2, 5, 4));
  ASSERT_EQ(y.sizes(), x.sizes());
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
  EXPECT_LE(y.abs().max().item<float>(), 1.0f);
  EXPECT_GT(y.std().item<float>(), 0.0f);  // not a constant image
}

INSTANTIATE_TEST_SUITE_P(
    Nets, EditorShapes,
    testing::Values(ShapeCase{"res6", 32, 4}, ShapeCase{"res6", 64, 4}, ShapeCase{"res6", 128, 4},
                    ShapeCase{"res9", 32, 4}, ShapeCase{"res9", 64, 4}, ShapeCase{"res9", 128, 4},
                    ShapeCase{"cnet", 32, 4}, ShapeCase{"cnet", 64, 4}, ShapeCase{"cnet", 128, 4},
                    ShapeCase{"unet64", 64, 4}, ShapeCase{"unet64", 128, 4}, ShapeCase{"unet128", 128, 4},
                    ShapeCase{"unet256", 256, 2}),
    [](const testing::TestParamInfo<ShapeCase>& info) {
      return info.param.arch + "_" + std::to_string(info.param.size);
    });

TEST(Editor, ListsItsArchitectures) {
  EXPECT_EQ(idef::nets::editor_architectures(),
            (std::vector<std::string>{"res6", "res9", "cnet", "unet64", "unet128", "unet256"}));
}

TEST(Editor, LabelsChangeTheOutput) {
  for (const auto& arch : idef::nets::editor_architectures()) {
    SCOPED_TRACE(arch);
    torch::manual_seed(5);
    const EditorConfig c = smallest(arch);
    auto editor = make_editor(c);
    const torch::Tensor x = torch::rand({1, 3, c.image_size, c.image_size}) * 2 - 1;
    const torch::Tensor black = torch::tensor({{1.f, 0.f, 0.f, 1.f, 0.f}});
    const torch::Tensor blond = torch::tensor({{0.f, 1.f, 0.f, 1.f, 0.f}});
    const torch::Tensor d = (editor->forward(x, black) - editor->forward(x, blond)).abs().mean();
    EXPECT_GT(d.item<float>(), 1e-5f);
    // Deterministic: the same labels give the same image.
    EXPECT_TRUE(torch::equal(editor->forward(x, black), editor->forward(x, black)));
  }
}

TEST(Editor, EachImageIsEditedIndependentlyOfItsBatch) {
  // InstanceNorm without running statistics: an image's result does not depend on the
  // other images of the batch, nor on train()/eval().
  for (const std::string arch : {"res6", "unet64"}) {
    SCOPED_TRACE(arch);
    torch::manual_seed(6);
    const EditorConfig c = smallest(arch);
    auto editor = make_editor(c);
    const torch::Tensor x = torch::rand({3, 3, c.image_size, c.image_size}) * 2 - 1;
    const torch::Tensor l = labels(3, 5, 7);
    const torch::Tensor batch = editor->forward(x, l);
    const torch::Tensor alone = editor->forward(x.slice(0, 1, 2), l.slice(0, 1, 2));
    EXPECT_TRUE(torch::allclose(batch.slice(0, 1, 2), alone, 1e-5, 1e-6));
    editor->eval();
    EXPECT_TRUE(torch::allclose(editor->forward(x, l), batch, 1e-5, 1e-6));
  }
}

TEST(Editor, StarGanGeneratorHasStarGansParameterCount) {
  // StarGAN's own generator (conv_dim 64, c_dim 5, 6 residual blocks) has 8,430,528.
  EXPECT_EQ(idef::test::parameter_count(*make_editor(config("res6", 128, 64))), 8430528);
  auto cnet = make_editor(config("cnet", 128, 64));
  EXPECT_EQ(idef::test::parameter_count(*cnet), 8430528 - 6 * (2 * 3 * 3 * 256 * 256 + 4 * 256));
}

TEST(Editor, RefusesUnsupportedSizes) {
  EXPECT_EQ(usage_error(config("unet128", 100)), "unet128 needs an image size that is a multiple of 128 (got 100)");
  EXPECT_EQ(usage_error(config("unet128", 64)), "unet128 needs an image size that is a multiple of 128 (got 64)");
  EXPECT_EQ(usage_error(config("unet64", 32)), "unet64 needs an image size that is a multiple of 64 (got 32)");
  EXPECT_EQ(usage_error(config("unet256", 128)), "unet256 needs an image size that is a multiple of 256 (got 128)");
  EXPECT_EQ(usage_error(config("res6", 30)), "res6 needs an image size that is a multiple of 4 (got 30)");
  EXPECT_EQ(usage_error(config("cnet", 0)), "cnet needs an image size that is a multiple of 4 (got 0)");
}

TEST(Editor, RefusesUnknownArchitecturesAndBadWidths) {
  const std::string e = usage_error(config("res7", 64));
  EXPECT_NE(e.find("unknown editor architecture 'res7'"), std::string::npos) << e;
  EXPECT_NE(e.find("res6, res9, cnet, unet64, unet128, unet256"), std::string::npos) << e;
  EXPECT_NE(usage_error(config("res6", 64, 0)).find("width must be at least 1 (got 0)"), std::string::npos);
  EXPECT_NE(usage_error(config("unet64", 64, 4, 0)).find("c_dim"), std::string::npos);
}

TEST(Editor, ForwardRefusesMismatchedInputs) {
  auto editor = make_editor(config("res6", 32));
  const torch::Tensor x = torch::zeros({2, 3, 32, 32});
  EXPECT_THROW(editor->forward(torch::zeros({2, 4, 32, 32}), labels(2, 5, 1)), idef::Error);
  EXPECT_THROW(editor->forward(torch::zeros({2, 3, 30, 32}), labels(2, 5, 1)), idef::Error);
  EXPECT_THROW(editor->forward(x, labels(2, 4, 1)), idef::Error);
  EXPECT_THROW(editor->forward(x, labels(1, 5, 1)), idef::Error);
  try {
    editor->forward(x, torch::zeros({2, 3}));
  } catch (const idef::Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected labels [2, 5], got [2, 3]"), std::string::npos) << e.what();
  }
  // Other sizes than the configured one are fine when the architecture divides them.
  EXPECT_EQ(editor->forward(torch::zeros({1, 3, 48, 40}), labels(1, 5, 1)).sizes(),
            (std::vector<int64_t>{1, 3, 48, 40}));
  auto unet = make_editor(config("unet64", 64));
  EXPECT_THROW(unet->forward(torch::zeros({1, 3, 96, 96}), labels(1, 5, 1)), idef::Error);
}

TEST(Editor, RunsInDoublePrecision) {
  auto editor = make_editor(config("unet64", 64));
  editor->to(torch::kDouble);
  const torch::Tensor y = editor->forward(torch::zeros({1, 3, 64, 64}, torch::kDouble), labels(1, 5, 2));
  EXPECT_EQ(y.scalar_type(), torch::kDouble);
}

TEST(Editor, ModelFileRoundTripReproducesOutputs) {
  idef::test::ScratchDir dir;
  for (const auto& arch : idef::nets::editor_architectures()) {
    SCOPED_TRACE(arch);
    const EditorConfig c = smallest(arch);
    torch::manual_seed(11);
    auto saved = make_editor(c);
    idef::ModelFile file;
    file.meta.set("network.arch", arch);
    file.set_module("weights", *saved);
    file.save(dir / (arch + ".idm"));

    torch::manual_seed(12);  // different fresh weights
    auto loaded = make_editor(c);
    const torch::Tensor x = torch::rand({1, 3, c.image_size, c.image_size}) * 2 - 1;
    const torch::Tensor l = labels(1, 5, 13);
    ASSERT_FALSE(torch::equal(saved->forward(x, l), loaded->forward(x, l)));
    idef::ModelFile::load(dir / (arch + ".idm")).load_module("weights", *loaded);
    EXPECT_TRUE(torch::equal(saved->forward(x, l), loaded->forward(x, l)));
  }
}
