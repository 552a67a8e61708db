// The y4m reader: header tags, frame markers and parameters, truncation.
#include <sstream>

#include "core/error.h"
#include "fuzz_util.h"
#include "io/byte_stream.h"
#include "io/frame.h"
#include "io/y4m.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in(idef::fuzz::bytes_of(data, size));
  try {
    idef::Y4mReader reader(idef::ByteSource::from_stream(in, "fuzz.y4m"));
    idef::VideoFrame frame;
    std::string params;
    for (int i = 0; i < 64 && reader.read(frame, &params); ++i) {
    }
  } catch (const idef::Error&) {
  }
  return 0;
}
