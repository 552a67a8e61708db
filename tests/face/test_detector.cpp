#include "face/detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "io/image.h"
#include "test_util.h"

namespace idef {
namespace {

using test::ScratchDir;
using test::testdata;

// The predictor takes a second or two to read: once for the whole suite (detectors made
// later share it while this one lives).
class FaceDetectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    detector_ = new FaceDetector();
    astronaut_ = new Rgb8(Image::load(testdata("astronaut.png")).rgb());
  }
  static void TearDownTestSuite() {
    delete detector_;
    delete astronaut_;
  }
  static FaceDetector* detector_;
  static Rgb8* astronaut_;
};
FaceDetector* FaceDetectorTest::detector_ = nullptr;
Rgb8* FaceDetectorTest::astronaut_ = nullptr;

Point2 mean_of(const Landmarks& l, const int range[2]) {
  Point2 m;
  for (int i = range[0]; i <= range[1]; ++i) m.x += l[i].x, m.y += l[i].y;
  int n = range[1] - range[0] + 1;
  return {m.x / n, m.y / n};
}

TEST_F(FaceDetectorTest, FindsTheAstronautsFaceWith68Landmarks) {
  auto faces = detector_->detect(*astronaut_);
  ASSERT_EQ(faces.size(), 1u);
  const Face& face = faces[0];
  EXPECT_GT(face.score, 0.0);
  EXPECT_GT(face.box.width(), 60);
  EXPECT_LT(face.box.width(), 300);
  // The face is in the upper middle of the portrait.
  EXPECT_GT(face.box.left, 100);
  EXPECT_LT(face.box.right, 400);
  EXPECT_LT(face.box.bottom, 300);

  // Eyes, nose and mouth inside the box; the jaw may reach a little beyond it.
  for (int i = landmark::kLeftBrow[0]; i < kLandmarkCount; ++i)
    EXPECT_TRUE(face.box.contains(face.landmarks[i])) << "landmark " << i;
  FaceBox loose = face.box;
  double margin = 0.2 * face.box.width();
  loose.left -= margin, loose.top -= margin, loose.right += margin, loose.bottom += margin;
  for (int i = 0; i < kLandmarkCount; ++i) EXPECT_TRUE(loose.contains(face.landmarks[i])) << "landmark " << i;

  Point2 left_eye = mean_of(face.landmarks, landmark::kLeftEye);
  Point2 right_eye = mean_of(face.landmarks, landmark::kRightEye);
  Point2 mouth = mean_of(face.landmarks, landmark::kOuterLips);
  Point2 nose = face.landmarks[landmark::kNoseTip];
  EXPECT_LT(left_eye.x, right_eye.x);
  EXPECT_LT(left_eye.y, nose.y);
  EXPECT_LT(right_eye.y, nose.y);
  EXPECT_LT(nose.y, mouth.y);
  EXPECT_LT(face.landmarks[8].y, face.box.bottom + margin);  // chin below the mouth
  EXPECT_GT(face.landmarks[8].y, mouth.y);
}

TEST_F(FaceDetectorTest, NoFaceInAFlatImage) {
  Rgb8 flat(200, 150);
  std::fill(flat.pixels.begin(), flat.pixels.end(), 128);
  EXPECT_TRUE(detector_->detect(flat).empty());
}

TEST_F(FaceDetectorTest, LocatingLandmarksInAKnownBoxMatchesDetection) {
  auto faces = detector_->detect(*astronaut_);
  ASSERT_EQ(faces.size(), 1u);
  Face again = detector_->locate_landmarks(*astronaut_, faces[0].box);
  for (int i = 0; i < kLandmarkCount; ++i) {
    EXPECT_NEAR(again.landmarks[i].x, faces[0].landmarks[i].x, 1.0);
    EXPECT_NEAR(again.landmarks[i].y, faces[0].landmarks[i].y, 1.0);
  }
}

TEST(FaceDetectorOptionsTest, UpsamplingReportsBoxesInOriginalCoordinates) {
  Rgb8 astronaut = Image::load(testdata("astronaut.png")).rgb();
  FaceDetectorOptions options;
  options.upsample = 1;
  FaceDetector up(options);
  FaceDetector plain;
  auto a = plain.detect(astronaut), b = up.detect(astronaut);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_GE(b.size(), 1u);
  double tolerance = 0.15 * a[0].box.width();
  EXPECT_NEAR(b[0].box.left, a[0].box.left, tolerance);
  EXPECT_NEAR(b[0].box.top, a[0].box.top, tolerance);
  EXPECT_NEAR(b[0].box.right, a[0].box.right, tolerance);
  EXPECT_NEAR(b[0].box.bottom, a[0].box.bottom, tolerance);
}

// Scanning a half-size image finds the same face (the best-scored one), its box and landmarks in
// full-size pixels.
TEST(FaceDetectorOptionsTest, ScaledScanReportsTheFullSizeFace) {
  const Rgb8 small = Image::load(testdata("astronaut.png")).rgb();
  const Rgb8 astronaut = resize_rgb8(small, small.width * 2, small.height * 2);
  FaceDetectorOptions options;
  options.scale = 0.5;
  FaceDetector half(options);
  FaceDetector plain;
  auto a = plain.detect(astronaut), b = half.detect(astronaut);
  ASSERT_GE(a.size(), 1u);  // (at twice its size, the full scan also finds a weak false face)
  ASSERT_GE(b.size(), 1u);
  const double tolerance = 0.15 * a[0].box.width();
  EXPECT_NEAR(b[0].box.left, a[0].box.left, tolerance);
  EXPECT_NEAR(b[0].box.top, a[0].box.top, tolerance);
  EXPECT_NEAR(b[0].box.right, a[0].box.right, tolerance);
  EXPECT_NEAR(b[0].box.bottom, a[0].box.bottom, tolerance);
  double total = 0;
  for (int i = 0; i < kLandmarkCount; ++i)
    total += std::hypot(b[0].landmarks[i].x - a[0].landmarks[i].x, b[0].landmarks[i].y - a[0].landmarks[i].y);
  EXPECT_LT(total / kLandmarkCount, 0.03 * a[0].box.width());
  options.scale = 0;
  EXPECT_THROW(FaceDetector{options}, UsageError);
}

TEST(FaceDetectorOptionsTest, MissingModelIsAnInputErrorNamingIt) {
  ScratchDir dir;
  FaceDetectorOptions options;
  options.landmark_model = dir / "absent.dat";
  try {
    FaceDetector detector(options);
    FAIL() << "loaded a model that does not exist";
  } catch (const InputError& e) {
    EXPECT_EQ(e.input(), options.landmark_model);
    EXPECT_NE(e.reason().find("no such file"), std::string::npos) << e.what();
  }
}

TEST(FaceDetectorOptionsTest, CorruptModelIsAnInputErrorNamingIt) {
  ScratchDir dir;
  FaceDetectorOptions options;
  options.landmark_model = dir / "corrupt.dat";
  std::ofstream(options.landmark_model) << "this is not a shape predictor\n";
  try {
    FaceDetector detector(options);
    FAIL() << "loaded a corrupt model";
  } catch (const InputError& e) {
    EXPECT_EQ(e.input(), options.landmark_model);
    EXPECT_NE(e.reason().find("not a dlib shape predictor"), std::string::npos) << e.what();
  }
}

TEST(FaceDetectorOptionsTest, UpsamplingOutOfRangeIsAUsageError) {
  FaceDetectorOptions options;
  options.upsample = 9;
  EXPECT_THROW(FaceDetector{options}, UsageError);
}

}  // namespace
}  // namespace idef
