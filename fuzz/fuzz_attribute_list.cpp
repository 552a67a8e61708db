// CelebA's list_attr_celeba.txt and list_eval_partition.txt readers.
#include "core/error.h"
#include "data/attributes.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = idef::fuzz::as_file(idef::fuzz::bytes_of(data, size), ".txt");
  try {
    idef::read_attribute_list(path);
  } catch (const idef::Error&) {
  }
  try {
    idef::read_partition(path);
  } catch (const idef::Error&) {
  }
  return 0;
}
