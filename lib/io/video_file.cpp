#include "io/video_file.h"

#include <cstring>
#include <limits>
#include <mutex>
#include <vector>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/av_pixel_format.h"

namespace idef {

namespace {

// --- RAII for the av* objects ---------------------------------------------------------

struct InputContextDeleter {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
struct OutputContextDeleter {
  void operator()(AVFormatContext* c) const {
    if (c->pb && !(c->oformat->flags & AVFMT_NOFILE)) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
struct FrameDeleter {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
struct PacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct SwsDeleter {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
struct DictionaryGuard {
  AVDictionary* dict = nullptr;
  ~DictionaryGuard() { av_dict_free(&dict); }
};

using InputContext = std::unique_ptr<AVFormatContext, InputContextDeleter>;
using OutputContext = std::unique_ptr<AVFormatContext, OutputContextDeleter>;
using CodecContext = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using Frame = std::unique_ptr<AVFrame, FrameDeleter>;
using Packet = std::unique_ptr<AVPacket, PacketDeleter>;
using Scaler = std::unique_ptr<SwsContext, SwsDeleter>;

std::string av_error_text(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

void quiet_ffmpeg_once() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_ERROR); });
}

Frame make_frame() {
  Frame f(av_frame_alloc());
  if (!f) throw std::bad_alloc();
  return f;
}

Packet make_packet() {
  Packet p(av_packet_alloc());
  if (!p) throw std::bad_alloc();
  return p;
}

Rational to_rational(AVRational r) { return r.num > 0 && r.den > 0 ? Rational{r.num, r.den} : Rational{}; }
AVRational to_av(Rational r) { return AVRational{r.num, r.den}; }

// The 8-bit layout we deliver for a decoder's pixel format; `direct` when the decoded
// planes can be copied as they are.
ChromaLayout layout_for(AVPixelFormat fmt, bool& direct, bool& is_rgb) {
  direct = true;
  is_rgb = false;
  switch (fmt) {
    case AV_PIX_FMT_YUV420P: case AV_PIX_FMT_YUVJ420P: return ChromaLayout::C420;
    case AV_PIX_FMT_YUV422P: case AV_PIX_FMT_YUVJ422P: return ChromaLayout::C422;
    case AV_PIX_FMT_YUV444P: case AV_PIX_FMT_YUVJ444P: return ChromaLayout::C444;
    case AV_PIX_FMT_GRAY8: return ChromaLayout::Mono;
    default: break;
  }
  direct = false;
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(fmt);
  if (!d) return ChromaLayout::C420;
  if (d->flags & AV_PIX_FMT_FLAG_RGB) {
    is_rgb = true;
    return ChromaLayout::C444;
  }
  if (d->nb_components <= 2) return ChromaLayout::Mono;  // gray, gray+alpha
  if (d->log2_chroma_w == 1 && d->log2_chroma_h == 1) return ChromaLayout::C420;
  if (d->log2_chroma_w == 1 && d->log2_chroma_h == 0) return ChromaLayout::C422;
  return ChromaLayout::C444;  // 4:4:4, and 4:1:1 etc. upsampled rather than losing chroma
}

bool is_full_range_format(AVPixelFormat fmt) {
  return fmt == AV_PIX_FMT_YUVJ420P || fmt == AV_PIX_FMT_YUVJ422P || fmt == AV_PIX_FMT_YUVJ444P;
}

int sws_colorspace_of(ColourSpec::Matrix m) { return m == ColourSpec::Matrix::Bt709 ? SWS_CS_ITU709 : SWS_CS_ITU601; }

}  // namespace

// ---------------------------------------------------------------------------------------
// Reader

struct VideoReader::Impl {
  std::string path;
  InputContext format;
  CodecContext decoder;
  AVStream* stream = nullptr;
  VideoStreamInfo info;
  Frame decoded = make_frame();
  Packet packet = make_packet();
  bool draining = false;  // end of file reached, decoder being flushed
  bool finished = false;
  int frames_read = 0;
  int damaged_frames = 0;  // decoded with errors the decoder concealed
  std::int64_t last_pts = AV_NOPTS_VALUE;
  // Conversion for formats that are not 8-bit planar.
  Scaler scaler;
  bool direct = true, source_rgb = false;

