#include "defence/photo_batch.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "core/error.h"
#include "core/folder_walk.h"
#include "core/sha256.h"
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

InPlaceRecord::InPlaceRecord(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline: a line cut short
    if (line.size() < 66 || line[64] != ' ') continue;
    entries_.emplace_back(line.substr(65), line.substr(0, 64));
  }
}

bool InPlaceRecord::is_done(const std::string& key, const std::string& file) const {
  const std::string* hash = nullptr;
  for (const auto& [k, h] : entries_)
    if (k == key) hash = &h;
  return hash && *hash == file_sha256(file);
}

void InPlaceRecord::add(const std::string& path, const std::string& key, const std::string& file) {
  if (key.find('\n') != std::string::npos) return;  // cannot be a line; the file is simply not recorded
  const std::string line = file_sha256(file) + " " + key + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw OutputError(path, std::strerror(errno));
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw OutputError(path, std::strerror(errno));
}

BatchPlan plan_photo_jobs(const std::vector<std::string>& inputs, const BatchPlanOptions& o) {
  BatchPlan plan;
  const fs::path output_root = o.output_dir.empty() ? fs::path() : resolved_path(o.output_dir);
  if (!o.output_dir.empty()) plan.lock_dirs.push_back(o.output_dir);
  struct File {
    fs::path input;     // as named
    fs::path relative;  // to its argument, for mirroring, sharding and the in-place record
    fs::path root;      // the argument's folder (a file's own folder)
  };
  std::vector<File> files;
  for (const auto& in : inputs) {
    if (in == "-") {
      plan.jobs.push_back({"-", "-", "", ""});
      continue;
    }
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      if (!output_root.empty() && resolved_path(in) == output_root)
        throw UsageError("--output '" + o.output_dir + "' is the input folder '" + in +
                         "': the outputs would replace the originals (--in-place does that on purpose)");
      for (const auto& rel : walk_folder(in, o.output_dir)) {
        const fs::path path = fs::path(in) / rel;
        if (!has_image_extension(path.string())) continue;
        // Outputs of an earlier run beside their inputs are not inputs.
        if (o.output_dir.empty() && !o.in_place && path.stem().extension() == ".protected") continue;
        files.push_back({path, rel, fs::path(in)});
      }
    } else if (fs::exists(in, ec)) {
      const fs::path parent = fs::path(in).parent_path();
      files.push_back({fs::path(in), fs::path(in).filename(), parent.empty() ? fs::path(".") : parent});
    } else {
      plan.missing.push_back(in);
    }
  }

  // Every file once (the same file named twice, or through a link, is protected once); then
  // no output may be an input or another input's output. Checked over all shards, before
  // anything is written.
  std::map<fs::path, std::string> input_of;  // resolved input -> as named
  std::vector<File> unique;
  for (auto& f : files)
    if (input_of.emplace(resolved_path(f.input), f.input.string()).second) unique.push_back(std::move(f));
  std::map<fs::path, std::string> writer_of;  // resolved output -> the input written there
  std::vector<PhotoJob> jobs;
  std::set<std::string> roots;
  for (const auto& f : unique) {
    PhotoJob job{f.input.string(), "", "", ""};
    if (o.in_place) {
      // Written through a symbolic link: the link stays, the file it names is replaced.
      job.output = resolved_path(f.input).string();
      job.record = (f.root / InPlaceRecord::kFileName).string();
      job.record_key = f.relative.string();
      roots.insert(f.root.string());
    } else {
      job.output = !o.output_dir.empty() ? (fs::path(o.output_dir) / f.relative).string() : beside(f.input);
      const fs::path out = resolved_path(job.output);
      auto original = input_of.find(out);
      if (original != input_of.end())
        throw UsageError("'" + job.input + "' would be written to '" + job.output + "', over the input '" +
                         original->second + "' (choose another --output, or --in-place to replace inputs)");
      auto [other, fresh] = writer_of.emplace(out, job.input);
      if (!fresh)
        throw UsageError("'" + other->second + "' and '" + job.input + "' would both be written to '" + job.output +
                         "' (protect them in separate runs or with different --output folders)");
    }
    jobs.push_back(std::move(job));
  }
  plan.lock_dirs.insert(plan.lock_dirs.end(), roots.begin(), roots.end());

  std::map<std::string, InPlaceRecord> records;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    const File& f = unique[i];
    if (o.shard_count > 1 &&
        static_cast<int>(stable_hash(f.relative.string()) % static_cast<std::uint64_t>(o.shard_count)) !=
            o.shard_index - 1) {
      ++plan.other_shards;
      continue;
    }
    PhotoJob& job = jobs[i];
    bool done = false;
    if (o.skip_existing && o.in_place) {
      auto record = records.try_emplace(job.record, job.record).first;
      done = record->second.is_done(job.record_key, job.output);
    } else if (o.skip_existing) {
      done = fs::exists(job.output);
    }
    if (done) {
      ++plan.skipped_existing;
      continue;
    }
    plan.jobs.push_back(std::move(job));
  }
  return plan;
}

namespace {

// An open lock file held with `how` (LOCK_EX or LOCK_SH), or Error naming the folder.
int hold_lock(const std::string& dir, const std::string& name, int how) {
  std::string path = (fs::path(dir) / name).string();
  int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) throw OutputError(path, "cannot create the lock file");
  if (::flock(fd, how | LOCK_NB) != 0) {
    ::close(fd);
    throw Error("another id-poison run is writing to '" + dir + "' (lock " + path + ")");
  }
  return fd;
}

}  // namespace

FolderLock::FolderLock(const std::string& dir, int shard_index, int shard_count) {
  const bool shard = shard_count > 1;
  fd_ = hold_lock(dir, ".id-poison.lock", shard ? LOCK_SH : LOCK_EX);
  if (!shard) return;
  try {
    shard_fd_ = hold_lock(dir, ".id-poison.shard-" + std::to_string(shard_index) + "-of-" +
                                   std::to_string(shard_count) + ".lock", LOCK_EX);
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

FolderLock::~FolderLock() {
  if (shard_fd_ >= 0) ::close(shard_fd_);
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace idef
