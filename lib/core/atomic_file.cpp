#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

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

AtomicFile::AtomicFile(std::string destination) : dest_(std::move(destination)) {
  fs::path p(dest_);
  std::random_device rd;
  char tag[16];
  std::snprintf(tag, sizeof tag, "%08x", rd());
  std::string name = "." + p.stem().string() + ".tmp-" + tag + p.extension().string();
  temp_ = (p.parent_path() / name).string();
}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temp_.c_str());
}

void AtomicFile::commit() {
  int fd = ::open(temp_.c_str(), O_RDONLY);
  if (fd < 0) throw OutputError(dest_, "temporary file vanished: " + std::string(std::strerror(errno)));
  ::fsync(fd);
  ::close(fd);
  if (std::rename(temp_.c_str(), dest_.c_str()) != 0)
    throw OutputError(dest_, std::strerror(errno));
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
  out << in.rdbuf();
  if (in.bad()) throw InputError(path, "read error");
  return out.str();
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
