// id-poison on video: y4m and raw rgb24 streams through pipes with the real ffmpeg on both
// sides, and video files. The frames are id-synth's talking head (128 px, which dlib finds)
// padded onto a wider grey frame, so that part of every frame is far from the face.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/atomic_file.h"
#include "face/align.h"
#include "face/detector.h"
#include "io/frame.h"
#include "io/y4m.h"
#include "poison_test.h"

namespace fs = std::filesystem;
using idef::test::ffmpeg_rgb24;
using idef::test::kFarColumn;
using idef::test::kFrames;
using idef::test::kHeight;
using idef::test::kStrong;
using idef::test::kWidth;
using idef::test::make_talking_y4m;
using idef::test::read_y4m;
using idef::test::kStrongCap;
using idef::test::run_command;
using idef::test::q;
using idef::test::run_tool;
using idef::test::ScratchDir;
using idef::test::tool;

namespace {

// Whether image pixel (x, y) lies within a face crop of `faces`, widened by `margin` of the
// crop side (the tool tracks its own landmarks, which differ a little from a fresh detection).
bool near_a_face(const std::vector<idef::FaceAlignment>& faces, int x, int y, double margin) {
  for (const auto& a : faces) {
    idef::Point2 u = a.unit_from_image({double(x), double(y)});
    if (u.x > -margin && u.x < 1 + margin && u.y > -margin && u.y < 1 + margin) return true;
  }
  return false;
}

// Checks that y4m `out` differs from `in` in every frame, only near the faces dlib finds in
// the frame, and never in the background columns; returns the largest 8-bit RGB change as
// ffmpeg decodes both.
int check_protected_frames(const std::string& in, const std::string& out, const ScratchDir& dir) {
  idef::Y4mHeader h;
  auto before = read_y4m(in, &h);
  auto after = read_y4m(out);
  EXPECT_EQ(after.size(), before.size());
  auto rgb_before = ffmpeg_rgb24(in, dir), rgb_after = ffmpeg_rgb24(out, dir);
  EXPECT_EQ(rgb_after.size(), before.size());
  idef::FaceDetector detector;
  int worst = 0;
  for (std::size_t i = 0; i < std::min(before.size(), after.size()); ++i) {
    std::vector<idef::FaceAlignment> faces;
    for (const auto& f : detector.detect(rgb_before[i])) faces.push_back(idef::align_face(f.landmarks));
    EXPECT_EQ(faces.size(), 1u) << "frame " << i;
    int changed = 0, far = 0, not_near = 0;
    for (int p = 0; p < before[i].plane_count(); ++p) {
      const int sx = before[i].width() / before[i].plane_width(p), sy = before[i].height() / before[i].plane_height(p);
      for (int y = 0; y < before[i].plane_height(p); ++y)
        for (int x = 0; x < before[i].plane_width(p); ++x) {
          std::size_t k = std::size_t(y) * before[i].stride(p) + x;
          if (before[i].plane(p)[k] == after[i].plane(p)[k]) continue;
          ++changed;
          far += x * sx >= kFarColumn;
          not_near += !near_a_face(faces, x * sx, y * sy, 0.1);
        }
    }
    EXPECT_EQ(far, 0) << "frame " << i << ": samples changed in the background columns";
    EXPECT_EQ(not_near, 0) << "frame " << i << ": samples changed away from the face";
    EXPECT_GT(changed, 1000) << "frame " << i << " carries no perturbation";
    if (i < rgb_after.size()) worst = std::max(worst, idef::test::max_abs_diff(rgb_before[i], rgb_after[i]));
  }
  return worst;
}

}  // namespace

