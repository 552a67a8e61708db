// Which files a protection run reads and writes: inputs (images or folders, recursive) are
// expanded into (input, output) pairs mirroring the input tree under an output folder, or
// beside each input as NAME.protected.EXT, or in place; reruns skip what exists; shards
// split an archive across machines stably as it grows.
//
// The plan is where originals are kept safe (docs/batch-safety.md): an output never lands
// on an input or on another output, the output folder is never walked as input, and in
// place the real file behind a symbolic link is written and recorded as done.
#pragma once
#include <memory>
#include <string>
#include <vector>

namespace idef {

struct PhotoJob {
  std::string input;   // a path, or "-" for standard input
  std::string output;  // a path, or "-" for standard output
  // In place: the record of protected files that this job's result goes into, and its key there.
  std::string record;
  std::string record_key;
};

struct BatchPlanOptions {
  std::string output_dir;      // empty: beside each input (or in place)
  bool in_place = false;
  bool skip_existing = false;  // leave out jobs whose output exists (in place: recorded as done)
  int shard_index = 1;         // this run's shard, 1..shard_count
  int shard_count = 1;
};

struct BatchPlan {
  std::vector<PhotoJob> jobs;
  std::vector<std::string> missing;  // inputs that do not exist (reported, not fatal)
  std::vector<std::string> lock_dirs;  // folders the run must lock: the output folder, or in place each input root
  std::size_t skipped_existing = 0;
  std::size_t other_shards = 0;
};

// Throws UsageError, before anything is written, when an output would replace an input
// without --in-place, or two inputs would be written to one output.
BatchPlan plan_photo_jobs(const std::vector<std::string>& inputs, const BatchPlanOptions& options);

// Parses "K/N" (1 ≤ K ≤ N); UsageError otherwise.
void parse_shard(const std::string& text, int& index, int& count);

// The record of files protected in place in one folder tree (ROOT/.id-poison.done): one line
// per file, the SHA-256 of the bytes id-poison wrote and the file's path relative to ROOT. A
// file whose bytes still match was protected by an earlier run; one edited since was not.
class InPlaceRecord {
 public:
  static constexpr const char* kFileName = ".id-poison.done";
  // Reads the record at `path` (none yet: empty; a line cut short by a killed run: ignored).
  explicit InPlaceRecord(const std::string& path);
  // True when `key` is recorded with the current contents of `file`.
  bool is_done(const std::string& key, const std::string& file) const;
  // Appends a line for `key` with the hash of `file`, flushed to disk so a killed run keeps it.
  static void add(const std::string& path, const std::string& key, const std::string& file);

 private:
  std::vector<std::pair<std::string, std::string>> entries_;  // (key, hash); the last one of a key counts
};

// A lock on a folder for the life of the object, so two runs writing the same outputs do not
// collide; Error if another run holds it. A whole run (shard 1/1) holds DIR/.id-poison.lock
// alone; the shards K/N of one archive, whose outputs are disjoint, share it and each holds
// DIR/.id-poison.shard-K-of-N.lock alone, so they can run side by side (xargs -P, a Slurm
// array) while a whole run or a second copy of a shard is refused.
class FolderLock {
 public:
  explicit FolderLock(const std::string& dir, int shard_index = 1, int shard_count = 1);
  ~FolderLock();
  FolderLock(const FolderLock&) = delete;
  FolderLock& operator=(const FolderLock&) = delete;

 private:
  int fd_ = -1, shard_fd_ = -1;
};

}  // namespace idef
