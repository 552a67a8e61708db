#include "defence/landmark_push.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "defence/protect_stream.h"
#include "defence/baselines.h"
#include "face/align.h"
#include "face/detector.h"
#include "io/image.h"
#include "pixel_diff.h"
#include "test_util.h"

namespace idef {
namespace {

// How far the five alignment points turned counter-clockwise about their centre, in pixels
// along the turn, averaged over them.
double turn(const Landmarks& before, const Landmarks& after) {
  const auto a = face_points(before), b = face_points(after);
  Point2 c;
  for (const Point2& p : a) c.x += p.x / 5, c.y += p.y / 5;
  double sum = 0;
  for (int i = 0; i < 5; ++i) {
    const double dx = a[i].x - c.x, dy = a[i].y - c.y;
    sum += (dx * (b[i].y - a[i].y) - dy * (b[i].x - a[i].x)) / std::hypot(dx, dy);
  }
  return sum / 5;
}

class LandmarkPush : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    detector_ = new FaceDetector();
    photo_ = new Rgb8(Image::load(test::testdata("astronaut.png")).rgb());
  }
  static void TearDownTestSuite() {
    delete detector_, delete photo_;
    detector_ = nullptr, photo_ = nullptr;
  }
  // The photo as a limited-range 4:2:0 frame, as a forger decodes it, and its faces there.
  struct VideoCase {
    ColourSpec colour{ColourSpec::Matrix::Bt601, ColourSpec::Range::Limited};
    VideoFrame original;
    Rgb8 seen;
    std::vector<Face> faces;
  };
  static VideoCase video_case() {
    VideoCase v;
    v.original = from_rgb24(*photo_, ChromaLayout::C420, v.colour);
    v.seen = to_rgb24(v.original, v.colour);
    v.faces = detector_->detect(v.seen);
    return v;
  }
  static FaceDetector* detector_;
  static Rgb8* photo_;
};
FaceDetector* LandmarkPush::detector_ = nullptr;
Rgb8* LandmarkPush::photo_ = nullptr;

TEST(TurningDirection, TurnsTheAlignmentPointsOnly) {
  Landmarks face{};
  for (int k = 0; k < kLandmarkCount; ++k) face[k] = {100.0 + 3 * (k % 9), 80.0 + 5 * (k / 9)};
  const std::vector<float> d = turning_direction(face);
  ASSERT_EQ(d.size(), std::size_t(2 * kLandmarkCount));
  EXPECT_EQ(d[2 * 0], 0.f);  // the jaw
  EXPECT_EQ(d[2 * 0 + 1], 0.f);
  Point2 c;
  for (const Point2& p : face_points(face)) c.x += p.x / 5, c.y += p.y / 5;
  for (int k : {landmark::kNoseTip, landmark::kMouthLeft, landmark::kMouthRight, landmark::kLeftEye[0]}) {
    const double dx = face[k].x - c.x, dy = face[k].y - c.y;
    EXPECT_NEAR(d[2 * k] * dx + d[2 * k + 1] * dy, 0.0, 1e-3) << k;  // across the radius
    EXPECT_GT(dx * d[2 * k + 1] - dy * d[2 * k], 0.0) << k;            // counter-clockwise
  }
}

