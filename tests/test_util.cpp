#include "test_util.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "io/image.h"

namespace fs = std::filesystem;

namespace idef::test {

nets::Translator small_translator(const std::string& arch, int width, int size, std::uint64_t seed) {
  torch::manual_seed(seed);
  nets::TranslatorConfig c;
  c.arch = arch;
  c.width = width;
  c.image_size = size;
  return nets::make_translator(c);
}

nets::Editor small_editor(const std::string& arch, int width, int size, int c_dim, std::uint64_t seed) {
  torch::manual_seed(seed);
  nets::EditorConfig c;
  c.arch = arch;
  c.width = width;
  c.image_size = size;
  c.c_dim = c_dim;
  return nets::make_editor(c);
}

PerturbationModel small_generator(const std::string& arch, int width, int size, std::uint64_t seed,
                                  int surrogate_domains) {
  PerturbationModel m;
  m.generator = small_translator(arch, width, size, seed);
  if (surrogate_domains > 0) {
    std::vector<std::string> names;
    for (int j = 0; j < surrogate_domains; ++j) names.push_back("A" + std::to_string(j));
    m.surrogates.push_back({small_editor("cnet", 4, size, surrogate_domains, seed + 1), names});
  }
  return m;
}

ScratchDir::ScratchDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "scratch";
  std::random_device rd;
  path_ = fs::path(ID_BINARY_DIR) / "test-scratch" / (name + "-" + std::to_string(rd()));
  fs::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

static std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

CommandResult run_command(const std::string& command) {
  ScratchDir tmp;
  std::string out = tmp / "stdout", err = tmp / "stderr";
  std::string full = "( " + command + " ) >'" + out + "' 2>'" + err + "'";
  int status = std::system(full.c_str());
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return {code, slurp(out), slurp(err)};
}

void write_tiny_celeba(const fs::path& root, int count, int size, int attributes) {
  fs::create_directories(root / "img_align_celeba");
  std::ostringstream attrs, parts;
  attrs << count << "\n";
  for (int a = 0; a < attributes; ++a) attrs << (a ? " " : "") << "A" << a;
  attrs << "\n";
  for (int i = 0; i < count; ++i) {
    idef::Rgb8 img(size, size);
    for (int y = 0; y < size; ++y)
      for (int x = 0; x < size; ++x) {
        img.at(x, y, 0) = static_cast<std::uint8_t>((37 * i) % 256);
        img.at(x, y, 1) = static_cast<std::uint8_t>(x * 255 / size);
        img.at(x, y, 2) = static_cast<std::uint8_t>((i % 2) * 200 + y);
      }
    char name[32];
    std::snprintf(name, sizeof name, "%06d.png", i + 1);
    idef::save_rgb8((root / "img_align_celeba" / name).string(), img);
    attrs << name;
    for (int a = 0; a < attributes; ++a) attrs << (((i >> a) & 1) ? " 1" : " -1");
    attrs << "\n";
    parts << name << " " << (i % 10 == 9 ? 2 : i % 10 == 8 ? 1 : 0) << "\n";
  }
  std::ofstream(root / "list_attr_celeba.txt") << attrs.str();
  std::ofstream(root / "list_eval_partition.txt") << parts.str();
}

std::int64_t parameter_count(const torch::nn::Module& module) {
  std::int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

std::string testdata(const std::string& name) {
  return (fs::path(ID_TESTDATA_DIR) / name).string();
}

}  // namespace idef::test

namespace {
// The tests and the tools they run keep dlib's face models' fast-loading copies in the
// build tree (face/dlib_models.h), not in the user's home.
const bool kModelCacheInBuildTree = [] {
  setenv("IDEF_CACHE_DIR", ID_BINARY_DIR "/model-cache", 0);
  return true;
}();
}  // namespace
