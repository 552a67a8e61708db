// Progress of long work on stderr: a bar with rate and ETA redrawn with '\r' when stderr
// is a terminal, and/or machine-readable key=value blocks (like ffmpeg's -progress) when
// --progress FILE|- is given. --quiet silences the bar, not the machine-readable blocks.
#pragma once
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cli/command.h"

namespace idef::cli {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

class Progress {
 public:
  // total < 0: unknown (streams); the bar then shows the count and rate only.
  Progress(const CommonOptions& options, std::string label, std::int64_t total);
  // For tests: explicit sinks. `terminal` may be null, `machine` may be null.
  Progress(std::FILE* terminal, std::FILE* machine, std::string label, std::int64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Reports `done` units finished, with extra fields (losses, file names) for both views.
  // Redraws at most every 0.2 s (terminal) / 1 s (machine) unless `force`.
  void update(std::int64_t done, const KeyValues& extra = {}, bool force = false);
  // Final block with progress=end; the bar ends its line.
  void finish(const KeyValues& extra = {});

  static std::string format_duration(double seconds);  // "1:02:03" / "2:03"

 private:
  double this_run_rate(double elapsed) const;
  void draw_bar(double elapsed, const KeyValues& extra);
  void write_block(double elapsed, const KeyValues& extra, bool end);
  std::FILE* terminal_ = nullptr;
  std::FILE* machine_ = nullptr;
  bool own_machine_ = false;
  std::string label_;
  std::int64_t total_, done_ = 0;
  // Units done before this run (a resumed training's first report is past 0): rate and ETA
  // count only this run's units, which took the elapsed time.
  std::int64_t before_ = -1;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_bar_, last_block_;
};

// Keeps the latest value of every loss a training run reports (a step may report only some)
// and shows the chosen ones, "%.4g", with each update.
class LossReport {
 public:
  LossReport(Progress& progress, std::vector<std::string> shown) : progress_(progress), shown_(std::move(shown)) {}
  void operator()(std::int64_t done, const std::map<std::string, double>& losses);

 private:
  Progress& progress_;
  std::vector<std::string> shown_;
  std::map<std::string, double> last_;
};

// Messages on stderr with the program's name, silenced by --quiet (errors are not).
class Log {
 public:
  Log(std::string program, bool quiet) : program_(std::move(program)), quiet_(quiet) {}
  void info(const std::string& message) const;
  void warn(const std::string& message) const;
  void error(const std::string& message) const;

 private:
  std::string program_;
  bool quiet_;
};

}  // namespace idef::cli
