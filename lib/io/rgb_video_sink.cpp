#include "io/rgb_video_sink.h"

#include <filesystem>

#include "core/error.h"

namespace idef {

RgbVideoSink::RgbVideoSink(const std::string& path, int width, int height, Rational frame_rate) : rate_(frame_rate) {
  if (width % 2 || height % 2)
    throw UsageError("a 4:2:0 video needs an even width and height, not " + std::to_string(width) + "x" +
                     std::to_string(height));
  if (path == "-" || std::filesystem::path(path).extension() == ".y4m")
    y4m_ = std::make_unique<Y4mWriter>(path, Y4mHeader::make(width, height, ChromaLayout::C420, frame_rate));
  else
    file_ = std::make_unique<VideoWriter>(path, width, height, ChromaLayout::C420, colour_, frame_rate,
                                          Rational{frame_rate.den, frame_rate.num});
}

RgbVideoSink::~RgbVideoSink() = default;

void RgbVideoSink::write(const Rgb8& rgb) {
  VideoFrame frame = from_rgb24(rgb.data(), rgb.width, rgb.height, ChromaLayout::C420, colour_);
  if (y4m_)
    y4m_->write(frame);
  else
    file_->write(frame, written_);
  ++written_;
}

void RgbVideoSink::finish() {
  if (y4m_)
    y4m_->finish();
  else
    file_->finish();
}

}  // namespace idef
