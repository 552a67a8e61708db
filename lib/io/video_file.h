// Video files (mp4, mkv, mov, ...) through libavformat/libavcodec.
//
// VideoReader decodes the first (best) video stream frame by frame; VideoWriter encodes a
// new file, keeping the source's frame rate, time base and per-frame timestamps, and
// copies the source's audio streams packet for packet (no re-encoding). Both hold one
// frame at a time (plus the codec's own small look-ahead): memory is constant over the
// length of the video. The output is written under a temporary name and appears only on
// finish(), so a failed run leaves no half-written file.
//
// FFmpeg's own log is set to errors only the first time either class is used (x264 would
// otherwise print its statistics on stderr); a tool may raise it again with av_log_set_level.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "io/frame.h"
#include "io/y4m.h"  // Rational

namespace idef {

struct VideoStreamInfo {
  int width = 0, height = 0;
  // Layout of the frames read() delivers: the stream's own for 8-bit planar YUV/gray;
  // deeper or packed formats are converted to the 8-bit layout of the same subsampling,
  // RGB formats to 4:4:4.
  ChromaLayout layout = ChromaLayout::C420;
  // From the stream's tags. An untagged matrix is guessed as players do: BT.709 from 720
  // lines up, BT.601 below.
  ColourSpec colour;
  Rational avg_frame_rate;  // average over the stream; 0:0 if unknown
  Rational r_frame_rate;    // lowest rate that represents all timestamps exactly
  Rational time_base;       // unit of the pts values
  std::int64_t frame_count = -1;  // from the container; -1 if it does not say
  std::string codec_name;
  int audio_streams = 0;
};

class VideoReader {
 public:
  // Throws InputError naming the file: missing, not a media file, no video stream, or no
  // decoder for it.
  explicit VideoReader(const std::string& path);
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const std::string& path() const;
  const VideoStreamInfo& info() const;

  // Next frame in presentation order (memory of `frame` reused); `pts`, if given, gets its
  // timestamp in info().time_base. False at the end. Corrupt data throws InputError.
  bool read(VideoFrame& frame, std::int64_t* pts = nullptr);
  // The same, converted to packed 8-bit RGB with info().colour.
  bool read_rgb(Rgb8& rgb, std::int64_t* pts = nullptr);
  int frames_read() const;
  // Frames the decoder reported as damaged and delivered with the errors concealed
  // (FFmpeg's decode_error_flags or AV_FRAME_FLAG_CORRUPT): the file is broken there.
  int damaged_frames() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

enum class VideoCodec {
  H264,          // libx264 with `crf` and `preset`: small files, nearly invisible loss
  H264Lossless,  // libx264 at crf 0: lossless, larger, fewer players
  Ffv1,          // FFV1, lossless; needs a container that takes it (.mkv, .avi, .nut)
};

struct VideoWriterOptions {
  VideoCodec codec = VideoCodec::H264;
  // Low by default: lossy compression weakens the protective perturbation.
  int crf = 16;
  std::string preset = "medium";
  bool copy_audio = true;  // copy the source's audio streams, when there is a source
};

class VideoWriter {
 public:
  // A new file like `source`: size, chroma layout, colour tags, frame rate and time base;
  // its audio streams are copied (options.copy_audio). The container follows the file
  // name's extension. The source's pts values can be passed straight to write().
  VideoWriter(const std::string& path, const VideoReader& source, VideoWriterOptions options = {});
  // A new file from scratch, without audio. pts are in `time_base` (e.g. 1/rate).
  VideoWriter(const std::string& path, int width, int height, ChromaLayout layout, ColourSpec colour,
              Rational frame_rate, Rational time_base, VideoWriterOptions options = {});
  ~VideoWriter();  // without finish(): the temporary file is removed
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Frames in presentation order with increasing pts. Throws OutputError.
  void write(const VideoFrame& frame, std::int64_t pts);
  // Flushes the encoder, copies the remaining audio, writes the trailer and renames the
  // file into place.
  void finish();
  int frames_written() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace idef
