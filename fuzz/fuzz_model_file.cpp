// Model files: the header, the TOML metadata and its hash, the section table; then the
// tensor codec on its own (the fuzzer cannot forge a section's SHA-256, so the same bytes
// also go straight into a section).
#include "core/error.h"
#include "fuzz_util.h"
#include "model/model_file.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes = idef::fuzz::bytes_of(data, size);
  try {
    idef::ModelFile file = idef::ModelFile::parse(bytes, "fuzz.idm");
    for (const auto& name : file.section_names()) file.tensors(name);
  } catch (const idef::Error&) {
  }
  try {
    idef::ModelFile file;
    file.set_bytes("weights", bytes);
    file.tensors("weights");
  } catch (const idef::Error&) {
  }
  return 0;
}
