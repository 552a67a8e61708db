#include "defence/photo_batch.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <set>

#include "core/error.h"
#include "io/image.h"

namespace fs = std::filesystem;

namespace idef {

void parse_shard(const std::string& text, int& index, int& count) {
  auto slash = text.find('/');
  try {
    if (slash == std::string::npos) throw std::invalid_argument(text);
    std::size_t used_k = 0, used_n = 0;
    index = std::stoi(text.substr(0, slash), &used_k);
    count = std::stoi(text.substr(slash + 1), &used_n);
    if (used_k != slash || used_n != text.size() - slash - 1 || count < 1 || index < 1 || index > count)
      throw std::invalid_argument(text);
  } catch (const std::exception&) {
    throw UsageError("--shard: '" + text + "' is not K/N with 1 <= K <= N");
  }
}

// FNV-1a: a shard assignment that stays put across runs, machines and archive growth.
static std::uint64_t stable_hash(const std::string& s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

static std::string beside(const fs::path& input) {
  return (input.parent_path() / (input.stem().string() + ".protected" + input.extension().string())).string();
}

BatchPlan plan_photo_jobs(const std::vector<std::string>& inputs, const BatchPlanOptions& o) {
  BatchPlan plan;
  // (input, name relative to its argument, for mirroring and sharding)
  std::vector<std::pair<fs::path, fs::path>> files;
  for (const auto& in : inputs) {
    if (in == "-") {
      plan.jobs.push_back({"-", "-"});
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<std::pair<fs::path, fs::path>> found;
      for (const auto& e : fs::recursive_directory_iterator(in)) {
        if (!e.is_regular_file() || !has_image_extension(e.path().string())) continue;
        // Outputs of an earlier run beside their inputs are not inputs.
        if (o.output_dir.empty() && e.path().stem().extension() == ".protected") continue;
        found.emplace_back(e.path(), fs::relative(e.path(), in));
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else if (fs::exists(in, ec)) {
      files.emplace_back(fs::path(in), fs::path(in).filename());
    } else {
      plan.missing.push_back(in);
    }
  }
  for (const auto& [input, relative] : files) {
    if (o.shard_count > 1 &&
        static_cast<int>(stable_hash(relative.string()) % static_cast<std::uint64_t>(o.shard_count)) !=
            o.shard_index - 1) {
      ++plan.other_shards;
      continue;
    }
    std::string output = o.in_place             ? input.string()
                         : !o.output_dir.empty() ? (fs::path(o.output_dir) / relative).string()
                                                 : beside(input);
    if (o.skip_existing && !o.in_place && fs::exists(output)) {
      ++plan.skipped_existing;
      continue;
    }
    plan.jobs.push_back({input.string(), output});
  }
  return plan;
}

FolderLock::FolderLock(const std::string& dir) {
  std::string path = (fs::path(dir) / ".id-poison.lock").string();
  fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd_ < 0) throw OutputError(path, "cannot create the lock file");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw Error("another id-poison run is writing to '" + dir + "' (lock " + path + ")");
  }
}

FolderLock::~FolderLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace idef
