// SHA-256 (FIPS 180-4), for model-file checksums without pulling in a crypto library.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace idef {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  std::string hex_digest();  // finishes the hash; call once

 private:
  void block(const std::uint8_t* p);
  std::uint32_t h_[8];
  std::uint8_t buf_[64];
  std::size_t buf_len_ = 0;
  std::uint64_t total_ = 0;
};

std::string sha256_hex(const std::string& bytes);

}  // namespace idef
