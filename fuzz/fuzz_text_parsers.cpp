// The small parsers of option values: --size WxH, --rate, --shard K/N, --split; the first
// byte picks one, the rest is the text.
#include "core/error.h"
#include "data/celeba_layout.h"
#include "defence/photo_batch.h"
#include "fuzz_util.h"
#include "io/raw_video.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string text = idef::fuzz::bytes_of(data + 1, size - 1);
  try {
    int a = 0, b = 0;
    switch (data[0] % 4) {
      case 0: idef::parse_frame_size(text, a, b); break;
      case 1: idef::parse_frame_rate(text); break;
      case 2: idef::parse_shard(text, a, b); break;
      default: idef::synth::parse_split(text); break;
    }
  } catch (const idef::Error&) {
  } catch (const idef::UsageError&) {
  }
  return 0;
}
