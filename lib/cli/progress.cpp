#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <sstream>

#include "core/error.h"

namespace idef::cli {

using Clock = std::chrono::steady_clock;

Progress::Progress(const CommonOptions& options, std::string label, std::int64_t total)
    : label_(std::move(label)), total_(total), start_(Clock::now()) {
  if (!options.quiet && isatty(STDERR_FILENO)) terminal_ = stderr;
  if (options.progress == "-") {
    machine_ = stdout;
  } else if (!options.progress.empty()) {
    machine_ = std::fopen(options.progress.c_str(), "w");
    if (!machine_) throw OutputError(options.progress, std::strerror(errno));
    own_machine_ = true;
  }
  last_bar_ = last_block_ = start_ - std::chrono::hours(1);
}

Progress::Progress(std::FILE* terminal, std::FILE* machine, std::string label, std::int64_t total)
    : terminal_(terminal), machine_(machine), label_(std::move(label)), total_(total), start_(Clock::now()) {
  last_bar_ = last_block_ = start_ - std::chrono::hours(1);
}

Progress::~Progress() {
  if (terminal_ && !finished_ && done_ > 0) std::fputc('\n', terminal_);
  if (own_machine_) std::fclose(machine_);
}

std::string Progress::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  auto s = static_cast<long>(std::lround(seconds));
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  return buf;
}

void Progress::update(std::int64_t done, const KeyValues& extra, bool force) {
  if (before_ < 0) before_ = std::max<std::int64_t>(0, done - 1);
  done_ = done;
  auto now = Clock::now();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  if (terminal_ && (force || now - last_bar_ >= std::chrono::milliseconds(200))) {
    last_bar_ = now;
    draw_bar(elapsed, extra);
  }
  if (machine_ && (force || now - last_block_ >= std::chrono::seconds(1))) {
    last_block_ = now;
    write_block(elapsed, extra, false);
  }
}

void Progress::finish(const KeyValues& extra) {
  double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
  if (terminal_) {
    draw_bar(elapsed, extra);
    std::fputc('\n', terminal_);
  }
  if (machine_) write_block(elapsed, extra, true);
  finished_ = true;
}

double Progress::this_run_rate(double elapsed) const {
  return elapsed > 0 ? (done_ - std::max<std::int64_t>(0, before_)) / elapsed : 0;
}

void Progress::draw_bar(double elapsed, const KeyValues& extra) {
  double rate = this_run_rate(elapsed);
  std::ostringstream line;
  line << "\r" << label_ << " ";
  if (total_ > 0) {
    constexpr int kWidth = 24;
    int filled = static_cast<int>(kWidth * std::min<double>(1.0, double(done_) / total_));
    line << "[" << std::string(filled, '#') << std::string(kWidth - filled, ' ') << "] " << done_ << "/" << total_;
    double eta = rate > 0 ? (total_ - done_) / rate : NAN;
    char buf[64];
    std::snprintf(buf, sizeof buf, " %.3g/s ETA %s", rate, format_duration(eta).c_str());
    line << buf;
  } else {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%lld done, %.3g/s, %s", static_cast<long long>(done_), rate,
                  format_duration(elapsed).c_str());
    line << buf;
  }
  for (const auto& [k, v] : extra) line << " " << k << "=" << v;
  line << "\033[K";  // clear what a longer previous line left
  std::fputs(line.str().c_str(), terminal_);
  std::fflush(terminal_);
}

void Progress::write_block(double elapsed, const KeyValues& extra, bool end) {
  double rate = this_run_rate(elapsed);
  std::fprintf(machine_, "task=%s\ndone=%lld\n", label_.c_str(), static_cast<long long>(done_));
  if (total_ >= 0) std::fprintf(machine_, "total=%lld\n", static_cast<long long>(total_));
  std::fprintf(machine_, "elapsed_s=%.3f\nrate_per_s=%.4g\n", elapsed, rate);
  if (total_ > 0 && rate > 0 && !end) std::fprintf(machine_, "eta_s=%.1f\n", (total_ - done_) / rate);
  for (const auto& [k, v] : extra) std::fprintf(machine_, "%s=%s\n", k.c_str(), v.c_str());
  std::fprintf(machine_, "progress=%s\n", end ? "end" : "continue");
  std::fflush(machine_);
}

void Log::info(const std::string& message) const {
  if (!quiet_) std::fprintf(stderr, "%s: %s\n", program_.c_str(), message.c_str());
}
void Log::warn(const std::string& message) const {
  if (!quiet_) std::fprintf(stderr, "%s: warning: %s\n", program_.c_str(), message.c_str());
}
void Log::error(const std::string& message) const {
  std::fprintf(stderr, "%s: %s\n", program_.c_str(), message.c_str());
}

void LossReport::operator()(std::int64_t done, const std::map<std::string, double>& losses) {
  for (const auto& [k, v] : losses) last_[k] = v;
  KeyValues extra;
  for (const auto& key : shown_)
    if (auto it = last_.find(key); it != last_.end()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.4g", it->second);
      extra.emplace_back(key, buf);
    }
  progress_.update(done, extra);
}

}  // namespace idef::cli