  explicit Impl(const std::string& p) : path(p) {
    quiet_ffmpeg_once();
    AVFormatContext* raw = nullptr;
    int rc = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
    if (rc < 0) {
      if (rc == AVERROR_INVALIDDATA) throw InputError(path, "not a video file (" + av_error_text(rc) + ")");
      throw InputError(path, av_error_text(rc));
    }
    format.reset(raw);
    rc = avformat_find_stream_info(format.get(), nullptr);
    if (rc < 0) throw InputError(path, "cannot read the stream layout: " + av_error_text(rc));

    for (unsigned i = 0; i < format->nb_streams; ++i)
      if (format->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) ++info.audio_streams;
    const AVCodec* codec = nullptr;
    int index = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (index == AVERROR_STREAM_NOT_FOUND)
      throw InputError(path, "no video stream in this file (it has " + std::to_string(format->nb_streams) +
                                 " other stream(s))");
    if (index < 0 || !codec) throw InputError(path, "no decoder for its video stream");
    stream = format->streams[index];
    // Attached cover pictures count as video streams but are not a video.
    if (stream->disposition & AV_DISPOSITION_ATTACHED_PIC) throw InputError(path, "no video stream (only a cover picture)");

    decoder.reset(avcodec_alloc_context3(codec));
    if (!decoder) throw std::bad_alloc();
    avcodec_parameters_to_context(decoder.get(), stream->codecpar);
    decoder->pkt_timebase = stream->time_base;
    rc = avcodec_open2(decoder.get(), codec, nullptr);
    if (rc < 0) throw InputError(path, "cannot open the " + std::string(codec->name) + " decoder: " + av_error_text(rc));

    const AVCodecParameters* par = stream->codecpar;
    info.width = par->width;
    info.height = par->height;
    if (info.width <= 0 || info.height <= 0) throw InputError(path, "video stream without a frame size");
    info.layout = layout_for(static_cast<AVPixelFormat>(par->format), direct, source_rgb);
    info.colour.range = par->color_range == AVCOL_RANGE_JPEG || is_full_range_format(static_cast<AVPixelFormat>(par->format))
                            ? ColourSpec::Range::Full
                            : ColourSpec::Range::Limited;
    switch (par->color_space) {
      case AVCOL_SPC_BT709: info.colour.matrix = ColourSpec::Matrix::Bt709; break;
      case AVCOL_SPC_BT470BG: case AVCOL_SPC_SMPTE170M: case AVCOL_SPC_FCC: info.colour.matrix = ColourSpec::Matrix::Bt601; break;
      default: info.colour.matrix = info.height >= 720 ? ColourSpec::Matrix::Bt709 : ColourSpec::Matrix::Bt601;
    }
    if (source_rgb) info.colour = {ColourSpec::Matrix::Bt601, ColourSpec::Range::Full};
    info.avg_frame_rate = to_rational(stream->avg_frame_rate);
    info.r_frame_rate = to_rational(stream->r_frame_rate);
    info.time_base = to_rational(stream->time_base);
    info.frame_count = stream->nb_frames > 0 ? stream->nb_frames : -1;
    info.codec_name = codec->name;
  }

  // Next decoded AVFrame into `decoded`; false at the end.
  bool decode_next() {
    if (finished) return false;
    for (;;) {
      int rc = avcodec_receive_frame(decoder.get(), decoded.get());
      if (rc == 0) return true;
      if (rc == AVERROR_EOF) {
        finished = true;
        return false;
      }
      if (rc != AVERROR(EAGAIN)) throw InputError(path, corrupt_at() + av_error_text(rc));
      if (draining) {  // EAGAIN after flushing should not happen; treat as the end
        finished = true;
        return false;
      }
      rc = av_read_frame(format.get(), packet.get());
      if (rc == AVERROR_EOF) {
        draining = true;
        avcodec_send_packet(decoder.get(), nullptr);
        continue;
      }
      if (rc < 0) throw InputError(path, corrupt_at() + av_error_text(rc));
      if (packet->stream_index == stream->index) {
        rc = avcodec_send_packet(decoder.get(), packet.get());
        av_packet_unref(packet.get());
        if (rc < 0 && rc != AVERROR(EAGAIN)) throw InputError(path, corrupt_at() + av_error_text(rc));
      } else {
        av_packet_unref(packet.get());
      }
    }
  }

