// Raw rgb24 frames: the first byte picks a frame size from 1x1 to 16x16, the rest is the stream.
#include <sstream>

#include "core/error.h"
#include "fuzz_util.h"
#include "io/byte_stream.h"
#include "io/raw_video.h"
#include "io/rgb8.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  idef::RawVideoFormat format;
  format.width = 1 + (data[0] & 15);
  format.height = 1 + (data[0] >> 4);
  std::istringstream in(idef::fuzz::bytes_of(data + 1, size - 1));
  try {
    idef::RawVideoReader reader(idef::ByteSource::from_stream(in, "fuzz.rgb"), format);
    idef::Rgb8 rgb;
    while (reader.read(rgb)) {
    }
  } catch (const idef::Error&) {
  }
  return 0;
}
