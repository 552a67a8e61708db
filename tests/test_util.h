// Shared helpers for tests: scratch directories and running real binaries.
#pragma once
#include <filesystem>
#include <string>

#include "defence/perturbation_model.h"

namespace idef::test {

// A fresh, empty directory under the build tree, removed when the test ends.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  const std::filesystem::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct CommandResult {
  int exit_code;
  std::string out;  // standard output
  std::string err;  // standard error
};

// Runs `command` through /bin/sh, capturing stdout and stderr.
CommandResult run_command(const std::string& command);

// A tiny CelebA-layout folder: `count` size×size PNGs of flat colours with a left-right
// ramp, attributes A0..A{attributes-1} alternating per image, a 0/1/2 partition cycling.
void write_tiny_celeba(const std::filesystem::path& root, int count, int size, int attributes);

// Small untrained networks for tests, seeded: a translator (a perturbation generator's
// network), an editor, and a perturbation generator, optionally carrying one editor as its
// surrogate (c_dim > 0: an editor of the same architecture family "cnet" over that many domains).
nets::Translator small_translator(const std::string& arch, int width, int size, std::uint64_t seed);
nets::Editor small_editor(const std::string& arch, int width, int size, int c_dim, std::uint64_t seed);
PerturbationModel small_generator(const std::string& arch, int width, int size, std::uint64_t seed,
                                  int surrogate_domains = 0);

// Number of trainable values in a network.
std::int64_t parameter_count(const torch::nn::Module& module);

// Real photos fetched from Debian packages (tests/data/fetch-testdata.sh).
std::string testdata(const std::string& name);

}  // namespace idef::test
