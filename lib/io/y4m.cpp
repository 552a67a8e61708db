#include "io/y4m.h"

#include <cctype>
#include <cstring>
#include <limits>

#include "core/error.h"

namespace idef {

namespace {

constexpr char kMagic[] = "YUV4MPEG2";
constexpr std::size_t kMagicSize = sizeof kMagic - 1;
// Real headers are well under 200 bytes; the cap keeps a non-y4m input from making us
// buffer it whole while looking for a newline.
constexpr std::size_t kMaxHeaderLine = 16384;
constexpr std::size_t kMaxFrameLine = 4096;
constexpr int kMaxDimension = 32768;

const char* const kSupportedChroma = "420jpeg, 420mpeg2, 420paldv, 420, 422, 444, mono";

// Shows untrusted bytes in a message: printable ASCII as is, the rest as \xNN, cut short.
std::string quote_bytes(const std::string& s, std::size_t max = 24) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (std::isprint(c)) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

bool parse_positive_int(const std::string& s, int max, int& out) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  long v = std::stol(s);
  if (v <= 0 || v > max) return false;
  out = static_cast<int>(v);
  return true;
}

// "num:den"; 0:0 means unknown and is allowed.
bool parse_ratio(const std::string& s, Rational& out) {
  auto colon = s.find(':');
  if (colon == std::string::npos) return false;
  std::string a = s.substr(0, colon), b = s.substr(colon + 1);
  if (a == "0" && b == "0") {
    out = {0, 0};
    return true;
  }
  return parse_positive_int(a, std::numeric_limits<int>::max(), out.num) &&
         parse_positive_int(b, std::numeric_limits<int>::max(), out.den);
}

std::string ratio_string(const Rational& r) { return std::to_string(r.num) + ":" + std::to_string(r.den); }

// Maps a C value to a layout, or explains why it is refused.
ChromaLayout parse_chroma(const std::string& value, const std::string& input) {
  if (value == "420jpeg" || value == "420mpeg2" || value == "420paldv" || value == "420")
    return ChromaLayout::C420;
  if (value == "422") return ChromaLayout::C422;
  if (value == "444") return ChromaLayout::C444;
  if (value == "mono") return ChromaLayout::Mono;
  // FFmpeg spells deeper samples as C420p10, C444p16, Cmono16, ...
  bool deep = value.find('p') != std::string::npos || value.rfind("mono", 0) == 0;
  if (deep && value != "444alpha")
    throw InputError(input, "C" + quote_bytes(value) +
                                " in header: only 8-bit y4m is supported, not deeper samples "
                                "(convert with ffmpeg -pix_fmt yuv420p or yuv444p)");
  throw InputError(input, "unsupported chroma 'C" + quote_bytes(value) + "' in header (supported: " +
                              kSupportedChroma + ")");
}

const char* chroma_tag_of(ChromaLayout layout) {
  switch (layout) {
    case ChromaLayout::Mono: return "mono";
    case ChromaLayout::C420: return "420jpeg";
    case ChromaLayout::C422: return "422";
    case ChromaLayout::C444: return "444";
  }
  return "420jpeg";
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Header

Y4mHeader Y4mHeader::make(int width, int height, ChromaLayout layout, Rational frame_rate) {
  Y4mHeader h;
  h.width = width;
  h.height = height;
  h.frame_rate = frame_rate;
  h.pixel_aspect = {1, 1};
  h.layout = layout;
  h.chroma = chroma_tag_of(layout);
  h.params = {"W", "H", "F", "Ip", "A", "C"};  // values filled in by to_string()
  return h;
}

std::optional<std::string> Y4mHeader::x_tag(const std::string& name) const {
  const std::string prefix = "X" + name + "=";
  for (const auto& p : params)
    if (p.compare(0, prefix.size(), prefix) == 0) return p.substr(prefix.size());
  return std::nullopt;
}

void Y4mHeader::set_x_tag(const std::string& name, const std::string& value) {
  const std::string prefix = "X" + name + "=";
  for (auto& p : params)
    if (p.compare(0, prefix.size(), prefix) == 0) {
      p = prefix + value;
      return;
    }
  params.push_back(prefix + value);
}

ColourSpec Y4mHeader::colour_spec(ColourSpec::Matrix matrix) const {
  ColourSpec spec;
  spec.matrix = matrix;
  auto range = x_tag("COLORRANGE");
  spec.range = range && *range == "FULL" ? ColourSpec::Range::Full : ColourSpec::Range::Limited;
  return spec;
}

std::string Y4mHeader::to_string() const {
  std::string line = kMagic;
  bool have_w = false, have_h = false, have_c = false;
  for (const auto& p : params) {
    if (p.empty()) continue;
    std::string text = p;
    switch (p[0]) {
      case 'W': text = "W" + std::to_string(width); have_w = true; break;
      case 'H': text = "H" + std::to_string(height); have_h = true; break;
      case 'F': text = "F" + ratio_string(frame_rate); break;
      case 'A': text = "A" + ratio_string(pixel_aspect); break;
      case 'C':
        text = "C" + (chroma.empty() ? std::string(chroma_tag_of(layout)) : chroma);
        have_c = true;
        break;
      default: break;
    }
    line += " " + text;
  }
  if (!have_w) line += " W" + std::to_string(width);
  if (!have_h) line += " H" + std::to_string(height);
  // Without C a reader assumes 4:2:0; say so when the layout is something else.
  if (!have_c && layout != ChromaLayout::C420) line += std::string(" C") + chroma_tag_of(layout);
  return line + "\n";
}

// ---------------------------------------------------------------------------------------
// Reader

Y4mReader::Y4mReader(const std::string& path) : Y4mReader(ByteSource::open(path)) {}

Y4mReader::Y4mReader(std::unique_ptr<ByteSource> source) : source_(std::move(source)) { read_header(); }

Y4mReader::~Y4mReader() = default;

void Y4mReader::read_header() {
  const std::string& input = source_->name();
  char magic[kMagicSize];
  std::size_t got = source_->read(magic, kMagicSize);
  if (got == 0) throw InputError(input, "empty stream (no YUV4MPEG2 header)");
  if (got < kMagicSize || std::memcmp(magic, kMagic, kMagicSize) != 0)
    throw InputError(input, "not a YUV4MPEG2 stream (starts with '" +
                                quote_bytes(std::string(magic, got), 9) + "')");

  std::string line;
  for (;;) {
    int c = source_->get();
    if (c < 0) throw InputError(input, "malformed YUV4MPEG2 header: stream ends before the header's newline");
    if (c == '\n') break;
    if (line.size() >= kMaxHeaderLine)
      throw InputError(input, "malformed YUV4MPEG2 header: no newline in the first " +
                                  std::to_string(kMaxHeaderLine) + " bytes");
    line += static_cast<char>(c);
  }
  if (!line.empty() && line[0] != ' ')
    throw InputError(input, "not a YUV4MPEG2 stream (starts with 'YUV4MPEG2" + quote_bytes(line, 8) + "')");

  Y4mHeader& h = header_;
  bool have_w = false, have_h = false;
  std::size_t pos = 0;
  while (pos < line.size()) {
    std::size_t end = line.find(' ', pos);
    if (end == std::string::npos) end = line.size();
    std::string param = line.substr(pos, end - pos);
    pos = end + 1;
    if (param.empty()) continue;  // tolerate doubled spaces
    std::string value = param.substr(1);
    auto bad = [&](const char* field, const char* want) {
      return InputError(input, std::string("malformed YUV4MPEG2 header: bad ") + field + " '" +
                                   quote_bytes(param) + "' (want " + want + ")");
    };
    switch (param[0]) {
      case 'W':
        if (!parse_positive_int(value, kMaxDimension, h.width)) throw bad("width", "W followed by 1 to 32768");
        have_w = true;
        break;
      case 'H':
        if (!parse_positive_int(value, kMaxDimension, h.height)) throw bad("height", "H followed by 1 to 32768");
        have_h = true;
        break;
      case 'F':
        if (!parse_ratio(value, h.frame_rate)) throw bad("frame rate", "F followed by num:den, e.g. F25:1");
        break;
      case 'A':
        if (!parse_ratio(value, h.pixel_aspect)) throw bad("pixel aspect", "A followed by num:den, e.g. A1:1");
        break;
      case 'I':
        if (value.size() != 1 || std::string("ptbm?").find(value[0]) == std::string::npos)
          throw bad("interlacing", "one of Ip, It, Ib, Im, I?");
        break;
      case 'C':
        h.layout = parse_chroma(value, input);
        h.chroma = value;
        break;
      default: break;  // X and anything else: kept and written back untouched
    }
    h.params.push_back(param);
  }
  if (!have_w) throw InputError(input, "malformed YUV4MPEG2 header: no width (W)");
  if (!have_h) throw InputError(input, "malformed YUV4MPEG2 header: no height (H)");
}

bool Y4mReader::read(VideoFrame& frame, std::string* frame_params) {
  const std::string& input = source_->name();
  const int number = frames_read_ + 1;
  const std::string which = "frame " + std::to_string(number);

  int c = source_->get();
  if (c < 0) return false;  // clean end between frames
  std::string line;
  for (;;) {
    if (c < 0) throw InputError(input, "truncated " + which + ": stream ends inside its FRAME line");
    if (c == '\n') break;
    if (line.size() >= kMaxFrameLine)
      throw InputError(input, "bad FRAME marker for " + which + ": no newline in " +
                                  std::to_string(kMaxFrameLine) + " bytes");
    line += static_cast<char>(c);
    c = source_->get();
  }
  if (line.compare(0, 5, "FRAME") != 0 || (line.size() > 5 && line[5] != ' '))
    throw InputError(input, "bad FRAME marker for " + which + ": expected 'FRAME', got '" +
                                quote_bytes(line) + "'");
  if (frame_params) *frame_params = line.substr(5);

  if (frame.width() != header_.width || frame.height() != header_.height || frame.layout() != header_.layout)
    frame = VideoFrame(header_.width, header_.height, header_.layout);
  const std::size_t want = frame.byte_size();
  std::size_t total = 0;
  for (int p = 0; p < frame.plane_count(); ++p) {
    std::size_t got = source_->read(frame.plane(p), frame.plane_size(p));
    total += got;
    if (got < frame.plane_size(p))
      throw InputError(input, "truncated " + which + ": got " + std::to_string(total) + " of " +
                                  std::to_string(want) + " bytes");
  }
  ++frames_read_;
  return true;
}

// ---------------------------------------------------------------------------------------
// Writer

Y4mWriter::Y4mWriter(const std::string& path, Y4mHeader header)
    : Y4mWriter(ByteSink::open(path), std::move(header)) {}

Y4mWriter::Y4mWriter(std::unique_ptr<ByteSink> sink, Y4mHeader header)
    : sink_(std::move(sink)), header_(std::move(header)) {
  if (header_.width <= 0 || header_.height <= 0)
    throw std::invalid_argument("Y4mWriter: header without a size");
}

Y4mWriter::~Y4mWriter() = default;

void Y4mWriter::write(const VideoFrame& frame, const std::string& frame_params) {
  if (frame.width() != header_.width || frame.height() != header_.height || frame.layout() != header_.layout)
    throw std::invalid_argument("Y4mWriter: frame " + std::to_string(frame.width()) + "x" +
                                std::to_string(frame.height()) + " " + to_string(frame.layout()) +
                                " does not match the stream header");
  if (!frame_params.empty() && (frame_params[0] != ' ' || frame_params.find('\n') != std::string::npos))
    throw std::invalid_argument("Y4mWriter: frame parameters must start with a space and hold no newline");
  if (!header_written_) {
    std::string line = header_.to_string();
    sink_->write(line.data(), line.size());
    header_written_ = true;
  }
  std::string marker = "FRAME" + frame_params + "\n";
  sink_->write(marker.data(), marker.size());
  for (int p = 0; p < frame.plane_count(); ++p) sink_->write(frame.plane(p), frame.plane_size(p));
}

void Y4mWriter::finish() {
  if (!header_written_) {
    std::string line = header_.to_string();
    sink_->write(line.data(), line.size());
    header_written_ = true;
  }
  sink_->finish();
}

}  // namespace idef