// A photo: every channel moves alike, within the cap, and the face turns.
TEST_F(LandmarkPush, PhotoTurnsWithinTheCap) {
  const auto faces = detector_->detect(*photo_);
  ASSERT_EQ(faces.size(), 1u);
  Rgb8 pushed = *photo_;
  const int changed = push_landmarks(pushed, *photo_, faces[0], detector_->landmark_predictor(), 3);
  EXPECT_GT(changed, 0);
  for (std::size_t at = 0; at < pushed.pixels.size() / 3; ++at) {
    const int d = int(pushed.pixels[at * 3]) - int(photo_->pixels[at * 3]);
    ASSERT_LE(std::abs(d), 3);
    for (int c = 1; c < 3; ++c) {
      const int dc = int(pushed.pixels[at * 3 + c]) - int(photo_->pixels[at * 3 + c]);
      // Alike, unless a channel met 0 or 255.
      if (photo_->pixels[at * 3 + c] >= 3 && photo_->pixels[at * 3 + c] <= 252 && photo_->pixels[at * 3] >= 3 &&
          photo_->pixels[at * 3] <= 252)
        ASSERT_EQ(dc, d) << at;
    }
  }
  EXPECT_GT(turn(faces[0].landmarks, detector_->locate_landmarks(pushed, faces[0].box).landmarks), 0.3);
  EXPECT_EQ(push_landmarks(pushed, *photo_, faces[0], detector_->landmark_predictor(), 0), 0);
}

// A limited-range 4:2:0 frame: only the luma changes, by at most 3 levels at a cap of 3 (a
// luma level is 255/219 RGB levels: the third only where rounding keeps it within), its
// decoded colour stays within the cap, and the face the forger decodes is turned.
TEST_F(LandmarkPush, VideoFrameTurnsThroughItsLumaAsDecoded) {
  const VideoCase v = video_case();
  const ColourSpec& colour = v.colour;
  const VideoFrame& original = v.original;
  const Rgb8& seen = v.seen;
  const auto& faces = v.faces;
  ASSERT_EQ(faces.size(), 1u);
  VideoFrame frame = original;
  EXPECT_GT(push_landmarks(frame, original, colour, faces[0], detector_->landmark_predictor(), 3), 0);
  for (int p = 1; p < 3; ++p)
    EXPECT_TRUE(std::equal(frame.plane(p), frame.plane(p) + frame.plane_size(p), original.plane(p)));
  for (std::size_t i = 0; i < frame.plane_size(0); ++i)
    ASSERT_LE(std::abs(int(frame.plane(0)[i]) - int(original.plane(0)[i])), 3);
  const Rgb8 decoded = to_rgb24(frame, colour);
  for (std::size_t i = 0; i < decoded.pixels.size(); ++i) ASSERT_LE(std::abs(int(decoded.pixels[i]) - int(seen.pixels[i])), 3);
  EXPECT_GT(turn(faces[0].landmarks, detector_->locate_landmarks(decoded, faces[0].box).landmarks), 0.3);
}

// The pixels the predictor reads are the push's alone: pushed over a protection that used
// the whole cap everywhere, a photo's landmarks (in the same box) are those of the push
// alone, to the bit; the other pixels keep the protection's change.
TEST_F(LandmarkPush, PhotoPixelsTheTreesReadAreThePushsAlone) {
  const auto faces = detector_->detect(*photo_);
  ASSERT_EQ(faces.size(), 1u);
  Rgb8 alone = *photo_, over = *photo_;
  std::srand(5);
  for (auto& p : over.pixels) p = std::uint8_t(std::clamp(int(p) + (std::rand() % 2 ? 3 : -3), 0, 255));
  const Rgb8 protection = over;
  push_landmarks(alone, *photo_, faces[0], detector_->landmark_predictor(), 3);
  push_landmarks(over, *photo_, faces[0], detector_->landmark_predictor(), 3);
  const Landmarks a = detector_->locate_landmarks(alone, faces[0].box).landmarks;
  const Landmarks b = detector_->locate_landmarks(over, faces[0].box).landmarks;
  for (int k = 0; k < kLandmarkCount; ++k) {
    ASSERT_EQ(a[k].x, b[k].x) << k;
    ASSERT_EQ(a[k].y, b[k].y) << k;
  }
  EXPECT_LE(test::max_abs_diff(over, *photo_), 3);
  std::size_t kept = 0;
  for (std::size_t i = 0; i < over.pixels.size(); ++i) kept += over.pixels[i] == protection.pixels[i];
  EXPECT_GT(kept, over.pixels.size() * 9 / 10);
}

