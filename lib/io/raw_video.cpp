#include "io/raw_video.h"

#include <cctype>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "core/error.h"

namespace idef {

namespace {

bool all_digits(const std::string& s) {
  if (s.empty() || s.size() > 9) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// Checked before opening anything: a usage error should not depend on the input.
const RawVideoFormat& checked(const RawVideoFormat& f) {
  if (f.width <= 0 || f.height <= 0) throw UsageError("raw rgb24 video needs a frame size (--size WxH)");
  return f;
}

}  // namespace

void parse_frame_size(const std::string& text, int& width, int& height) {
  auto x = text.find('x');
  if (x == std::string::npos || !all_digits(text.substr(0, x)) || !all_digits(text.substr(x + 1)))
    throw UsageError("bad frame size '" + text + "' (want WxH, e.g. 640x480)");
  width = std::stoi(text.substr(0, x));
  height = std::stoi(text.substr(x + 1));
  if (width <= 0 || height <= 0 || width > 32768 || height > 32768)
    throw UsageError("bad frame size '" + text + "' (each side 1 to 32768)");
}

Rational parse_frame_rate(const std::string& text) {
  auto bad = [&] { return UsageError("bad frame rate '" + text + "' (want e.g. 25, 29.97 or 30000/1001)"); };
  auto slash = text.find('/');
  if (slash != std::string::npos) {
    std::string a = text.substr(0, slash), b = text.substr(slash + 1);
    if (!all_digits(a) || !all_digits(b) || std::stoi(a) == 0 || std::stoi(b) == 0) throw bad();
    return {std::stoi(a), std::stoi(b)};
  }
  auto dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  if (!all_digits(whole) || (dot != std::string::npos && (!all_digits(frac) || frac.size() > 3))) throw bad();
  // Exact decimal: 29.97 -> 2997/100; the NTSC spellings get their real value.
  if (text == "29.97") return {30000, 1001};
  if (text == "23.976") return {24000, 1001};
  if (text == "59.94") return {60000, 1001};
  // In 64 bits: nine digits times 1000 do not fit an int (found by fuzz_text_parsers).
  const std::int64_t den = frac.size() == 0 ? 1 : frac.size() == 1 ? 10 : frac.size() == 2 ? 100 : 1000;
  const std::int64_t num = std::stoll(whole) * den + (frac.empty() ? 0 : std::stoll(frac));
  if (num <= 0 || num > std::numeric_limits<int>::max()) throw bad();
  return {static_cast<int>(num), static_cast<int>(den)};
}

RawVideoReader::RawVideoReader(const std::string& path, RawVideoFormat format)
    : format_(checked(format)) {
  source_ = ByteSource::open(path);
}

RawVideoReader::RawVideoReader(std::unique_ptr<ByteSource> source, RawVideoFormat format)
    : source_(std::move(source)), format_(checked(format)) {}

bool RawVideoReader::read(Rgb8& rgb) {
  if (rgb.width != format_.width || rgb.height != format_.height) rgb = Rgb8(format_.width, format_.height);
  std::size_t got = source_->read(rgb.pixels.data(), format_.frame_bytes());
  if (got == 0) return false;
  if (got < format_.frame_bytes())
    throw InputError(source_->name(), "stream ends in a partial frame: " + std::to_string(got) +
                                          " bytes after frame " + std::to_string(frames_read_) +
                                          " (a " + std::to_string(format_.width) + "x" +
                                          std::to_string(format_.height) + " rgb24 frame is " +
                                          std::to_string(format_.frame_bytes()) + " bytes; is --size right?)");
  ++frames_read_;
  return true;
}

RawVideoWriter::RawVideoWriter(const std::string& path, RawVideoFormat format)
    : format_(checked(format)) {
  sink_ = ByteSink::open(path);
}

RawVideoWriter::RawVideoWriter(std::unique_ptr<ByteSink> sink, RawVideoFormat format)
    : sink_(std::move(sink)), format_(checked(format)) {}

void RawVideoWriter::write(const Rgb8& rgb) {
  if (rgb.width != format_.width || rgb.height != format_.height || rgb.pixels.size() != format_.frame_bytes())
    throw std::invalid_argument("RawVideoWriter: frame size does not match the stream's");
  sink_->write(rgb.pixels.data(), rgb.pixels.size());
}

void RawVideoWriter::finish() { sink_->finish(); }

}  // namespace idef