  std::string corrupt_at() const { return "corrupt video data after frame " + std::to_string(frames_read) + ": "; }

  std::int64_t frame_pts() {
    std::int64_t pts = decoded->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE) {
      // No timestamp from the container: continue from the last one at the frame rate.
      AVRational step = av_inv_q(stream->avg_frame_rate.num ? stream->avg_frame_rate : stream->r_frame_rate);
      std::int64_t increment = step.num ? av_rescale_q(1, step, stream->time_base) : 1;
      pts = last_pts == AV_NOPTS_VALUE ? 0 : last_pts + std::max<std::int64_t>(increment, 1);
    }
    last_pts = pts;
    return pts;
  }

  void deliver(VideoFrame& out) {
    const AVFrame* f = decoded.get();
    if (f->width != info.width || f->height != info.height)
      throw InputError(path, "frame size changes mid-stream (" + std::to_string(f->width) + "x" +
                                 std::to_string(f->height) + " after " + std::to_string(info.width) + "x" +
                                 std::to_string(info.height) + "); not supported");
    if (out.width() != info.width || out.height() != info.height || out.layout() != info.layout)
      out = VideoFrame(info.width, info.height, info.layout);
    bool direct_now = false, rgb_now = false;
    ChromaLayout layout_now = layout_for(static_cast<AVPixelFormat>(f->format), direct_now, rgb_now);
    if (direct_now && layout_now == info.layout) {
      for (int p = 0; p < out.plane_count(); ++p)
        av_image_copy_plane(out.plane(p), out.stride(p), f->data[p], f->linesize[p], out.plane_width(p),
                            out.plane_height(p));
      return;
    }
    // Deeper or packed formats: libswscale to our 8-bit planes, keeping range and matrix.
    scaler.reset(sws_getCachedContext(scaler.release(), f->width, f->height, static_cast<AVPixelFormat>(f->format),
                                      info.width, info.height, pixel_format_of(info.layout),
                                      SWS_POINT | SWS_ACCURATE_RND | SWS_BITEXACT | SWS_FULL_CHR_H_INT, nullptr,
                                      nullptr, nullptr));
    if (!scaler) throw InputError(path, "cannot convert its pixel format " +
                                            std::string(av_get_pix_fmt_name(static_cast<AVPixelFormat>(f->format))));
    const int* coefficients = sws_getCoefficients(sws_colorspace_of(info.colour.matrix));
    int full = info.colour.range == ColourSpec::Range::Full;
    sws_setColorspaceDetails(scaler.get(), coefficients, rgb_now ? 1 : full, coefficients, full, 0, 1 << 16, 1 << 16);
    std::uint8_t* dst[4] = {out.plane(0), nullptr, nullptr, nullptr};
    int dst_stride[4] = {out.stride(0), 0, 0, 0};
    for (int p = 1; p < out.plane_count(); ++p) {
      dst[p] = out.plane(p);
      dst_stride[p] = out.stride(p);
    }
    sws_scale(scaler.get(), f->data, f->linesize, 0, f->height, dst, dst_stride);
  }
};

VideoReader::VideoReader(const std::string& path) : impl_(std::make_unique<Impl>(path)) {}
VideoReader::~VideoReader() = default;
const std::string& VideoReader::path() const { return impl_->path; }
const VideoStreamInfo& VideoReader::info() const { return impl_->info; }
int VideoReader::frames_read() const { return impl_->frames_read; }
int VideoReader::damaged_frames() const { return impl_->damaged_frames; }

bool VideoReader::read(VideoFrame& frame, std::int64_t* pts) {
  if (!impl_->decode_next()) return false;
  impl_->deliver(frame);
  const AVFrame* decoded = impl_->decoded.get();
  if (decoded->decode_error_flags != 0 || (decoded->flags & AV_FRAME_FLAG_CORRUPT)) ++impl_->damaged_frames;
  std::int64_t t = impl_->frame_pts();
  if (pts) *pts = t;
  av_frame_unref(impl_->decoded.get());
  ++impl_->frames_read;
  return true;
}

bool VideoReader::read_rgb(Rgb8& rgb, std::int64_t* pts) {
  VideoFrame frame;
  if (!read(frame, pts)) return false;
  rgb = to_rgb24(frame, impl_->info.colour);
  return true;
}

// ---------------------------------------------------------------------------------------
// Writer

struct VideoWriter::Impl {
  std::string path;
  AtomicFile file;
  VideoWriterOptions options;
  OutputContext muxer;
  CodecContext encoder;
  AVStream* video_out = nullptr;
  int width = 0, height = 0;
  ChromaLayout layout = ChromaLayout::C420;
  Frame frame = make_frame();
  Packet packet = make_packet();
  int frames_written = 0;
  bool header_written = false;

