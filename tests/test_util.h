// Shared helpers for tests: scratch directories and running real binaries.
#pragma once
#include <filesystem>
#include <string>

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

// Number of trainable values in a network.
std::int64_t parameter_count(const torch::nn::Module& module);

// Real photos fetched from Debian packages (tests/data/fetch-testdata.sh).
std::string testdata(const std::string& name);

}  // namespace idef::test
