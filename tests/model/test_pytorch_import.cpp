// Importing published PyTorch models: tiny random-weight StarGAN and pix2pix networks made by
// PyTorch itself (tests/model/pytorch/make_fixtures.py) must give PyTorch's outputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "model/editor_model.h"
#include "model/model_file.h"
#include "model/pytorch_checkpoint.h"
#include "model/pytorch_import.h"
#include "model/translator_model.h"
#include "tools/tool_test.h"

namespace fs = std::filesystem;
using idef::test::has;
using idef::test::q;
using idef::test::run_tool;
using idef::test::ScratchDir;

namespace {

std::string fixture(const std::string& name) { return std::string(ID_SOURCE_DIR) + "/tests/model/pytorch/" + name; }

// A fixture file of named tensors (torch.save of a dict) as a map.
std::map<std::string, torch::Tensor> expected(const std::string& name) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& [k, t] : idef::read_pytorch_state_dict(fixture(name))) out.emplace(k, t);
  return out;
}

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  EXPECT_EQ(a.sizes(), b.sizes());
  return (a - b).abs().max().item<double>();
}

// The message of the InputError `f` throws ("" when it throws none).
template <typename F>
std::string input_error(F f) {
  try {
    f();
  } catch (const idef::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(PytorchCheckpoint, ReadsAStateDictInFileOrderWithItsDtypes) {
  const idef::NamedTensors d = idef::read_pytorch_state_dict(fixture("stargan-D.ckpt"));
  ASSERT_EQ(d.size(), 8u);
  EXPECT_EQ(d[0].first, "main.0.weight");
  EXPECT_EQ(d[0].second.sizes(), (std::vector<int64_t>{2, 3, 4, 4}));
  EXPECT_EQ(d[7].first, "conv2.weight");
  const idef::NamedTensors p = idef::read_pytorch_state_dict(fixture("pix2pix-patch.pth"));
  auto tracked = std::find_if(p.begin(), p.end(), [](const auto& kv) { return kv.first == "model.3.num_batches_tracked"; });
  ASSERT_NE(tracked, p.end());
  EXPECT_EQ(tracked->second.scalar_type(), torch::kInt64);
}

TEST(PytorchCheckpoint, PicksTheStateDictOfADictByKeyAndSaysWhichKeysThereAre) {
  const std::string f = fixture("stargan-GD-in-dict.ckpt");
  EXPECT_EQ(idef::read_pytorch_state_dict(f, "D").size(), 8u);
  EXPECT_EQ(idef::read_pytorch_state_dict(f, "G").front().first, "main.0.weight");
  EXPECT_TRUE(has(input_error([&] { idef::read_pytorch_state_dict(f); }), "several state dicts (G, D)"));
  const std::string missing = input_error([&] { idef::read_pytorch_state_dict(f, "netG"); });
  EXPECT_TRUE(has(missing, "no state dict under the key 'netG'")) << missing;
  EXPECT_TRUE(has(missing, "iteration, G, D")) << missing;
  EXPECT_TRUE(has(input_error([&] { idef::read_pytorch_state_dict(fixture("stargan-D.ckpt"), "D"); }),
                  "is a state dict itself"));
}

TEST(PytorchCheckpoint, RefusesLegacyTruncatedAndForeignFilesNamingThem) {
  const std::string legacy = input_error([&] { idef::read_pytorch_state_dict(fixture("stargan-D-legacy.ckpt")); });
  EXPECT_TRUE(has(legacy, "stargan-D-legacy.ckpt")) << legacy;
  EXPECT_TRUE(has(legacy, "legacy format")) << legacy;
  EXPECT_TRUE(has(legacy, "torch.save(torch.load(")) << legacy;

  ScratchDir dir;
  std::ifstream in(fixture("stargan-G.ckpt"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (std::size_t cut : {std::size_t{10}, bytes.size() / 2, bytes.size() - 30}) {
    idef::write_all(dir / "cut.ckpt", bytes.substr(0, cut));
    const std::string e = input_error([&] { idef::read_pytorch_state_dict(dir / "cut.ckpt"); });
    EXPECT_TRUE(has(e, "cut.ckpt")) << cut << ": " << e;
  }
  // A flipped byte inside a stored tensor's data fails the archive's CRC check or changes a
  // value; inside the pickle it must not crash.
  for (std::size_t at = 40; at < bytes.size(); at += bytes.size() / 13) {
    std::string damaged = bytes;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
    idef::write_all(dir / "flip.ckpt", damaged);
    try {
      idef::read_pytorch_state_dict(dir / "flip.ckpt");
    } catch (const idef::InputError& e) {
      EXPECT_TRUE(has(e.what(), "flip.ckpt")) << e.what();
    }
  }
  idef::write_all(dir / "text.pth", "not a checkpoint at all\n");
  EXPECT_TRUE(has(input_error([&] { idef::read_pytorch_state_dict(dir / "text.pth"); }), "not a PyTorch checkpoint"));
  EXPECT_TRUE(has(input_error([&] { idef::read_pytorch_state_dict(dir / "none.pth"); }), "none.pth"));
}

TEST(PytorchImport, StarGanGeneratorAndDiscriminatorGivePytorchsOutputs) {
  auto want = expected("stargan-expected.pt");
  idef::nets::Editor g =
      idef::import_stargan_generator(idef::read_pytorch_state_dict(fixture("stargan-G.ckpt")), "G", 16);
  EXPECT_EQ(g->config().arch, "res6");
  EXPECT_EQ(g->config().width, 2);
  EXPECT_EQ(g->config().c_dim, 5);
  torch::NoGradGuard no_grad;
  EXPECT_LT(max_difference(g->forward(want["x"], want["c"]), want["y"]), 1e-5);

  idef::nets::StarGanDiscriminator d =
      idef::import_stargan_discriminator(idef::read_pytorch_state_dict(fixture("stargan-D.ckpt")), "D");
  EXPECT_EQ(d->image_size, 16);
  EXPECT_EQ(d->repeat_num, 3);
  auto [src, cls] = d->forward(want["x"]);
  EXPECT_LT(max_difference(src, want["src"]), 1e-5);
  EXPECT_LT(max_difference(cls, want["cls"]), 1e-5);
}

TEST(PytorchImport, Pix2PixGeneratorsOfEveryNormAndThePatchGanGivePytorchsOutputs) {
  auto want = expected("pix2pix-expected.pt");
  torch::NoGradGuard no_grad;
  const std::vector<std::tuple<std::string, std::string, std::string>> cases{
      {"unet-batch", "unet64", "z64"},
      {"unet-instance", "unet64", "z64"},
      {"resnet-instance", "resnet_6blocks", "z16"},
      {"resnet-batch-dropout", "resnet_9blocks", "z16"}};
  for (const auto& [name, arch, input] : cases) {
    idef::nets::Translator g = idef::import_pix2pix_generator(
        idef::read_pytorch_state_dict(fixture("pix2pix-" + name + ".pth")), name, 64);
    EXPECT_EQ(g->config().arch, arch) << name;
    EXPECT_EQ(g->config().width, 2) << name;
    // One image at a time, as pix2pix's test.py runs them (BatchNorm then normalises per image).
    for (int64_t i = 0; i < want[input].size(0); ++i)
      EXPECT_LT(max_difference(g->forward(want[input].narrow(0, i, 1)), want[name].narrow(0, i, 1)), 1e-5) << name;
  }
  idef::nets::PatchDiscriminator d =
      idef::import_patch_discriminator(idef::read_pytorch_state_dict(fixture("pix2pix-patch.pth")), "D");
  EXPECT_EQ(d->n_layers, 3);
  EXPECT_EQ(d->in_channels, 6);
  for (int64_t i = 0; i < 2; ++i)
    EXPECT_LT(max_difference(d->forward(want["zx32"].narrow(0, i, 1)), want["patch"].narrow(0, i, 1)), 1e-5);
}

TEST(PytorchImport, NamesTheFirstTensorThatDoesNotFit) {
  const idef::NamedTensors g = idef::read_pytorch_state_dict(fixture("stargan-G.ckpt"));
  auto import = [&](const idef::NamedTensors& s) { return input_error([&] { idef::import_stargan_generator(s, "G.ckpt", 16); }); };

  idef::NamedTensors missing = g;
  missing.erase(std::find_if(missing.begin(), missing.end(), [](const auto& kv) { return kv.first == "main.4.weight"; }));
  EXPECT_TRUE(has(import(missing), "misses the key 'main.4.weight'")) << import(missing);

  idef::NamedTensors extra = g;
  extra.emplace_back("main.99.weight", torch::zeros({2}));
  EXPECT_TRUE(has(import(extra), "has the key 'main.99.weight'")) << import(extra);

  idef::NamedTensors reshaped = g;
  for (auto& [k, t] : reshaped)
    if (k == "main.3.weight") t = torch::zeros({4, 2, 3, 3});
  EXPECT_TRUE(has(import(reshaped), "key 'main.3.weight' is [4, 2, 3, 3]")) << import(reshaped);

  idef::NamedTensors nan = g;
  for (auto& [k, t] : nan)
    if (k == "main.1.bias") t = torch::full_like(t, std::nan(""));
  EXPECT_TRUE(has(import(nan), "'main.1.bias' holds NaN")) << import(nan);

  // Four residual blocks: StarGAN's layout, but no architecture of this version.
  idef::NamedTensors short_net;
  for (const auto& [k, t] : g)
    if (k.rfind("main.13.", 0) != 0 && k.rfind("main.14.", 0) != 0) short_net.emplace_back(k, t);
  EXPECT_TRUE(has(import(short_net), "residual blocks")) << import(short_net);
  EXPECT_TRUE(has(import(short_net), "G.ckpt")) << import(short_net);
}

TEST(IdForgeImport, WritesAStarGanEditorWithItsDiscriminatorThatTheToolsLoad) {
  ScratchDir dir;
  auto r = run_tool("id-forge", "import --discriminator " + q(fixture("stargan-D.ckpt")) + " --output " +
                                    q(dir / "s.idm") + " " + q(fixture("stargan-G.ckpt")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "res6 editor")) << r.err;
  idef::EditorModel m = idef::load_editor_model(dir / "s.idm");
  EXPECT_EQ(m.attributes, idef::stargan_celeba_domains());
  EXPECT_EQ(m.editor->config().image_size, 16);  // the discriminator's
  auto want = expected("stargan-expected.pt");
  torch::NoGradGuard no_grad;
  EXPECT_LT(max_difference(m.editor->forward(want["x"], want["c"]), want["y"]), 1e-5);
  idef::ModelFile file = idef::ModelFile::load(dir / "s.idm");
  EXPECT_TRUE(file.has_section("D"));
  EXPECT_EQ(file.meta.get_string("imported.layout"), "stargan-generator");
  EXPECT_EQ(file.meta.get_string("imported.generator"), "stargan-G.ckpt");
  EXPECT_EQ(file.meta.get_string("imported.generator_sha256").size(), 64u);

  // Both from one dict, by key; the names of the domains given.
  r = run_tool("id-forge", "import --key G --discriminator " + q(fixture("stargan-GD-in-dict.ckpt")) +
                               " --discriminator-key D --attributes A,B,C,D,E --output " + q(dir / "k.idm") + " " +
                               q(fixture("stargan-GD-in-dict.ckpt")) + " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(idef::load_editor_model(dir / "k.idm").attributes, (std::vector<std::string>{"A", "B", "C", "D", "E"}));
}

TEST(IdForgeImport, WritesAPix2PixReenactorThatTheToolsLoad) {
  ScratchDir dir;
  auto r = run_tool("id-forge", "import --image-size 64 --discriminator " + q(fixture("pix2pix-patch.pth")) +
                                    " --output " + q(dir / "p.idm") + " " + q(fixture("pix2pix-unet-batch.pth")) +
                                    " --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  idef::nets::Translator g = idef::load_reenactor_model(dir / "p.idm");
  EXPECT_EQ(g->config().arch, "unet64");
  EXPECT_EQ(g->config().image_size, 64);
  auto want = expected("pix2pix-expected.pt");
  torch::NoGradGuard no_grad;
  EXPECT_LT(max_difference(g->forward(want["z64"]), want["unet-batch"]), 1e-5);
  EXPECT_EQ(idef::ModelFile::load(dir / "p.idm").meta.get_int("discriminator.layers"), 3);
}

TEST(IdForgeImport, BadCheckpointsFailClearlyAndWriteNothing) {
  ScratchDir dir;
  const std::string out = " --output " + q(dir / "m.idm") + " ";
  auto r = run_tool("id-forge", "import" + out + q(fixture("stargan-D-legacy.ckpt")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "legacy format")) << r.err;
  r = run_tool("id-forge", "import" + out + q(fixture("stargan-GD-in-dict.ckpt")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "choose one")) << r.err;
  r = run_tool("id-forge", "import" + out + q(fixture("stargan-D.ckpt")));  // a discriminator is no generator
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "stargan-discriminator")) << r.err;
  r = run_tool("id-forge", "import --discriminator " + q(fixture("pix2pix-patch.pth")) + out +
                               q(fixture("stargan-G.ckpt")));  // a pair that does not belong together
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "pix2pix-patch.pth")) << r.err;
  r = run_tool("id-forge", "import --attributes A,B" + out + q(fixture("stargan-G.ckpt")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(has(r.err, "2 names for a generator of 5 domain labels")) << r.err;
  r = run_tool("id-forge", "import" + out);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_FALSE(fs::exists(dir / "m.idm"));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 0);  // no temporary left
}
