// Image decoding through the library's loader (libvips picks the format from the bytes),
// limited to 65536 pixels as id-poison's --max-pixels would (the decoders' paths do not
// depend on the size, and at a megapixel an execution took 4 ms, 10^7 of them 11 hours),
// then the 8-bit sRGB view and an encode of it back in the input's format.
#include "core/error.h"
#include "fuzz_util.h"
#include "core/version.h"
#include "io/image.h"

// One thread, as id-poison --jobs workers run: libvips would otherwise start a pool of
// workers for every tiny image, which costs more than decoding it.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  idef::set_thread_count(1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  idef::ImageLoadOptions options;
  options.max_pixels = 1 << 16;
  try {
    idef::Image image = idef::Image::load_buffer(idef::fuzz::bytes_of(data, size), "-", options);
    image.save_buffer(image.rgb());
  } catch (const idef::Error&) {
  }
  return 0;
}
