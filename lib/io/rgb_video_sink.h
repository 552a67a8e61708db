// A new video from RGB frames, for the tools that render frames themselves (id-synth's
// talking heads, id-forge's reenactments): y4m for a name ending in .y4m or "-" (standard
// output), otherwise a video file whose container follows the extension (H.264). 4:2:0,
// BT.601 limited range (y4m's default). Like VideoWriter, a file appears only on finish().
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "io/rgb8.h"
#include "io/video_file.h"
#include "io/y4m.h"

namespace idef {

class RgbVideoSink {
 public:
  // width and height must be even (4:2:0 chroma); throws UsageError otherwise.
  RgbVideoSink(const std::string& path, int width, int height, Rational frame_rate);
  ~RgbVideoSink();
  void write(const Rgb8& frame);
  void finish();

 private:
  ColourSpec colour_;
  Rational rate_;
  std::int64_t written_ = 0;
  std::unique_ptr<Y4mWriter> y4m_;
  std::unique_ptr<VideoWriter> file_;
};

}  // namespace idef