// The same for a 4:2:0 frame whose luma and chroma a protection changed: decoded, the
// pushed frame's landmarks are those of the push alone, and they turn.
TEST_F(LandmarkPush, VideoPixelsTheTreesReadAreThePushsAloneChromaToo) {
  const VideoCase v = video_case();
  const ColourSpec& colour = v.colour;
  const VideoFrame& original = v.original;
  const auto& faces = v.faces;
  ASSERT_EQ(faces.size(), 1u);
  VideoFrame alone = original, over = original;
  std::srand(6);
  for (int p = 0; p < 3; ++p)
    for (std::size_t i = 0; i < over.plane_size(p); ++i)
      over.plane(p)[i] = std::uint8_t(std::clamp(int(over.plane(p)[i]) + std::rand() % 3 - 1, 0, 255));
  push_landmarks(alone, original, colour, faces[0], detector_->landmark_predictor(), 3);
  push_landmarks(over, original, colour, faces[0], detector_->landmark_predictor(), 3);
  const Landmarks a = detector_->locate_landmarks(to_rgb24(alone, colour), faces[0].box).landmarks;
  const Landmarks b = detector_->locate_landmarks(to_rgb24(over, colour), faces[0].box).landmarks;
  for (int k = 0; k < kLandmarkCount; ++k) {
    ASSERT_EQ(a[k].x, b[k].x) << k;
    ASSERT_EQ(a[k].y, b[k].y) << k;
  }
  EXPECT_GT(turn(faces[0].landmarks, a), 0.3);
}

// id-poison's stream path: with the chain's push the frame's luma differs from the
// perturbation's alone, and the decoded face turns further than with the perturbation alone.
TEST_F(LandmarkPush, StreamProtectorPushesAfterThePerturbation) {
  const ColourSpec colour{ColourSpec::Matrix::Bt601, ColourSpec::Range::Limited};
  const VideoFrame original = from_rgb24(*photo_, ChromaLayout::C420, colour);
  const auto faces = detector_->detect(to_rgb24(original, colour));
  ASSERT_EQ(faces.size(), 1u);
  ProtectOptions options;
  options.epsilon = options.tau = 0.02;
  double turned[2];
  VideoFrame out[2];
  for (int push = 0; push < 2; ++push) {
    PerturberChain chain = PerturberChain::single(noise_perturber(64, 0.02, 9), options);
    chain.push_landmarks = push == 1;
    StreamProtector protector(detector_, chain, 1);
    out[push] = original;
    EXPECT_EQ(protector.protect(out[push], colour), 1);
    turned[push] = turn(faces[0].landmarks, detector_->locate_landmarks(to_rgb24(out[push], colour), faces[0].box).landmarks);
  }
  EXPECT_FALSE(out[0] == out[1]);
  EXPECT_GT(turned[1], turned[0] + 0.3);
}

// With the push, every frame's face is detected as a forger's detector finds it (no
// half-scale scans between full ones on large frames): the push alone gives every frame of
// a still 512-row video the same push.
TEST_F(LandmarkPush, StreamProtectorPushesFromTheSameBoxEveryFrame) {
  const ColourSpec colour{ColourSpec::Matrix::Bt601, ColourSpec::Range::Limited};
  const VideoFrame original = from_rgb24(*photo_, ChromaLayout::C420, colour);
  ASSERT_GE(original.height(), 480);
  PerturberChain chain;  // no stage: the push alone, as id-poison --method push
  chain.tau = 0.02;
  chain.push_landmarks = true;
  StreamProtector protector(detector_, chain, 1);
  VideoFrame first;
  for (int f = 0; f < 3; ++f) {
    VideoFrame frame = original;
    EXPECT_EQ(protector.protect(frame, colour), 1);
    if (f == 0) {
      EXPECT_FALSE(frame == original);
      first = frame;
    }
    EXPECT_TRUE(frame == first) << "frame " << f;
  }
  EXPECT_EQ(protector.stats().detections, 3);
}

}  // namespace
}  // namespace idef
