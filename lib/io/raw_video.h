// Raw rgb24 frame streams: packed 8-bit RGB frames back to back, no header, so the size
// (and the rate, for whoever needs it) comes from the command line (--size WxH, --rate).
// A stream that ends inside a frame is an error, not silently shortened.
#pragma once
#include <memory>
#include <string>

#include "io/byte_stream.h"
#include "io/frame.h"
#include "io/y4m.h"  // Rational

namespace idef {

struct RawVideoFormat {
  int width = 0, height = 0;
  Rational frame_rate{25, 1};
  std::size_t frame_bytes() const { return static_cast<std::size_t>(width) * height * 3; }
};

// Parses "WxH" (e.g. "640x480") as given to --size; throws UsageError otherwise.
void parse_frame_size(const std::string& text, int& width, int& height);
// Parses "25", "29.97" or "30000/1001" as given to --rate; throws UsageError otherwise.
Rational parse_frame_rate(const std::string& text);

class RawVideoReader {
 public:
  RawVideoReader(const std::string& path, RawVideoFormat format);  // "-" is stdin
  RawVideoReader(std::unique_ptr<ByteSource> source, RawVideoFormat format);

  const RawVideoFormat& format() const { return format_; }
  const std::string& name() const { return source_->name(); }
  // Next frame into `rgb` (memory reused); false at the end of the stream. A partial last
  // frame throws InputError: "stream ends in a partial frame: N bytes after frame K".
  bool read(Rgb8& rgb);
  int frames_read() const { return frames_read_; }

 private:
  std::unique_ptr<ByteSource> source_;
  RawVideoFormat format_;
  int frames_read_ = 0;
};

class RawVideoWriter {
 public:
  RawVideoWriter(const std::string& path, RawVideoFormat format);  // "-" is stdout
  RawVideoWriter(std::unique_ptr<ByteSink> sink, RawVideoFormat format);

  // Throws OutputError, or BrokenPipe when the pipe's reader went away (byte_stream.h).
  void write(const Rgb8& rgb);
  void finish();

 private:
  std::unique_ptr<ByteSink> sink_;
  RawVideoFormat format_;
};

}  // namespace idef
