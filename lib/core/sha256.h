// SHA-256 through OpenSSL's libcrypto (EVP), for model-file checksums and the --in-place
// record of what was protected.
#pragma once
#include <cstddef>
#include <string>

struct evp_md_ctx_st;

namespace idef {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, std::size_t size);
  std::string hex_digest();  // finishes the hash; call once

 private:
  evp_md_ctx_st* ctx_;
};

std::string sha256_hex(const std::string& bytes);
// SHA-256 of a file's bytes, read in chunks; InputError naming the file when it cannot be read.
std::string file_sha256(const std::string& path);

}  // namespace idef