  // Audio copied from a second demuxer on the source, so the reader's decoding order is
  // not disturbed; packets are pulled up to the time of each video packet written.
  InputContext audio_source;
  std::vector<int> audio_map;  // source stream index -> output stream index, or -1
  Packet audio_packet = make_packet();
  bool audio_pending = false, audio_done = true;

  Impl(const std::string& p, VideoWriterOptions o) : path(p), file(p), options(std::move(o)) { quiet_ffmpeg_once(); }

  [[noreturn]] void fail(const std::string& what, int rc) const {
    throw OutputError(path, what + (rc < 0 ? ": " + av_error_text(rc) : std::string()));
  }

  void open(int w, int h, ChromaLayout l, ColourSpec colour, Rational rate, Rational time_base,
            const AVCodecParameters* source_par) {
    width = w;
    height = h;
    layout = l;
    if (!rate.known()) rate = {25, 1};
    if (!time_base.known()) time_base = {rate.den, rate.num};

    AVFormatContext* raw = nullptr;
    int rc = avformat_alloc_output_context2(&raw, nullptr, nullptr, file.temp_path().c_str());
    if (rc < 0 || !raw) fail("no container format for this file name's extension", rc);
    muxer.reset(raw);

    const char* encoder_name = options.codec == VideoCodec::Ffv1 ? "ffv1" : "libx264";
    const AVCodec* codec = avcodec_find_encoder_by_name(encoder_name);
    if (!codec) fail(std::string("FFmpeg has no ") + encoder_name + " encoder", 0);
    if (avformat_query_codec(muxer->oformat, codec->id, FF_COMPLIANCE_NORMAL) == 0)
      fail(std::string("the ") + muxer->oformat->name + " container cannot hold " + codec->name +
               " (use .mkv for FFV1)", 0);
    encoder.reset(avcodec_alloc_context3(codec));
    if (!encoder) throw std::bad_alloc();
    encoder->width = w;
    encoder->height = h;
    encoder->pix_fmt = pixel_format_of(l);
    encoder->time_base = to_av(time_base);
    encoder->framerate = to_av(rate);
    encoder->color_range = colour.range == ColourSpec::Range::Full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    encoder->colorspace = colour.matrix == ColourSpec::Matrix::Bt709 ? AVCOL_SPC_BT709 : AVCOL_SPC_BT470BG;
    if (source_par) {
      encoder->sample_aspect_ratio = source_par->sample_aspect_ratio;
      encoder->color_primaries = source_par->color_primaries;
      encoder->color_trc = source_par->color_trc;
      encoder->chroma_sample_location = source_par->chroma_location;
      if (source_par->color_space != AVCOL_SPC_UNSPECIFIED) encoder->colorspace = source_par->color_space;
    }
    if (muxer->oformat->flags & AVFMT_GLOBALHEADER) encoder->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

    DictionaryGuard codec_options;
    if (options.codec != VideoCodec::Ffv1) {
      int crf = options.codec == VideoCodec::H264Lossless ? 0 : options.crf;
      av_dict_set(&codec_options.dict, "crf", std::to_string(crf).c_str(), 0);
      av_dict_set(&codec_options.dict, "preset", options.preset.c_str(), 0);
    }
    rc = avcodec_open2(encoder.get(), codec, &codec_options.dict);
    if (rc < 0) fail(std::string("cannot open the ") + codec->name + " encoder for " + to_string(l) + " " +
                         std::to_string(w) + "x" + std::to_string(h), rc);

    video_out = avformat_new_stream(muxer.get(), nullptr);
    if (!video_out) throw std::bad_alloc();
    avcodec_parameters_from_context(video_out->codecpar, encoder.get());
    video_out->time_base = encoder->time_base;
    video_out->avg_frame_rate = encoder->framerate;
    video_out->r_frame_rate = encoder->framerate;

    frame->format = encoder->pix_fmt;
    frame->width = w;
    frame->height = h;
    rc = av_frame_get_buffer(frame.get(), 0);
    if (rc < 0) throw std::bad_alloc();
  }