// 4:4:4 through ffmpeg: the header with every tag (an unknown X tag included) comes back
// byte for byte, the frame count is kept, only the pixels near the face change, and the
// change stays within τ = 6 plus the rounding of storing RGB as 8-bit Y, U, V (at most
// 1.6 in RGB; ffmpeg's own decoding may round once more).
TEST(IdPoisonStream, Y4m444HeaderTagsFramesAndTau) {
  ScratchDir dir;
  std::string model = idef::test::write_pg_model(dir);
  std::string made = make_talking_y4m(dir, "yuv444p");
  std::string bytes = idef::read_all(made);
  const std::size_t eol = bytes.find('\n');
  std::string header = bytes.substr(0, eol) + " XIDEF=kept";
  idef::write_all(dir / "in.y4m", header + bytes.substr(eol));

  auto r = run_command("'" + tool("id-poison") + "' --model " + q(model) + kStrong + "- < " + q(dir / "in.y4m") +
                       " > " + q(dir / "out.y4m"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string out = idef::read_all(dir / "out.y4m");
  EXPECT_EQ(out.substr(0, out.find('\n')), header);
  EXPECT_EQ(out.size(), bytes.size() + std::string(" XIDEF=kept").size());
  int worst = check_protected_frames(dir / "in.y4m", dir / "out.y4m", dir);
  std::printf("4:4:4: largest change in ffmpeg's rgb24 decoding %d (tau %d)\n", worst, kStrongCap);
  EXPECT_GT(worst, 0);
  EXPECT_LE(worst, kStrongCap + 2);
}

// 4:2:0 in a real pipe, ffmpeg | id-poison | ffmpeg. The perturbation's colour is averaged
// over each 2×2 chroma block and ffmpeg upsamples chroma by interpolation, so the bound in
// decoded RGB is looser than τ: what is held exactly is that nothing away from the face
// changes and every frame is protected.
TEST(IdPoisonStream, Y4m420PipeBetweenTwoFfmpegs) {
  ScratchDir dir;
  std::string model = idef::test::write_pg_model(dir);
  std::string in = make_talking_y4m(dir, "yuv420p");
  auto r = run_command("ffmpeg -v error -i " + q(in) + " -f yuv4mpegpipe - | '" + tool("id-poison") + "' --model " +
                       q(model) + kStrong + "- | ffmpeg -v error -f yuv4mpegpipe -i - -f yuv4mpegpipe " +
                       q(dir / "out.y4m"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  idef::Y4mHeader a, b;
  read_y4m(in, &a);
  read_y4m(dir / "out.y4m", &b);
  EXPECT_EQ(b.to_string(), a.to_string());
  int worst = check_protected_frames(in, dir / "out.y4m", dir);
  std::printf("4:2:0: largest change in ffmpeg's rgb24 decoding %d (tau %d)\n", worst, kStrongCap);
  EXPECT_GT(worst, 0);
  EXPECT_LE(worst, 3 * kStrongCap);
}

// A stream cut inside frame 7: the six frames before it come out, then the error, exit 1.
TEST(IdPoisonStream, TruncatedY4mWritesTheFramesBeforeTheDamage) {
  ScratchDir dir;
  std::string model = idef::test::write_pg_model(dir);
  std::string bytes = idef::read_all(make_talking_y4m(dir, "yuv420p"));
  const std::size_t header = bytes.find('\n') + 1, frame = 6 + std::size_t(kWidth) * kHeight * 3 / 2;
  idef::write_all(dir / "cut.y4m", bytes.substr(0, header + 6 * frame + 1000));
  auto r = run_command("'" + tool("id-poison") + "' --model " + q(model) + kStrong + "- < " + q(dir / "cut.y4m") +
                       " > " + q(dir / "out.y4m"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("id-poison: cannot read '-': truncated frame 7"), std::string::npos) << r.err;
  auto frames = read_y4m(dir / "out.y4m");
  EXPECT_EQ(frames.size(), 6u);
  auto decoded = ffmpeg_rgb24(dir / "out.y4m", dir);
  EXPECT_EQ(decoded.size(), 6u);

  // The same damage in a y4m file leaves no output file at all.
  auto file = run_tool("id-poison", "--model " + q(model) + kStrong + q(dir / "cut.y4m"));
  EXPECT_EQ(file.exit_code, 1);
  EXPECT_FALSE(fs::exists(dir / "cut.protected.y4m"));
}

// With two threads, id-poison reads and tracks the next frames on one while it protects
// the current one on the other: the output is byte for byte that of one thread, and a
// damaged frame still gives the frames before it and the error.
TEST(IdPoisonStream, TwoThreadsGiveTheSameBytesAsOne) {
  ScratchDir dir;
  std::string model = idef::test::write_pg_model(dir);
  std::string in = make_talking_y4m(dir, "yuv420p");
  const std::string two = " --epsilon 1 --tau 0.05 --threads 2 --detect-every 3 ";
  const std::string one = " --epsilon 1 --tau 0.05 --threads 1 --detect-every 3 ";
  auto a = run_command("'" + tool("id-poison") + "' --model " + q(model) + one + "- < " + q(in) + " > " + q(dir / "one.y4m"));
  auto b = run_command("'" + tool("id-poison") + "' --model " + q(model) + two + "- < " + q(in) + " > " + q(dir / "two.y4m"));
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_EQ(idef::read_all(dir / "two.y4m"), idef::read_all(dir / "one.y4m"));
  EXPECT_NE(idef::read_all(dir / "two.y4m"), idef::read_all(in));

  std::string bytes = idef::read_all(in);
  const std::size_t header = bytes.find('\n') + 1, frame = 6 + std::size_t(kWidth) * kHeight * 3 / 2;
  idef::write_all(dir / "cut.y4m", bytes.substr(0, header + 6 * frame + 1000));
  auto cut = run_command("'" + tool("id-poison") + "' --model " + q(model) + two + "- < " + q(dir / "cut.y4m") +
                         " > " + q(dir / "cut-out.y4m"));
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_NE(cut.err.find("truncated frame 7"), std::string::npos) << cut.err;
  EXPECT_EQ(idef::read_all(dir / "cut-out.y4m"), idef::read_all(dir / "one.y4m").substr(0, header + 6 * frame));
}

// Raw rgb24 with --size: no conversion at all, so τ holds exactly; a partial last frame is
// an error after the whole frames.
TEST(IdPoisonStream, RawRgb24WithSize) {
  ScratchDir dir;
  std::string model = idef::test::write_pg_model(dir);
  std::string in = make_talking_y4m(dir, "yuv444p");
  auto r = run_command("ffmpeg -v error -i " + q(in) + " -f rawvideo -pix_fmt rgb24 - | '" + tool("id-poison") +
                       "' --model " + q(model) + kStrong + "--size 224x160 --rate 25 - > " + q(dir / "out.rgb"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto before = ffmpeg_rgb24(in, dir);
  std::string out = idef::read_all(dir / "out.rgb");
  const std::size_t frame_bytes = std::size_t(kWidth) * kHeight * 3;
  ASSERT_EQ(out.size(), before.size() * frame_bytes);
  for (std::size_t i = 0; i < before.size(); ++i) {
    idef::Rgb8 after(kWidth, kHeight);
    std::copy(out.begin() + i * frame_bytes, out.begin() + (i + 1) * frame_bytes, after.pixels.begin());
    int diff = idef::test::max_abs_diff(before[i], after);
    EXPECT_GT(diff, 0) << "frame " << i;
    EXPECT_LE(diff, kStrongCap) << "frame " << i;
    for (int y = 0; y < kHeight; ++y)
      for (int x = kFarColumn; x < kWidth; ++x)
        for (int c = 0; c < 3; ++c) ASSERT_EQ(after.at(x, y, c), before[i].at(x, y, c));
  }

  idef::write_all(dir / "partial.rgb", idef::read_all(dir / "out.rgb").substr(0, 2 * frame_bytes + 5));
  auto partial = run_command("'" + tool("id-poison") + "' --model " + q(model) + kStrong + "--size 224x160 - < " +
                             q(dir / "partial.rgb") + " > " + q(dir / "partial-out.rgb"));
  EXPECT_EQ(partial.exit_code, 1);
  EXPECT_NE(partial.err.find("cannot read '-': "), std::string::npos) << partial.err;
  EXPECT_EQ(fs::file_size(dir / "partial-out.rgb"), 2 * frame_bytes);
}

// A video file with audio gives NAME.protected.EXT with the same frame count and the audio
// packets copied as they were; --output puts it under the output folder instead.
TEST(IdPoisonStream, VideoFileInVideoFileOutAudioCopied) {
  ScratchDir dir;
  std::string model = idef::test::write_pg_model(dir);
  std::string in = make_talking_y4m(dir, "yuv420p");
  auto made = run_command("ffmpeg -v error -i " + q(in) + " -f lavfi -i sine=frequency=440:duration=0.48 -c:v libx264 "
                          "-crf 10 -c:a aac -shortest " + q(dir / "talk.mp4"));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto r = run_tool("id-poison", "--model " + q(model) + kStrong + "--detect-every 3 " + q(dir / "talk.mp4"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(dir / "talk.protected.mp4"));
  auto count = [&](const std::string& file) {
    return run_command("ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames "
                       "-of csv=p=0 " + q(file)).out;
  };
  EXPECT_EQ(count(dir / "talk.protected.mp4"), count(dir / "talk.mp4"));
  EXPECT_EQ(count(dir / "talk.mp4"), std::to_string(kFrames) + "\n");
  auto audio_md5 = [&](const std::string& file) {
    return run_command("ffmpeg -v error -i " + q(file) + " -map 0:a -c copy -f md5 -").out;
  };
  EXPECT_NE(audio_md5(dir / "talk.mp4"), "");
  EXPECT_EQ(audio_md5(dir / "talk.protected.mp4"), audio_md5(dir / "talk.mp4"));
  // The pictures did change (decoded, frame by frame).
  auto decoded_md5 = [&](const std::string& file) {
    return run_command("ffmpeg -v error -i " + q(file) + " -map 0:v -f framemd5 -").out;
  };
  EXPECT_NE(decoded_md5(dir / "talk.protected.mp4"), decoded_md5(dir / "talk.mp4"));

  auto lossless = run_tool("id-poison", "--model " + q(model) + kStrong + "--video-codec ffv1 --output " +
                                            q(dir / "out") + " " + q(dir / "talk.mp4"));
  EXPECT_EQ(lossless.exit_code, 1);  // FFV1 does not go into .mp4: a clear error, no file
  EXPECT_NE(lossless.err.find("talk.mp4"), std::string::npos) << lossless.err;
  EXPECT_FALSE(fs::exists(dir / "out/talk.mp4"));
  auto mirrored = run_tool("id-poison", "--model " + q(model) + kStrong + "--video-codec h264-lossless --output " +
                                            q(dir / "out") + " " + q(dir / "talk.mp4"));
  ASSERT_EQ(mirrored.exit_code, 0) << mirrored.err;
  EXPECT_EQ(count(dir / "out/talk.mp4"), std::to_string(kFrames) + "\n");
  EXPECT_EQ(audio_md5(dir / "out/talk.mp4"), audio_md5(dir / "talk.mp4"));
}

// EPIPE: what the reader got is incomplete, and the user of a pipeline must be told (it was
// a silent exit 0); no SIGPIPE death, no hang.
TEST(IdPoisonStream, ReaderClosingThePipeIsReportedAsIncomplete) {
  ScratchDir dir;
  std::string model = idef::test::write_pg_model(dir);
  std::string in = make_talking_y4m(dir, "yuv420p");
  auto r = run_command("('" + tool("id-poison") + "' --model " + q(model) + kStrong + "- < " + q(in) +
                       " 2> " + q(dir / "err") + "; echo $? > " + q(dir / "rc") + ") | head -c 100 > /dev/null");
  EXPECT_EQ(r.exit_code, 0);  // head's
  EXPECT_EQ(idef::read_all(dir / "rc"), "1\n");
  EXPECT_EQ(idef::read_all(dir / "err"),
            "id-poison: cannot write to standard output: its reader closed the pipe; the output is incomplete\n");
}

TEST(IdPoisonStream, UsageErrors) {
  ScratchDir dir;
  for (const std::string& args : {std::string("--method noise --size 64x64 a.png"), std::string("--method noise --rate 25 -"),
                                  std::string("--method noise --detect-every 0 -"),
                                  std::string("--method noise --size 64 -")}) {
    auto r = run_tool("id-poison", args + " < /dev/null");
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
}
