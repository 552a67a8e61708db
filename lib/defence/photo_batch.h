// Which files a protection run reads and writes: inputs (images or folders, recursive) are
// expanded into (input, output) pairs mirroring the input tree under an output folder, or
// beside each input as NAME.protected.EXT, or in place; reruns skip what exists; shards
// split an archive across machines stably as it grows.
#pragma once
#include <string>
#include <vector>

namespace idef {

struct PhotoJob {
  std::string input;   // a path, or "-" for standard input
  std::string output;  // a path, or "-" for standard output
};

struct BatchPlanOptions {
  std::string output_dir;      // empty: beside each input (or in place)
  bool in_place = false;
  bool skip_existing = false;  // leave out jobs whose output exists
  int shard_index = 1;         // this run's shard, 1..shard_count
  int shard_count = 1;
};

struct BatchPlan {
  std::vector<PhotoJob> jobs;
  std::vector<std::string> missing;  // inputs that do not exist (reported, not fatal)
  std::size_t skipped_existing = 0;
  std::size_t other_shards = 0;
};

BatchPlan plan_photo_jobs(const std::vector<std::string>& inputs, const BatchPlanOptions& options);

// Parses "K/N" (1 ≤ K ≤ N); UsageError otherwise.
void parse_shard(const std::string& text, int& index, int& count);

// An exclusive lock on a folder for the life of the object (flock on DIR/.id-poison.lock),
// so two runs writing the same outputs do not collide; Error if another run holds it.
class FolderLock {
 public:
  explicit FolderLock(const std::string& dir);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace idef
