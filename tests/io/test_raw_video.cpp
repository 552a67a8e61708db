#include "io/raw_video.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;
using idef::RawVideoFormat;
using idef::RawVideoReader;
using idef::Rgb8;
using idef::test::run_command;
using idef::test::ScratchDir;

namespace {

std::string ffmpeg_rgb24(const ScratchDir& dir, int frames) {
  std::string out = dir / "in.rgb";
  auto r = run_command("ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x48:rate=25 -frames:v " +
                       std::to_string(frames) + " -f rawvideo -pix_fmt rgb24 -y '" + out + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out;
}

const RawVideoFormat kFormat{64, 48, {25, 1}};

}  // namespace

TEST(RawVideo, ReadsFfmpegFramesAndWritesThemBack) {
  ScratchDir dir;
  std::string in = ffmpeg_rgb24(dir, 4), out = dir / "out.rgb";
  RawVideoReader r(in, kFormat);
  idef::RawVideoWriter w(out, kFormat);
  Rgb8 frame;
  while (r.read(frame)) w.write(frame);
  w.finish();
  EXPECT_EQ(r.frames_read(), 4);
  EXPECT_TRUE(idef::read_all(out) == idef::read_all(in));
  // ffmpeg reads ours back as 4 frames of 64x48.
  auto probe = run_command("ffprobe -v error -f rawvideo -pixel_format rgb24 -video_size 64x48 -count_frames "
                           "-show_entries stream=nb_read_frames -of csv=p=0 '" + out + "'");
  EXPECT_EQ(probe.exit_code, 0) << probe.err;
  EXPECT_EQ(probe.out, "4\n");
}

TEST(RawVideo, PartialLastFrameIsAnError) {
  ScratchDir dir;
  std::string in = ffmpeg_rgb24(dir, 3);
  std::ofstream(in, std::ios::binary | std::ios::app) << std::string(100, 'x');
  RawVideoReader r(in, kFormat);
  Rgb8 frame;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(r.read(frame));
  try {
    r.read(frame);
    FAIL() << "expected an InputError";
  } catch (const idef::InputError& e) {
    EXPECT_EQ(e.input(), in);
    EXPECT_NE(e.reason().find("stream ends in a partial frame: 100 bytes after frame 3"), std::string::npos)
        << e.what();
  }
}

TEST(RawVideo, WrongSizeShowsAsPartialFrame) {
  ScratchDir dir;
  std::string in = ffmpeg_rgb24(dir, 1);  // 9216 bytes: not a whole number of 50x50 frames
  RawVideoReader r(in, {50, 50, {25, 1}});
  Rgb8 frame;
  ASSERT_TRUE(r.read(frame));
  EXPECT_THROW(r.read(frame), idef::InputError);
}

TEST(RawVideo, ParsesSizeAndRate) {
  int w = 0, h = 0;
  idef::parse_frame_size("640x480", w, h);
  EXPECT_EQ(w, 640);
  EXPECT_EQ(h, 480);
  EXPECT_THROW(idef::parse_frame_size("640", w, h), idef::UsageError);
  EXPECT_THROW(idef::parse_frame_size("0x480", w, h), idef::UsageError);
  EXPECT_THROW(idef::parse_frame_size("64x-4", w, h), idef::UsageError);
  EXPECT_EQ(idef::parse_frame_rate("25"), (idef::Rational{25, 1}));
  EXPECT_EQ(idef::parse_frame_rate("29.97"), (idef::Rational{30000, 1001}));
  EXPECT_EQ(idef::parse_frame_rate("12.5"), (idef::Rational{125, 10}));
  EXPECT_EQ(idef::parse_frame_rate("30000/1001"), (idef::Rational{30000, 1001}));
  EXPECT_THROW(idef::parse_frame_rate("fast"), idef::UsageError);
  // Found by fuzz_text_parsers: 7233723 * 1000 overflowed an int (undefined behaviour).
  EXPECT_THROW(idef::parse_frame_rate("7233723.976"), idef::UsageError);
  EXPECT_EQ(idef::parse_frame_rate("999999.5"), (idef::Rational{9999995, 10}));
  EXPECT_THROW(idef::parse_frame_rate("0"), idef::UsageError);
  EXPECT_THROW(idef::parse_frame_rate("25/0"), idef::UsageError);
  EXPECT_THROW(RawVideoReader("x", RawVideoFormat{}), idef::UsageError);
}

TEST(RawVideo, PipeClosedEarlyStopsWithBrokenPipe) {
  std::FILE* pipe = ::popen("head -c 100 >/dev/null", "w");
  ASSERT_NE(pipe, nullptr);
  bool broken = false;
  try {
    idef::RawVideoWriter w(idef::ByteSink::from_file(pipe, "<stdout>"), kFormat);
    Rgb8 frame(64, 48);
    for (int i = 0; i < 2000; ++i) w.write(frame);
    w.finish();
  } catch (const idef::BrokenPipe&) {
    broken = true;
  }
  ::pclose(pipe);
  EXPECT_TRUE(broken);
}
