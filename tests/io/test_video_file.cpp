#include "io/video_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>

#include "core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;
using idef::ChromaLayout;
using idef::VideoFrame;
using idef::VideoReader;
using idef::VideoWriter;
using idef::test::run_command;
using idef::test::ScratchDir;

namespace {

// 10 frames of 64x48 at 25 fps, H.264 with B-frames, and an AAC sine track.
std::string make_mp4(const ScratchDir& dir) {
  std::string out = dir / "in.mp4";
  auto r = run_command(
      "ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=64x48:rate=25 -f lavfi -i sine=frequency=440:sample_rate=8000 "
      "-t 0.4 -c:v libx264 -preset ultrafast -bf 2 -pix_fmt yuv420p -c:a aac -y '" + out + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out;
}

// key=value lines of ffprobe about one stream.
std::map<std::string, std::string> probe(const std::string& path, const std::string& stream) {
  auto r = run_command("ffprobe -v error -select_streams " + stream +
                       " -count_frames -count_packets -show_entries "
                       "stream=codec_type,codec_name,pix_fmt,avg_frame_rate,r_frame_rate,time_base,nb_read_frames,"
                       "nb_read_packets -of default=nw=1 '" + path + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> kv;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

std::string rate_string(idef::Rational r) { return std::to_string(r.num) + "/" + std::to_string(r.den); }

// Decodes with the real ffmpeg: raw planes (every decoded frame once: no frame rate
// conversion filling a start offset with duplicates), and the frame timestamps.
std::string ffmpeg_planes(const std::string& path, const std::string& pix_fmt) {
  auto r = run_command("ffmpeg -nostdin -v error -i '" + path + "' -map 0:v -vsync passthrough -f rawvideo -pix_fmt " + pix_fmt + " -");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}
std::string ffprobe_frame_times(const std::string& path) {
  auto r = run_command("ffprobe -v error -select_streams v:0 -show_entries frame=best_effort_timestamp_time "
                       "-of csv=p=0 '" + path + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // One time per line; drop what ffprobe adds for frames with side data (SEI).
  std::string times;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find(','));
    if (!line.empty()) times += line + "\n";
  }
  return times;
}
// Frame times of `in` after ffmpeg's own stream copy into `out`'s container: what keeping
// the timestamps means there (Matroska, for one, shifts everything when AAC priming makes
// the audio start below zero).
std::string stream_copy_frame_times(const std::string& in, const std::string& out) {
  std::string ref = fs::path(out).replace_filename("ref-copy" + fs::path(out).extension().string()).string();
  auto r = run_command("ffmpeg -nostdin -v error -i '" + in + "' -c copy -y '" + ref + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string times = ffprobe_frame_times(ref);
  fs::remove(ref);
  return times;
}
std::string audio_packets_md5(const std::string& path) {
  auto r = run_command("ffmpeg -nostdin -v error -i '" + path + "' -map 0:a -c copy -f md5 -");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

// Reads `in` and writes every frame to `out` with the source's timestamps.
void copy_video(const std::string& in, const std::string& out, idef::VideoWriterOptions options) {
  VideoReader reader(in);
  VideoWriter writer(out, reader, options);
  VideoFrame frame;
  std::int64_t pts = 0;
  while (reader.read(frame, &pts)) writer.write(frame, pts);
  writer.finish();
}

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST(VideoFileRead, FrameCountAndRateMatchFfprobe) {
  ScratchDir dir;
  std::string in = make_mp4(dir);
  auto expected = probe(in, "v:0");
  VideoReader r(in);
  const auto& info = r.info();
  EXPECT_EQ(info.width, 64);
  EXPECT_EQ(info.height, 48);
  EXPECT_EQ(info.layout, ChromaLayout::C420);
  EXPECT_EQ(info.codec_name, "h264");
  EXPECT_EQ(info.audio_streams, 1);
  EXPECT_EQ(rate_string(info.avg_frame_rate), expected["avg_frame_rate"]);
  EXPECT_EQ(rate_string(info.r_frame_rate), expected["r_frame_rate"]);
  EXPECT_EQ(rate_string(info.time_base), expected["time_base"]);
  EXPECT_EQ(std::to_string(info.frame_count), expected["nb_read_frames"]);
  VideoFrame frame;
  std::int64_t pts = 0, last = -1;
  while (r.read(frame, &pts)) {
    EXPECT_GT(pts, last) << "timestamps must increase in presentation order";
    last = pts;
  }
  EXPECT_EQ(std::to_string(r.frames_read()), expected["nb_read_frames"]);
  EXPECT_EQ(r.frames_read(), 10);
  // Decoded planes equal ffmpeg's own decode.
  VideoReader again(in);
  std::string ours;
  while (again.read(frame))
    for (int p = 0; p < frame.plane_count(); ++p)
      ours.append(reinterpret_cast<const char*>(frame.plane(p)), frame.plane_size(p));
  EXPECT_TRUE(ours == ffmpeg_planes(in, "yuv420p"));
}

TEST(VideoFileWrite, H264KeepsFramesRateTimestampsAndCopiesAudio) {
  ScratchDir dir;
  std::string in = make_mp4(dir), out = dir / "out.mp4";
  idef::VideoWriterOptions options;
  options.preset = "ultrafast";
  copy_video(in, out, options);
  auto src_v = probe(in, "v:0"), out_v = probe(out, "v:0");
  EXPECT_EQ(out_v["codec_name"], "h264");
  EXPECT_EQ(out_v["nb_read_frames"], src_v["nb_read_frames"]);
  EXPECT_EQ(out_v["avg_frame_rate"], src_v["avg_frame_rate"]);
  EXPECT_EQ(out_v["r_frame_rate"], src_v["r_frame_rate"]);
  EXPECT_EQ(ffprobe_frame_times(out), ffprobe_frame_times(in));
  EXPECT_EQ(ffprobe_frame_times(out), stream_copy_frame_times(in, out));
  auto src_a = probe(in, "a:0"), out_a = probe(out, "a:0");
  EXPECT_EQ(out_a["codec_type"], "audio");
  EXPECT_EQ(out_a["codec_name"], "aac");
  EXPECT_EQ(out_a["nb_read_packets"], src_a["nb_read_packets"]);
  EXPECT_EQ(audio_packets_md5(out), audio_packets_md5(in)) << "audio must be copied, not re-encoded";
  EXPECT_EQ(entries(dir.path()), 2u);  // in.mp4 and out.mp4, no temporary left
}

TEST(VideoFileWrite, LosslessChoicesAreBitExact) {
  ScratchDir dir;
  std::string in = make_mp4(dir);
  struct Case {
    std::string name;
    idef::VideoCodec codec;
  } cases[] = {{"out.mkv", idef::VideoCodec::Ffv1}, {"out_crf0.mp4", idef::VideoCodec::H264Lossless}};
  for (const auto& c : cases) {
    std::string out = dir / c.name;
    idef::VideoWriterOptions options;
    options.codec = c.codec;
    options.preset = "ultrafast";
    copy_video(in, out, options);
    EXPECT_TRUE(ffmpeg_planes(out, "yuv420p") == ffmpeg_planes(in, "yuv420p")) << c.name;
    EXPECT_EQ(ffprobe_frame_times(out), stream_copy_frame_times(in, out)) << c.name;
    EXPECT_EQ(probe(out, "a:0")["nb_read_packets"], probe(in, "a:0")["nb_read_packets"]) << c.name;
  }
}

TEST(VideoFileWrite, NewFileWithoutSource) {
  ScratchDir dir;
  std::string out = dir / "new.mkv";
  idef::VideoWriterOptions options;
  options.codec = idef::VideoCodec::Ffv1;
  VideoWriter w(out, 64, 48, ChromaLayout::C444, {}, {30, 1}, {1, 30}, options);
  VideoFrame frame(64, 48, ChromaLayout::C444);
  for (int i = 0; i < 3; ++i) {
    frame.plane(0)[i] = 200;
    w.write(frame, i);
  }
  EXPECT_FALSE(fs::exists(out));
  w.finish();
  auto v = probe(out, "v:0");
  EXPECT_EQ(v["nb_read_frames"], "3");
  EXPECT_EQ(v["pix_fmt"], "yuv444p");
  EXPECT_EQ(v["avg_frame_rate"], "30/1");
}

TEST(VideoFileErrors, NonVideoInputsNameTheFileAndLeaveNoOutput) {
  ScratchDir dir;
  std::ofstream(dir / "empty.mp4").close();
  std::ofstream(dir / "notes.mp4") << "these are not the frames you are looking for\n";
  auto r = run_command("ffmpeg -nostdin -v error -f lavfi -i sine=sample_rate=8000 -t 0.2 -y '" + (dir / "tone.wav") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct Case {
    std::string name, reason;
  } cases[] = {{"empty.mp4", "not a video file"}, {"notes.mp4", "not a video file"},
               {"tone.wav", "no video stream"}, {"missing.mp4", "No such file"}};
  for (const auto& c : cases) {
    std::string in = dir / c.name;
    try {
      VideoReader reader(in);
      VideoWriter writer(dir / "out.mp4", reader);
      FAIL() << c.name << ": expected an InputError";
    } catch (const idef::InputError& e) {
      EXPECT_EQ(e.input(), in);
      EXPECT_NE(e.reason().find(c.reason), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(dir / "out.mp4"));
  }
  EXPECT_EQ(entries(dir.path()), 3u);  // only the three inputs
}

TEST(VideoFileErrors, UnfinishedWriterLeavesNoFile) {
  ScratchDir dir;
  std::string in = make_mp4(dir);
  {
    VideoReader reader(in);
    idef::VideoWriterOptions options;
    options.preset = "ultrafast";
    VideoWriter writer(dir / "out.mp4", reader, options);
    VideoFrame frame;
    std::int64_t pts;
    for (int i = 0; i < 3 && reader.read(frame, &pts); ++i) writer.write(frame, pts);
  }  // e.g. the processing threw: no finish()
  EXPECT_EQ(entries(dir.path()), 1u);
}

TEST(VideoFileErrors, ContainerThatCannotHoldTheCodec) {
  ScratchDir dir;
  idef::VideoWriterOptions options;
  options.codec = idef::VideoCodec::Ffv1;
  try {
    VideoWriter w(dir / "out.mp4", 64, 48, ChromaLayout::C420, {}, {25, 1}, {1, 25}, options);
    FAIL() << "expected an OutputError";
  } catch (const idef::OutputError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot hold"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

// Damage that the H.264 decoder conceals used to go unnoticed (frames came out, no error).
// The reader now counts such frames. Where a flipped byte lands decides whether the decoder
// conceals or gives up, so several places in the file's second half are tried; the encoding
// is one-threaded, so the same places are tried on every run.
TEST(VideoFileRead, FramesTheDecoderConcealedAreCounted) {
  ScratchDir dir;
  const std::string clean = dir / "clean.mp4";
  auto r = run_command("ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=128x96:rate=25 -t 1 -c:v libx264 "
                       "-threads 1 -preset ultrafast -pix_fmt yuv420p -y '" + clean + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto read_all_frames = [](const std::string& path, int& damaged) {
    VideoReader reader(path);
    VideoFrame frame;
    while (reader.read(frame)) {
    }
    damaged = reader.damaged_frames();
    return reader.frames_read();
  };
  int damaged = -1;
  EXPECT_EQ(read_all_frames(clean, damaged), 25);
  EXPECT_EQ(damaged, 0);

  std::ifstream in(clean, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int concealed_files = 0;
  for (int tenth = 4; tenth <= 9; ++tenth) {
    std::string broken = bytes;
    for (std::size_t i = broken.size() * tenth / 10, k = 0; k < 8; ++k, i += 5) broken[i] ^= 0x20;
    const std::string path = dir / ("broken-" + std::to_string(tenth) + ".mp4");
    std::ofstream(path, std::ios::binary) << broken;
    try {
      if (read_all_frames(path, damaged) > 0 && damaged > 0) ++concealed_files;
    } catch (const idef::InputError&) {
      // damage the decoder refused outright: reported as before
    }
  }
  EXPECT_GT(concealed_files, 0);
}
