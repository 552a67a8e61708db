#include "io/y4m.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;
using idef::ChromaLayout;
using idef::VideoFrame;
using idef::Y4mReader;
using idef::Y4mWriter;
using idef::test::run_command;
using idef::test::ScratchDir;

namespace {

constexpr int kW = 64, kH = 48, kFrames = 5;

// Makes a y4m with the real ffmpeg. `filters` runs before the final pixel format, e.g.
// "format=rgb24," to make YUV that comes from 8-bit RGB.
std::string ffmpeg_y4m(const ScratchDir& dir, const std::string& pix_fmt, const std::string& filters = "",
                       const std::string& name = "") {
  std::string out = dir / (name.empty() ? pix_fmt + ".y4m" : name);
  auto r = run_command("ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x48:rate=25 -frames:v " +
                       std::to_string(kFrames) + " -vf " + filters + "format=" + pix_fmt +
                       " -strict -1 -f yuv4mpegpipe -y '" + out + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out;
}

std::size_t payload_size(ChromaLayout layout) { return VideoFrame(kW, kH, layout).byte_size(); }

// Rewrites a y4m made by ffmpeg: a new header line, and parameters on each FRAME line.
std::string rewrite(const std::string& y4m, const std::string& header_line, std::size_t payload,
                    const std::vector<std::string>& frame_params) {
  std::size_t pos = y4m.find('\n') + 1;
  std::string out = header_line + "\n";
  for (int i = 0; pos < y4m.size(); ++i) {
    EXPECT_EQ(y4m.compare(pos, 6, "FRAME\n"), 0);
    pos += 6;
    out += "FRAME" + (i < static_cast<int>(frame_params.size()) ? frame_params[i] : "") + "\n";
    out += y4m.substr(pos, payload);
    pos += payload;
  }
  return out;
}

void write_file(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

// Decodes a y4m with the real ffmpeg to raw planes of `pix_fmt`.
std::string ffmpeg_decode(const std::string& path, const std::string& pix_fmt) {
  auto r = run_command("ffmpeg -nostdin -v error -i '" + path + "' -f rawvideo -pix_fmt " + pix_fmt + " -");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// Reads every frame, converts it with `convert`, writes it back with the same header.
template <typename Convert>
void transcode(const std::string& in, const std::string& out, Convert convert) {
  Y4mReader reader(in);
  Y4mWriter writer(out, reader.header());
  VideoFrame frame;
  std::string params;
  while (reader.read(frame, &params)) writer.write(convert(frame, reader.header()), params);
  writer.finish();
}

struct Diff {
  int max = 0;
  double mean = 0;
};
Diff compare_bytes(const std::string& a, const std::string& b) {
  EXPECT_EQ(a.size(), b.size());
  Diff d;
  double sum = 0;
  std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    int e = std::abs(static_cast<unsigned char>(a[i]) - static_cast<unsigned char>(b[i]));
    d.max = std::max(d.max, e);
    sum += e;
  }
  d.mean = n ? sum / n : 0;
  return d;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const idef::InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return "";
}

}  // namespace

TEST(Y4mRead, ReadsFfmpegStreamAndItsHeader) {
  ScratchDir dir;
  Y4mReader r(ffmpeg_y4m(dir, "yuvj420p"));
  EXPECT_EQ(r.header().width, kW);
  EXPECT_EQ(r.header().height, kH);
  EXPECT_EQ(r.header().frame_rate.num, 25);
  EXPECT_EQ(r.header().frame_rate.den, 1);
  EXPECT_EQ(r.header().layout, ChromaLayout::C420);
  EXPECT_EQ(r.header().chroma, "420jpeg");
  EXPECT_EQ(r.header().x_tag("COLORRANGE").value_or(""), "FULL");
  EXPECT_EQ(r.header().colour_spec().range, idef::ColourSpec::Range::Full);
  EXPECT_EQ(r.header().colour_spec(idef::ColourSpec::Matrix::Bt709).matrix, idef::ColourSpec::Matrix::Bt709);
  VideoFrame f;
  int n = 0;
  while (r.read(f)) ++n;
  EXPECT_EQ(n, kFrames);
  EXPECT_EQ(r.frames_read(), kFrames);
}

// read -> write, no conversion: the bytes must not change, for every chroma type, with
// unknown X tags in the header and parameters on FRAME lines.
TEST(Y4mPassThrough, ByteIdenticalForEveryChromaType) {
  ScratchDir dir;
  const std::string y420 = idef::read_all(ffmpeg_y4m(dir, "yuv420p"));
  struct Variant {
    std::string name, header, source;
    ChromaLayout layout;
  } variants[] = {
      {"420jpeg", "YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg XYSCSS=420JPEG XCUSTOM=kept", y420, ChromaLayout::C420},
      {"420mpeg2", "YUV4MPEG2 W64 H48 F30000:1001 It A10:11 C420mpeg2 XYSCSS=420MPEG2", y420, ChromaLayout::C420},
      {"420paldv", "YUV4MPEG2 C420paldv W64 H48 F25:1 Ib A0:0 XCOLORRANGE=LIMITED", y420, ChromaLayout::C420},
      {"420", "YUV4MPEG2 W64 H48 F25:1 C420", y420, ChromaLayout::C420},
      {"no C (420)", "YUV4MPEG2 W64 H48 F25:1 Xvendor", y420, ChromaLayout::C420},
      {"422", "", idef::read_all(ffmpeg_y4m(dir, "yuv422p")), ChromaLayout::C422},
      {"444", "", idef::read_all(ffmpeg_y4m(dir, "yuv444p")), ChromaLayout::C444},
      {"mono", "", idef::read_all(ffmpeg_y4m(dir, "gray")), ChromaLayout::Mono},
  };
  const std::vector<std::string> frame_params = {" Ip XFRAME=1", "", " XA=b Xc", "", " Im"};
  for (auto& v : variants) {
    std::string header = v.header.empty() ? v.source.substr(0, v.source.find('\n')) + " XEXTRA=1" : v.header;
    std::string input = rewrite(v.source, header, payload_size(v.layout), frame_params);
    std::string in_path = dir / "in.y4m", out_path = dir / "out.y4m";
    write_file(in_path, input);
    {
      Y4mReader r(in_path);
      EXPECT_EQ(r.header().layout, v.layout) << v.name;
    }
    transcode(in_path, out_path, [](const VideoFrame& f, const idef::Y4mHeader&) { return f; });
    EXPECT_TRUE(idef::read_all(out_path) == input) << v.name << ": output differs from input";
  }
}

TEST(Y4mPassThrough, FrameParamsAndTagsAreReported) {
  ScratchDir dir;
  std::string src = idef::read_all(ffmpeg_y4m(dir, "yuv444p"));
  write_file(dir / "in.y4m", rewrite(src, "YUV4MPEG2 W64 H48 F25:1 C444 XMINE=42", payload_size(ChromaLayout::C444),
                                     {" Ip", " XFRAME=2"}));
  Y4mReader r(dir / "in.y4m");
  EXPECT_EQ(r.header().x_tag("MINE").value_or(""), "42");
  VideoFrame f;
  std::string params;
  ASSERT_TRUE(r.read(f, &params));
  EXPECT_EQ(params, " Ip");
  ASSERT_TRUE(r.read(f, &params));
  EXPECT_EQ(params, " XFRAME=2");
  ASSERT_TRUE(r.read(f, &params));
  EXPECT_EQ(params, "");
}

// 4:4:4 from ffmpeg (YUV drawn directly, much of it outside the RGB gamut) -> float RGB ->
// our writer -> ffmpeg decodes it: the same planes and the same rgb24 as the original.
TEST(Y4mRoundTrip, Yuv444ThroughFloatRgbIsBitExactForFfmpeg) {
  ScratchDir dir;
  std::string in = ffmpeg_y4m(dir, "yuv444p"), out = dir / "out.y4m";
  transcode(in, out, [](const VideoFrame& f, const idef::Y4mHeader& h) {
    return idef::from_rgb_float(idef::to_rgb_float(f, h.colour_spec()), f.layout(), h.colour_spec());
  });
  EXPECT_TRUE(ffmpeg_decode(out, "yuv444p") == ffmpeg_decode(in, "yuv444p"));
  EXPECT_TRUE(ffmpeg_decode(out, "rgb24") == ffmpeg_decode(in, "rgb24"));
}

TEST(Y4mRoundTrip, Yuv420ThroughFloatRgbIsBitExactForFfmpeg) {
  ScratchDir dir;
  std::string in = ffmpeg_y4m(dir, "yuv420p"), out = dir / "out.y4m";
  transcode(in, out, [](const VideoFrame& f, const idef::Y4mHeader& h) {
    return idef::from_rgb_float(idef::to_rgb_float(f, h.colour_spec()), f.layout(), h.colour_spec());
  });
  EXPECT_TRUE(ffmpeg_decode(out, "yuv420p") == ffmpeg_decode(in, "yuv420p"));
}

// The 8-bit path (libswscale, rgb24). 4:4:4 that came from 8-bit RGB: exact (measured 0).
// YUV drawn directly by testsrc2 has out-of-gamut colours that 8-bit RGB clips: only
// the in-gamut material is held to exactness.
TEST(Y4mRoundTrip, Yuv444ThroughRgb24) {
  ScratchDir dir;
  std::string in = ffmpeg_y4m(dir, "yuv444p", "format=rgb24,"), out = dir / "out.y4m";
  transcode(in, out, [](const VideoFrame& f, const idef::Y4mHeader& h) {
    return idef::from_rgb24(idef::to_rgb24(f, h.colour_spec()), f.layout(), h.colour_spec());
  });
  Diff d = compare_bytes(ffmpeg_decode(out, "yuv444p"), ffmpeg_decode(in, "yuv444p"));
  RecordProperty("max_abs_error", d.max);
  EXPECT_EQ(d.max, 0) << "mean " << d.mean;
}

// 4:2:0 through rgb24: chroma has to be upsampled and downsampled again, which is not an
// exact inverse at sharp colour edges. Measured on testsrc2 64x48 (format=rgb24 first):
// Y max 6, mean 0.25; Cb/Cr max 12, mean about 0.5 per plane. Tolerance: max 16, mean 1.
TEST(Y4mRoundTrip, Yuv420ThroughRgb24WithinTolerance) {
  ScratchDir dir;
  std::string in = ffmpeg_y4m(dir, "yuv420p", "format=rgb24,"), out = dir / "out.y4m";
  transcode(in, out, [](const VideoFrame& f, const idef::Y4mHeader& h) {
    return idef::from_rgb24(idef::to_rgb24(f, h.colour_spec()), f.layout(), h.colour_spec());
  });
  Diff d = compare_bytes(ffmpeg_decode(out, "yuv420p"), ffmpeg_decode(in, "yuv420p"));
  std::cout << "[ measured ] 4:2:0 via rgb24: max " << d.max << " mean " << d.mean << "\n";
  EXPECT_LE(d.max, 16);
  EXPECT_LE(d.mean, 1.0);
  EXPECT_GT(d.max, 0);  // if this ever becomes exact, the comment above is stale
}

TEST(Y4mErrors, MalformedHeaderNamesTheField) {
  ScratchDir dir;
  struct Case {
    std::string header, expect;
  } cases[] = {
      {"YUV4MPEG2 Wx H48 F25:1", "bad width 'Wx'"},
      {"YUV4MPEG2 W64 H-1 F25:1", "bad height 'H-1'"},
      {"YUV4MPEG2 W64 H48 F25", "bad frame rate 'F25'"},
      {"YUV4MPEG2 W64 H48 A1", "bad pixel aspect 'A1'"},
      {"YUV4MPEG2 W64 H48 Iq", "bad interlacing 'Iq'"},
      {"YUV4MPEG2 H48", "no width (W)"},
      {"YUV4MPEG2 W64", "no height (H)"},
      {"YUV4MPEG2 W64 H48 C411", "unsupported chroma 'C411'"},
      {"YUV4MPEG3 W64 H48", "not a YUV4MPEG2 stream"},
      {"P6 64 48 255", "not a YUV4MPEG2 stream"},
  };
  for (const auto& c : cases) {
    std::string path = dir / "bad.y4m";
    write_file(path, c.header + "\nFRAME\n");
    std::string msg = error_of([&] { Y4mReader r(path); });
    EXPECT_NE(msg.find("cannot read '" + path + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(c.expect), std::string::npos) << "got: " << msg;
  }
  write_file(dir / "empty.y4m", "");
  EXPECT_NE(error_of([&] { Y4mReader r(dir / "empty.y4m"); }).find("empty stream"), std::string::npos);
  write_file(dir / "nonl.y4m", "YUV4MPEG2 W64 H48");
  EXPECT_NE(error_of([&] { Y4mReader r(dir / "nonl.y4m"); }).find("before the header's newline"), std::string::npos);
}

TEST(Y4mErrors, TenBitIsRefusedClearly) {
  ScratchDir dir;
  std::string path = ffmpeg_y4m(dir, "yuv420p10le");
  std::string msg = error_of([&] { Y4mReader r(path); });
  EXPECT_NE(msg.find("C420p10"), std::string::npos) << msg;
  EXPECT_NE(msg.find("only 8-bit"), std::string::npos) << msg;
}

TEST(Y4mErrors, TruncatedLastFrameAfterGoodFrames) {
  ScratchDir dir;
  std::string full = idef::read_all(ffmpeg_y4m(dir, "yuv420p"));
  std::string path = dir / "cut.y4m";
  write_file(path, full.substr(0, full.size() - 1000));  // the 5th frame loses 1000 bytes
  Y4mReader r(path);
  VideoFrame f;
  for (int i = 0; i < kFrames - 1; ++i) ASSERT_TRUE(r.read(f)) << "frame " << i + 1;
  std::string msg = error_of([&] { r.read(f); });
  const std::size_t m = payload_size(ChromaLayout::C420);
  EXPECT_NE(msg.find("cannot read '" + path + "': truncated frame 5: got " + std::to_string(m - 1000) + " of " +
                     std::to_string(m) + " bytes"),
            std::string::npos)
      << msg;
}

TEST(Y4mErrors, BadFrameMarker) {
  ScratchDir dir;
  std::string full = idef::read_all(ffmpeg_y4m(dir, "yuv444p"));
  std::size_t second = full.find('\n') + 1 + 6 + payload_size(ChromaLayout::C444);
  full.replace(second, 5, "FRAMX");
  write_file(dir / "bad.y4m", full);
  Y4mReader r(dir / "bad.y4m");
  VideoFrame f;
  ASSERT_TRUE(r.read(f));
  std::string msg = error_of([&] { r.read(f); });
  EXPECT_NE(msg.find("bad FRAME marker for frame 2: expected 'FRAME', got 'FRAMX'"), std::string::npos) << msg;
}

TEST(Y4mErrors, StdinIsNamedInMessages) {
  ScratchDir dir;
  write_file(dir / "junk", "hello world\n");
  int saved = ::dup(0);
  int fd = ::open((dir / "junk").c_str(), O_RDONLY);
  ::dup2(fd, 0);
  ::close(fd);
  std::string msg = error_of([] { Y4mReader r("-"); });
  ::dup2(saved, 0);
  ::close(saved);
  std::clearerr(stdin);
  EXPECT_NE(msg.find("cannot read '<stdin>': not a YUV4MPEG2 stream"), std::string::npos) << msg;
}

TEST(Y4mWrite, NewStreamIsReadableByFfmpeg) {
  ScratchDir dir;
  auto header = idef::Y4mHeader::make(kW, kH, ChromaLayout::C422, {30000, 1001});
  header.set_x_tag("COLORRANGE", "FULL");
  std::string path = dir / "new.y4m";
  {
    Y4mWriter w(path, header);
    VideoFrame f(kW, kH, ChromaLayout::C422);
    for (int i = 0; i < 3; ++i) w.write(f);
    EXPECT_FALSE(fs::exists(path));  // only a temporary until finish()
    w.finish();
  }
  auto r = run_command("ffprobe -v error -count_frames -show_entries stream=pix_fmt,r_frame_rate,nb_read_frames,color_range "
                       "-of default=nw=1 '" + path + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("pix_fmt=yuv422p"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("color_range=pc"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("r_frame_rate=30000/1001"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nb_read_frames=3"), std::string::npos) << r.out;
}

TEST(Y4mWrite, UnfinishedFileLeavesNothing) {
  ScratchDir dir;
  {
    Y4mWriter w(dir / "out.y4m", idef::Y4mHeader::make(kW, kH, ChromaLayout::C420));
    w.write(VideoFrame(kW, kH, ChromaLayout::C420));
  }  // e.g. an exception while processing: no finish()
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

// `... | head -c 100`: head exits early; the writer must stop with BrokenPipe, not die of
// SIGPIPE and not report a failure.
TEST(Y4mWrite, PipeClosedEarlyStopsWithBrokenPipe) {
  std::FILE* pipe = ::popen("head -c 100 >/dev/null", "w");
  ASSERT_NE(pipe, nullptr);
  bool broken = false;
  int written = 0;
  try {
    Y4mWriter w(idef::ByteSink::from_file(pipe, "<stdout>"), idef::Y4mHeader::make(kW, kH, ChromaLayout::C444));
    VideoFrame f(kW, kH, ChromaLayout::C444);
    for (; written < 2000; ++written) w.write(f);  // 18 MB, far beyond any pipe buffer
    w.finish();
  } catch (const idef::BrokenPipe& e) {
    broken = true;
    EXPECT_NE(std::string(e.what()).find("<stdout>"), std::string::npos);
  }
  ::pclose(pipe);
  EXPECT_TRUE(broken) << "wrote " << written << " frames without noticing";
}

// The same reader and writer over C++ streams and file descriptors (not only paths).
TEST(Y4mStreams, IstreamOstreamAndFdGiveTheSameBytes) {
  ScratchDir dir;
  std::string path = ffmpeg_y4m(dir, "yuv422p");
  const std::string original = idef::read_all(path);
  std::istringstream in(original);
  std::ostringstream out;
  {
    Y4mReader r(idef::ByteSource::from_stream(in, "memory"));
    Y4mWriter w(idef::ByteSink::from_stream(out, "memory"), r.header());
    VideoFrame f;
    std::string params;
    while (r.read(f, &params)) w.write(f, params);
    w.finish();
  }
  EXPECT_TRUE(out.str() == original);

  int fd = ::open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  Y4mReader by_fd(idef::ByteSource::from_fd(fd, "fd"));
  ::close(fd);  // the reader keeps its own duplicate
  VideoFrame f;
  int n = 0;
  while (by_fd.read(f)) ++n;
  EXPECT_EQ(n, kFrames);
}
