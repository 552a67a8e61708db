// YUV4MPEG2 (y4m) streams, 8-bit: the default frame stream of the toolkit.
//
// Stream header: "YUV4MPEG2" followed by space-separated parameters, each a letter and a
// value: W width, H height, F rate num:den, I interlacing, A pixel aspect, C chroma,
// X anything (e.g. XCOLORRANGE=FULL). Every frame: "FRAME", optional parameters, '\n',
// then the Y, U, V planes (Y only for Cmono).
//
// Every header parameter, including unknown X ones, is kept in order and written back, and
// each frame's parameters are passed through, so read -> write is byte-identical.
// One frame is held at a time: memory does not grow with the length of the stream.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/byte_stream.h"
#include "io/frame.h"

namespace idef {

struct Rational {
  int num = 0, den = 0;  // 0:0 = unknown
  bool known() const { return num > 0 && den > 0; }
  double value() const { return known() ? static_cast<double>(num) / den : 0.0; }
  bool operator==(const Rational& o) const { return num == o.num && den == o.den; }
};

struct Y4mHeader {
  int width = 0, height = 0;
  Rational frame_rate;    // F
  Rational pixel_aspect;  // A
  // C value as written ("420jpeg", "420mpeg2", "420paldv", "420", "422", "444", "mono");
  // empty when the stream has no C parameter (y4m's default, 420jpeg).
  std::string chroma;
  ChromaLayout layout = ChromaLayout::C420;
  // All parameters in stream order, each with its letter ("W64", "F25:1", "XYSCSS=420JPEG").
  std::vector<std::string> params;

  // A header for a new stream; tools that make new streams use this.
  static Y4mHeader make(int width, int height, ChromaLayout layout, Rational frame_rate = {25, 1});

  // "XNAME=value" parameters: value of the first one named `name`, or none.
  std::optional<std::string> x_tag(const std::string& name) const;
  // Replaces the value of X parameter `name`, or appends it.
  void set_x_tag(const std::string& name, const std::string& value);

  // XCOLORRANGE=FULL/LIMITED gives the range (limited when absent, as FFmpeg assumes);
  // y4m has no matrix tag, so the caller says which (BT.601 by default).
  ColourSpec colour_spec(ColourSpec::Matrix matrix = ColourSpec::Matrix::Bt601) const;

  // The header line, '\n' included. W, H, F, A and C come from the fields above (in their
  // original place); the other parameters are written as they were read.
  std::string to_string() const;
};

class Y4mReader {
 public:
  // "-" is stdin.
  explicit Y4mReader(const std::string& path);
  explicit Y4mReader(std::unique_ptr<ByteSource> source);
  ~Y4mReader();

  const Y4mHeader& header() const { return header_; }
  const std::string& name() const { return source_->name(); }

  // Reads the next frame into `frame` (reusing its memory) and, if wanted, the frame's
  // parameters (what follows "FRAME" on its line, leading space included, often empty).
  // False at the clean end of the stream. A damaged frame throws InputError naming the
  // stream and the frame, counted from 1: "truncated frame 6: got 100 of 4608 bytes".
  bool read(VideoFrame& frame, std::string* frame_params = nullptr);

  // Frames read so far.
  int frames_read() const { return frames_read_; }

 private:
  void read_header();
  std::unique_ptr<ByteSource> source_;
  Y4mHeader header_;
  int frames_read_ = 0;
};

class Y4mWriter {
 public:
  // "-" is stdout; a file is written under a temporary name and appears on finish().
  Y4mWriter(const std::string& path, Y4mHeader header);
  Y4mWriter(std::unique_ptr<ByteSink> sink, Y4mHeader header);
  ~Y4mWriter();

  const Y4mHeader& header() const { return header_; }
  // The frame must match the header's size and layout. Throws OutputError, or BrokenPipe
  // when the reader of a pipe went away (a clean end for the tools, see byte_stream.h).
  void write(const VideoFrame& frame, const std::string& frame_params = "");
  // Flushes and, for a file, renames it into place. Without it a file output is removed.
  void finish();

 private:
  std::unique_ptr<ByteSink> sink_;
  Y4mHeader header_;
  bool header_written_ = false;
};

}  // namespace idef
