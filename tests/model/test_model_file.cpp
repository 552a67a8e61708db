#include "model/model_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;
using idef::ModelFile;
using idef::test::ScratchDir;

namespace {

struct TinyNetImpl : torch::nn::Module {
  explicit TinyNetImpl(int width) {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, width, 3)));
    norm = register_module("norm", torch::nn::BatchNorm2d(width));
  }
  torch::Tensor forward(torch::Tensor x) { return norm(conv(x)); }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d norm{nullptr};
};
TORCH_MODULE(TinyNet);

ModelFile make_model(TinyNet& net) {
  ModelFile f;
  f.meta.set("task", std::string("attr"));
  f.meta.set("network.arch", std::string("unet64"));
  f.meta.set("network.width", std::int64_t{8});
  f.meta.set("defence.epsilon", 0.05);
  f.meta.set("defence.domains", std::vector<std::string>{"Black_Hair", "Blond_Hair"});
  f.set_module("weights", *net);
  return f;
}

std::string error_of(const std::string& path) {
  try {
    ModelFile::load(path);
  } catch (const idef::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ModelFile, RoundTripKeepsWeightsAndMetadata) {
  torch::manual_seed(1);
  ScratchDir dir;
  TinyNet a(4);
  a->forward(torch::randn({2, 3, 8, 8}));  // changes the norm's running stats (buffers)
  make_model(a).save(dir / "m.idm");

  ModelFile loaded = ModelFile::load(dir / "m.idm");
  EXPECT_EQ(loaded.meta.get_string("task"), "attr");
  EXPECT_EQ(loaded.meta.get_string("network.arch"), "unet64");
  EXPECT_EQ(loaded.meta.get_int("network.width"), 8);
  EXPECT_DOUBLE_EQ(loaded.meta.get_double("defence.epsilon"), 0.05);
  EXPECT_EQ(loaded.meta.get_strings("defence.domains"), (std::vector<std::string>{"Black_Hair", "Blond_Hair"}));
  EXPECT_FALSE(loaded.meta.get_string("toolkit_version").empty());

  TinyNet b(4);
  loaded.load_module("weights", *b);
  EXPECT_TRUE(torch::equal(a->conv->weight, b->conv->weight));
  EXPECT_TRUE(torch::equal(a->norm->running_mean, b->norm->running_mean));
  EXPECT_NO_THROW(loaded.require("task", "attr"));
}

TEST(ModelFile, RefusesAnotherTask) {
  ScratchDir dir;
  TinyNet a(4);
  make_model(a).save(dir / "m.idm");
  ModelFile loaded = ModelFile::load(dir / "m.idm");
  try {
    loaded.require("task", "reenact");
    FAIL();
  } catch (const idef::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'attr'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("m.idm"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, RefusesOtherWidths) {
  ScratchDir dir;
  TinyNet a(4);
  make_model(a).save(dir / "m.idm");
  TinyNet wide(8);
  try {
    ModelFile::load(dir / "m.idm").load_module("weights", *wide);
    FAIL();
  } catch (const idef::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("shape"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, RefusesFlippedByte) {
  ScratchDir dir;
  TinyNet a(4);
  make_model(a).save(dir / "m.idm");
  std::string bytes = idef::read_all(dir / "m.idm");
  bytes[bytes.size() - 10] ^= 0x01;  // inside the weights
  idef::write_all(dir / "bad.idm", bytes);
  EXPECT_NE(error_of(dir / "bad.idm").find("checksum mismatch"), std::string::npos);
}

TEST(ModelFile, RefusesTruncatedFile) {
  ScratchDir dir;
  TinyNet a(4);
  make_model(a).save(dir / "m.idm");
  std::string bytes = idef::read_all(dir / "m.idm");
  idef::write_all(dir / "cut.idm", bytes.substr(0, bytes.size() - 100));
  EXPECT_NE(error_of(dir / "cut.idm").find("truncated"), std::string::npos);
  idef::write_all(dir / "cut2.idm", bytes.substr(0, 30));
  EXPECT_NE(error_of(dir / "cut2.idm").find("truncated"), std::string::npos) << error_of(dir / "cut2.idm");
}

TEST(ModelFile, RefusesEmptyAndForeignFiles) {
  ScratchDir dir;
  idef::write_all(dir / "empty.idm", "");
  idef::write_all(dir / "text.idm", "hello world\n");
  EXPECT_NE(error_of(dir / "empty.idm").find("empty file"), std::string::npos);
  EXPECT_NE(error_of(dir / "text.idm").find("not an initiative-defense model"), std::string::npos);
  EXPECT_NE(error_of(dir / "missing.idm").find("missing.idm"), std::string::npos);
}

TEST(ModelFile, RefusesNewerFormat) {
  ScratchDir dir;
  TinyNet a(4);
  make_model(a).save(dir / "m.idm");
  std::string bytes = idef::read_all(dir / "m.idm");
  auto at = bytes.find("format_version = 2");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 17] = '9';
  idef::write_all(dir / "new.idm", bytes);
  EXPECT_NE(error_of(dir / "new.idm").find("newer"), std::string::npos) << error_of(dir / "new.idm");
}

// A format-2 file turned back into format 1 (hash line dropped, the header's size fixed)
// must not load: format 1 carried no metadata checksum, so accepting it would let an edited
// epsilon through.
TEST(ModelFile, RefusesTheUnhashedFormat1) {
  ScratchDir dir;
  TinyNet a(4);
  make_model(a).save(dir / "m.idm");
  std::string bytes = idef::read_all(dir / "m.idm");
  const std::size_t size_at = bytes.find('\n') + 1;
  const std::size_t meta_at = bytes.find('\n', size_at) + 1;
  std::size_t meta_size = std::stoull(bytes.substr(size_at, meta_at - 1 - size_at));
  std::string meta = bytes.substr(meta_at, meta_size);
  const std::string payload = bytes.substr(meta_at + meta_size);
  meta = meta.substr(meta.find('\n') + 1);  // drop the metadata_sha256 line
  const auto version_at = meta.find("format_version = 2");
  ASSERT_NE(version_at, std::string::npos);
  meta[version_at + 17] = '1';
  idef::write_all(dir / "old.idm", bytes.substr(0, size_at) + std::to_string(meta.size()) + "\n" + meta + payload);
  const std::string error = error_of(dir / "old.idm");
  EXPECT_NE(error.find("format 1 has no checksum"), std::string::npos) << error;
  EXPECT_NE(error.find("old.idm"), std::string::npos) << error;
}

TEST(ModelFile, CheckpointKeepsOptimizerState) {
  torch::manual_seed(2);
  ScratchDir dir;
  TinyNet net(4);
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-3));
  for (int i = 0; i < 3; ++i) {
    adam.zero_grad();
    net->forward(torch::randn({2, 3, 8, 8})).pow(2).mean().backward();
    adam.step();
  }
  ModelFile ckpt = make_model(net);
  ckpt.set_optimizer("optimizer", adam);
  ckpt.meta.set("training.iteration", std::int64_t{3});
  ckpt.save(dir / "ckpt.idm");

  ModelFile loaded = ModelFile::load(dir / "ckpt.idm");
  TinyNet net2(4);
  loaded.load_module("weights", *net2);
  torch::optim::Adam adam2(net2->parameters(), torch::optim::AdamOptions(1e-3));
  loaded.load_optimizer("optimizer", adam2);
  // One more identical step on both must give identical weights: same moments, same step count.
  torch::Tensor x = torch::randn({2, 3, 8, 8});
  for (auto* pair : {&adam, &adam2}) pair->zero_grad();
  net->forward(x).pow(2).mean().backward();
  net2->forward(x).pow(2).mean().backward();
  adam.step();
  adam2.step();
  EXPECT_TRUE(torch::allclose(net->conv->weight, net2->conv->weight, 0, 0));
  EXPECT_EQ(loaded.meta.get_int("training.iteration"), 3);
}

TEST(ModelFile, AnEditedMetadataValueIsRefused) {
  ScratchDir dir;
  TinyNet net(4);
  std::string path = dir / "m.idm";
  make_model(net).save(path);
  std::string bytes = idef::read_all(path);
  // The same length, another strength: only the metadata checksum can tell.
  auto at = bytes.find("epsilon = 0.05");
  ASSERT_NE(at, std::string::npos);
  bytes.replace(at, 14, "epsilon = 0.50");
  idef::write_all(dir / "edited.idm", bytes);
  EXPECT_NE(error_of(dir / "edited.idm").find("metadata checksum mismatch"), std::string::npos)
      << error_of(dir / "edited.idm") << "\n" << bytes.substr(0, 400);
  // Resaving what was loaded gives a file that loads again (the hash is not metadata).
  ModelFile loaded = ModelFile::load(path);
  EXPECT_FALSE(loaded.meta.has("metadata_sha256"));
  loaded.save(dir / "again.idm");
  EXPECT_EQ(ModelFile::load(dir / "again.idm").meta.get_double("defence.epsilon"), 0.05);
}

// A tensor record whose shape is negative or too large for memory used to reach
// torch::empty (a c10::Error escaping the loader, or an attempt to allocate exabytes).
TEST(ModelFile, ImpossibleTensorShapesAreInputErrors) {
  auto record = [](std::int64_t d0, std::int64_t d1, std::uint64_t nbytes) {
    std::string out;
    auto put = [&](auto v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
    put(std::uint32_t{1});
    put(std::uint32_t{1});
    out += "w";
    put(static_cast<std::int32_t>(torch::kFloat));
    put(std::uint32_t{2});
    put(d0);
    put(d1);
    put(nbytes);
    return out;
  };
  const struct {
    std::string bytes, reason;
  } cases[] = {{record(-2, -3, 24), "negative dimension"},
               {record(std::int64_t{1} << 40, std::int64_t{1} << 40, 0), "impossible shape"},
               {record(std::int64_t{1} << 40, 4, std::uint64_t{1} << 44), "ends early"},
               {record(2, 3, 7), "does not match its shape"}};
  for (const auto& c : cases) {
    ModelFile file;
    file.set_bytes("weights", c.bytes);
    try {
      file.tensors("weights");
      ADD_FAILURE() << c.reason << ": decoded";
    } catch (const idef::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(c.reason), std::string::npos) << e.what();
    }
  }
}

// Found by fuzz_model_file: an empty tensor's data pointer is null, and copying zero bytes
// to it was still undefined behaviour (UBSan under make sanitize).
TEST(ModelFile, EmptyTensorsRoundTrip) {
  ModelFile file;
  file.set_tensors("weights", {{"empty", torch::empty({0, 3})}, {"scalar", torch::ones({1})}});
  const auto tensors = file.tensors("weights");
  ASSERT_EQ(tensors.size(), 2u);
  EXPECT_EQ(tensors[0].second.sizes(), (std::vector<std::int64_t>{0, 3}));
  EXPECT_EQ(tensors[1].second.item<float>(), 1.f);
}