  // Adds an output stream for each audio stream of `source` (already open) and keeps it
  // for copying the packets.
  void add_audio_from(InputContext source) {
    audio_source = std::move(source);
    AVFormatContext* raw = audio_source.get();
    audio_map.assign(raw->nb_streams, -1);
    for (unsigned i = 0; i < raw->nb_streams; ++i) {
      AVStream* in = raw->streams[i];
      if (in->codecpar->codec_type != AVMEDIA_TYPE_AUDIO) continue;
      AVStream* out = avformat_new_stream(muxer.get(), nullptr);
      if (!out) throw std::bad_alloc();
      avcodec_parameters_copy(out->codecpar, in->codecpar);
      out->codecpar->codec_tag = 0;  // let the muxer pick its own tag for the codec
      out->time_base = in->time_base;
      out->disposition = in->disposition;
      av_dict_copy(&out->metadata, in->metadata, 0);
      audio_map[i] = out->index;
      audio_done = false;
    }
  }

  void write_header() {
    int rc;
    if (!(muxer->oformat->flags & AVFMT_NOFILE)) {
      rc = avio_open(&muxer->pb, file.temp_path().c_str(), AVIO_FLAG_WRITE);
      if (rc < 0) fail("cannot create the file", rc);
    }
    rc = avformat_write_header(muxer.get(), nullptr);
    if (rc < 0) fail("cannot start the " + std::string(muxer->oformat->name) + " file (an audio codec the "
                     "container does not take?)", rc);
    header_written = true;
  }

  // Copies source audio packets whose time is not after `ts` (in `tb`); all if ts is null.
  void copy_audio_until(const std::int64_t* ts, AVRational tb) {
    while (!audio_done) {
      if (!audio_pending) {
        int rc = av_read_frame(audio_source.get(), audio_packet.get());
        if (rc == AVERROR_EOF) {
          audio_done = true;
          return;
        }
        if (rc < 0) throw InputError(audio_source->url, "while copying its audio: " + av_error_text(rc));
        if (audio_map[audio_packet->stream_index] < 0) {
          av_packet_unref(audio_packet.get());
          continue;
        }
        audio_pending = true;
      }
      AVStream* in = audio_source->streams[audio_packet->stream_index];
      std::int64_t t = audio_packet->dts != AV_NOPTS_VALUE ? audio_packet->dts : audio_packet->pts;
      if (ts && t != AV_NOPTS_VALUE && av_compare_ts(t, in->time_base, *ts, tb) > 0) return;
      AVStream* out = muxer->streams[audio_map[audio_packet->stream_index]];
      av_packet_rescale_ts(audio_packet.get(), in->time_base, out->time_base);
      audio_packet->stream_index = out->index;
      audio_packet->pos = -1;
      audio_pending = false;
      int rc = av_interleaved_write_frame(muxer.get(), audio_packet.get());  // takes the packet's data
      if (rc < 0) fail("cannot write audio", rc);
    }
  }

