// Shared by the libFuzzer targets (docs/hardening.md#fuzzing): each target feeds one parser
// arbitrary bytes; a clean rejection is an idef::Error (or a UsageError), anything else
// (a crash, a sanitizer report, another exception escaping) is a finding.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <string>

namespace idef::fuzz {

inline std::string bytes_of(const std::uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Parsers that only take a path get the input through one file per fuzzing process.
inline std::string as_file(const std::string& bytes, const char* extension) {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    return std::string(tmp && *tmp ? tmp : "/tmp");
  }();
  const std::string path = dir + "/idef-fuzz-" + std::to_string(getpid()) + extension;
  // A plain write: write_all's fsync and rename would cost more than the parsing.
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  return path;
}

}  // namespace idef::fuzz
