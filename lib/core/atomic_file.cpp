#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <csignal>
#include <cstdlib>
#include <mutex>
#include <set>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "core/error.h"

namespace fs = std::filesystem;

namespace idef {

namespace {

// Live temporaries, readable from a signal handler: fixed slots, claimed atomically.
constexpr int kSlots = 256;
char temp_names[kSlots][4096];
std::atomic<bool> slot_used[kSlots];
char program_name[256] = "id-tool";

// The umask, read once before any thread can run (reading it means setting it).
const mode_t process_umask = [] {
  mode_t m = ::umask(0);
  ::umask(m);
  return m;
}();

int claim_slot(const std::string& path) {
  if (path.size() >= sizeof temp_names[0]) return -1;
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (slot_used[i].compare_exchange_strong(expected, true)) {
      std::memcpy(temp_names[i], path.c_str(), path.size() + 1);
      return i;
    }
  }
  return -1;  // more live temporaries than slots: this one is only removed by its destructor
}

void release_slot(int slot) {
  if (slot >= 0) slot_used[slot].store(false);
}

extern "C" void remove_temporaries_and_die(int sig) {
  for (int i = 0; i < kSlots; ++i)
    if (slot_used[i].load()) ::unlink(temp_names[i]);
  char msg[320];
  int n = std::snprintf(msg, sizeof msg, "%s: stopped by signal %d; unfinished outputs removed\n", program_name, sig);
  if (n > 0) (void)!::write(2, msg, static_cast<std::size_t>(std::min(n, int(sizeof msg) - 1)));
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

// Temporaries of writers that no longer run (killed with SIGKILL), owned by this user, in the
// folder of `dest`; each folder is looked through once per process.
void remove_stale_temporaries(const fs::path& dest) {
  static std::mutex mutex;
  static std::set<std::string> cleaned;
  fs::path dir = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
  {
    std::lock_guard<std::mutex> hold(mutex);
    if (!cleaned.insert(dir.string()).second) return;
  }
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    long pid = 0;
    if (!is_atomic_temporary(it->path().filename().string(), &pid)) continue;
    struct stat st {};
    if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != ::getuid()) continue;
    if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)) continue;  // still running
    ::unlink(it->path().c_str());
  }
}

}  // namespace

bool is_atomic_temporary(const std::string& name, long* pid) {
  // .STEM.tmp-PID-XXXXXXXX[.EXT]
  if (name.empty() || name[0] != '.') return false;
  auto at = name.rfind(".tmp-");
  if (at == std::string::npos || at == 0) return false;
  const char* p = name.c_str() + at + 5;
  char* after = nullptr;
  long writer = std::strtol(p, &after, 10);
  if (after == p || *after != '-') return false;
  for (int i = 1; i <= 8; ++i)
    if (!std::isxdigit(static_cast<unsigned char>(after[i]))) return false;
  if (after[9] != '\0' && after[9] != '.') return false;
  if (pid) *pid = writer;
  return true;
}

void remove_temporaries_on_signal(const std::string& program) {
  std::snprintf(program_name, sizeof program_name, "%s", program.c_str());
  struct sigaction action {};
  action.sa_handler = remove_temporaries_and_die;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaction(sig, &action, nullptr);
}

AtomicFile::AtomicFile(std::string destination) : dest_(std::move(destination)) {
  fs::path p(dest_);
  remove_stale_temporaries(p);
  std::random_device rd;
  for (int attempt = 0;; ++attempt) {
    char tag[40];
    std::snprintf(tag, sizeof tag, "%ld-%08x", static_cast<long>(::getpid()), rd());
    temp_ = (p.parent_path() / ("." + p.stem().string() + ".tmp-" + tag + p.extension().string())).string();
    int fd = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      ::close(fd);
      break;
    }
    if (errno != EEXIST || attempt > 8) throw OutputError(dest_, std::strerror(errno));
  }
  slot_ = claim_slot(temp_);
}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_.c_str());
  release_slot(slot_);
}

void AtomicFile::commit() {
  int fd = ::open(temp_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw OutputError(dest_, "temporary file vanished: " + std::string(std::strerror(errno)));
  ::fsync(fd);
  struct stat old {};
  if (::stat(dest_.c_str(), &old) == 0 && S_ISREG(old.st_mode)) {
    // Replacing a file: it keeps its permissions and owner (a private photo stays private).
    // Changing the owner needs privileges; without them the file gets the runner's group,
    // which must not gain the access the old group had.
    mode_t mode = old.st_mode & 07777;
    if (::fchown(fd, old.st_uid, old.st_gid) != 0) mode &= ~mode_t(07070);
    ::fchmod(fd, mode);
  } else {
    ::fchmod(fd, 0666 & ~process_umask);
  }
  ::close(fd);
  if (std::rename(temp_.c_str(), dest_.c_str()) != 0) throw OutputError(dest_, std::strerror(errno));
  committed_ = true;
}

std::string read_all(const std::string& path) {
  std::ostringstream out;
  if (path == "-") {
    out << std::cin.rdbuf();
    return out.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, std::strerror(errno));
  // A file of known size in one read: a stream's doubling copies cost as much as parsing a
  // model. Whatever follows (a file still growing; a pipe, which cannot seek) is read on.
  std::string bytes;
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::is_regular_file(path, ec) ? std::filesystem::file_size(path, ec) : 0;
  if (!ec && size > 0) {
    bytes.resize(static_cast<std::size_t>(size));
    in.read(bytes.data(), static_cast<std::streamsize>(size));
    bytes.resize(static_cast<std::size_t>(in.gcount()));
    in.clear(in.rdstate() & std::ios::badbit);  // a file that shrank meanwhile: what is there
  }
  if (in.bad()) throw InputError(path, "read error");
  if (in.peek() != std::char_traits<char>::eof()) {
    out << in.rdbuf();
    bytes += out.str();
  }
  if (in.bad()) throw InputError(path, "read error");
  return bytes;
}

void write_all(const std::string& path, const std::string& bytes) {
  if (path == "-") {
    std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::cout.flush();
    if (!std::cout) throw OutputError("<stdout>", "write failed");
    return;
  }
  AtomicFile file(path);
  {
    std::ofstream out(file.temp_path(), std::ios::binary);
    if (!out) throw OutputError(path, std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.close();
    if (!out) throw OutputError(path, "write failed (disk full?)");
  }
  file.commit();
}

}  // namespace idef