  // Sends `f` (null: flush) to the encoder and writes what comes out.
  void encode(const AVFrame* f) {
    int rc = avcodec_send_frame(encoder.get(), f);
    if (rc < 0) fail("the video encoder refused a frame", rc);
    for (;;) {
      rc = avcodec_receive_packet(encoder.get(), packet.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) fail("the video encoder failed", rc);
      packet->stream_index = video_out->index;
      av_packet_rescale_ts(packet.get(), encoder->time_base, video_out->time_base);
      std::int64_t t = packet->dts != AV_NOPTS_VALUE ? packet->dts : packet->pts;
      if (t != AV_NOPTS_VALUE) copy_audio_until(&t, video_out->time_base);
      rc = av_interleaved_write_frame(muxer.get(), packet.get());
      if (rc < 0) fail("cannot write video", rc);
    }
  }
};

VideoWriter::VideoWriter(const std::string& path, const VideoReader& source, VideoWriterOptions options)
    : impl_(std::make_unique<Impl>(path, std::move(options))) {
  const VideoStreamInfo& info = source.info();
  Rational rate = info.avg_frame_rate.known() ? info.avg_frame_rate : info.r_frame_rate;
  // A second demuxer on the source: its video parameters carry tags we keep (aspect,
  // primaries), and it supplies the audio packets without disturbing the reader.
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, source.path().c_str(), nullptr, nullptr) < 0)
    throw InputError(source.path(), "cannot open it again to copy its audio");
  InputContext second(raw);
  if (avformat_find_stream_info(raw, nullptr) < 0) throw InputError(source.path(), "cannot read its stream layout");
  int v = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  impl_->open(info.width, info.height, info.layout, info.colour, rate, info.time_base,
              v >= 0 ? raw->streams[v]->codecpar : nullptr);
  if (impl_->options.copy_audio && info.audio_streams > 0) impl_->add_audio_from(std::move(second));
  impl_->write_header();
}

VideoWriter::VideoWriter(const std::string& path, int width, int height, ChromaLayout layout, ColourSpec colour,
                         Rational frame_rate, Rational time_base, VideoWriterOptions options)
    : impl_(std::make_unique<Impl>(path, std::move(options))) {
  impl_->open(width, height, layout, colour, frame_rate, time_base, nullptr);
  impl_->write_header();
}

VideoWriter::~VideoWriter() = default;

int VideoWriter::frames_written() const { return impl_->frames_written; }

void VideoWriter::write(const VideoFrame& in, std::int64_t pts) {
  Impl& s = *impl_;
  if (in.width() != s.width || in.height() != s.height || in.layout() != s.layout)
    throw std::invalid_argument("VideoWriter: frame does not match the stream's size or layout");
  // The encoder may still hold a reference to the previous frame's buffer.
  int rc = av_frame_make_writable(s.frame.get());
  if (rc < 0) throw std::bad_alloc();
  for (int p = 0; p < in.plane_count(); ++p)
    av_image_copy_plane(s.frame->data[p], s.frame->linesize[p], in.plane(p), in.stride(p), in.plane_width(p),
                        in.plane_height(p));
  s.frame->pts = pts;
  s.encode(s.frame.get());
  ++s.frames_written;
}

void VideoWriter::finish() {
  Impl& s = *impl_;
  s.encode(nullptr);
  s.copy_audio_until(nullptr, AVRational{1, 1});
  int rc = av_write_trailer(s.muxer.get());
  if (rc < 0) s.fail("cannot finish the file", rc);
  if (!(s.muxer->oformat->flags & AVFMT_NOFILE)) {
    rc = avio_closep(&s.muxer->pb);
    if (rc < 0) s.fail("cannot close the file", rc);
  }
  s.file.commit();
}

}  // namespace idef
