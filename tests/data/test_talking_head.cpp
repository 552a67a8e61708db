#include "data/talking_head.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "data/portrait_animation.h"
#include "data/synth_face.h"
#include "face/align.h"
#include "face/detector.h"
#include "io/image.h"
#include "io/rgb_video_sink.h"
#include "test_util.h"

namespace idef {
namespace {

using test::ScratchDir;

// A synthetic talking head at 128 px (large enough for dlib's detector), `frames` frames of
// which frame `blank` (if >= 0) is an empty grey picture.
std::vector<Rgb8> talking_frames(int frames, int blank) {
  const synth::FaceParams base = synth::sample_face(3, 0);
  std::vector<Rgb8> out;
  for (int k = 0; k < frames; ++k) {
    if (k == blank) {
      Rgb8 grey(128, 128);
      std::fill(grey.pixels.begin(), grey.pixels.end(), 128);
      out.push_back(grey);
    } else {
      out.push_back(synth::render(synth::at_time(base, k / 25.0, 3), 128));
    }
  }
  return out;
}

TEST(TalkingHead, AVideoGivesAlignedFacesSketchesAndMasksAndSkipsFacelessFrames) {
  ScratchDir dir;
  const std::string video = dir / "talk.y4m";
  RgbVideoSink sink(video, 128, 128, {25, 1});
  for (const Rgb8& f : talking_frames(5, 2)) sink.write(f);
  sink.finish();

  TalkingHeadOptions options;
  options.size = 32;
  std::int64_t reported = 0;
  const TalkingHead head = TalkingHead::load(video, options, [&](std::int64_t n) { reported = n; });
  EXPECT_EQ(reported, 5);
  ASSERT_EQ(head.count(), 4);
  EXPECT_EQ(head.frame_numbers(), (std::vector<std::int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(head.skipped(), (std::vector<std::int64_t>{2}));
  EXPECT_EQ(head.frame_rate(), (Rational{25, 1}));

  const torch::Tensor rows = TalkingHead::range(1, 3);
  const torch::Tensor x = head.frames(rows), z = head.sketches(rows), m = head.masks(rows);
  EXPECT_EQ(x.sizes(), (std::vector<std::int64_t>{3, 3, 32, 32}));
  EXPECT_EQ(z.sizes(), (std::vector<std::int64_t>{3, 3, 32, 32}));
  EXPECT_EQ(m.sizes(), (std::vector<std::int64_t>{3, 1, 32, 32}));
  EXPECT_GE(z.min().item<float>(), -1.0f);
  EXPECT_EQ(z.max().item<float>(), 1.0f);  // strokes drawn
  EXPECT_NEAR(m.min().item<float>(), 0.01f, 1e-6);
  EXPECT_EQ(m.max().item<float>(), 1.0f);
  // The aligned crop puts the face in the middle: the mask is 1 there.
  EXPECT_EQ(m[0][0][16][16].item<float>(), 1.0f);
}

TEST(TalkingHead, AFolderOfFramesReadsInNameOrderAndMaxFramesStopsEarly) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path() / "frames");
  const auto frames = talking_frames(4, -1);
  for (int k = 0; k < 4; ++k) save_rgb8(dir / ("frames/f" + std::to_string(k) + ".png"), frames[k]);
  TalkingHeadOptions options;
  options.size = 32;
  options.max_frames = 3;
  const TalkingHead head = TalkingHead::load(dir / "frames", options);
  EXPECT_EQ(head.count(), 3);
  EXPECT_TRUE(head.skipped().empty());
}

TEST(TalkingHead, AVideoWithoutAnyFaceIsAnInputError) {
  ScratchDir dir;
  const std::string video = dir / "empty.y4m";
  RgbVideoSink sink(video, 128, 128, {25, 1});
  Rgb8 grey(128, 128);
  sink.write(grey);
  sink.finish();
  TalkingHeadOptions options;
  options.size = 32;
  try {
    TalkingHead::load(video, options);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("no frame has a face"), std::string::npos) << e.what();
  }
}

// A frame of the talking astronaut in which the badge on her suit is detected too, with a box
// larger than her face's: the face kept is the one the detector is surest of.
TEST(TalkingHead, TheFaceKeptIsTheBestScoredNotTheLargest) {
  const Rgb8 photo = Image::load(test::testdata("astronaut.png")).rgb();
  FaceDetector detector;
  const PortraitAnimation animation(photo, detector.detect(photo).front().landmarks, 1);
  const Rgb8 frame = animation.frame(95 / 25.0);  // frame 95 of `id-synth video --portrait ... --seed 1`
  const std::vector<Face> faces = detector.detect(frame);
  ASSERT_EQ(faces.size(), 2u);
  auto area = [](const Face& f) { return f.box.width() * f.box.height(); };
  ASSERT_GT(area(faces[1]), area(faces[0]));  // the decoy: lower score, larger box
  AlignedFace kept;
  ASSERT_TRUE(align_best_face(detector, frame, 64, kept));
  const Rgb8 expected = extract_crop(frame, align_face(faces[0].landmarks), 64);
  EXPECT_EQ(kept.crop.pixels, expected.pixels);
}

}  // namespace
}  // namespace idef
