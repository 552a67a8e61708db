#include "face/sketch.h"

#include <gtest/gtest.h>

#include <cmath>

#include "data/synth_face.h"

namespace idef {
namespace {

Landmarks synth_landmarks(int size, double roll = 0) {
  synth::FaceParams face = synth::sample_face(7, 3);
  face.roll = roll;
  return synth::landmarks(face, size);
}

Point2 mid(Point2 a, Point2 b) { return {(a.x + b.x) / 2, (a.y + b.y) / 2}; }
float at(const Raster& r, Point2 p) { return r.at(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y))); }

TEST(LandmarkSketch, StrokesAreLitAndTheRestIsBlack) {
  const Landmarks l = synth_landmarks(128);
  const Raster z = landmark_sketch(l, 128, 128);
  ASSERT_EQ(z.values.size(), 128u * 128u);
  for (float v : z.values) ASSERT_TRUE(v >= 0 && v <= 1);
  // On the open jaw line, on a closed eye's closing segment, on the inner lips' closing one
  // (the nearest pixel centre is within half a pixel of the line: mostly covered).
  EXPECT_GT(at(z, mid(l[3], l[4])), 0.5f);
  EXPECT_GT(at(z, mid(l[41], l[36])), 0.5f);
  EXPECT_GT(at(z, mid(l[67], l[60])), 0.5f);
  // Not between the open strokes: the brows are not joined to each other.
  EXPECT_FLOAT_EQ(at(z, mid(l[21], l[22])), 0.0f);
  EXPECT_FLOAT_EQ(z.at(0, 0), 0.0f);
  // Strokes are thin: far less than a fifth of the picture is lit.
  double lit = 0;
  for (float v : z.values) lit += v;
  EXPECT_GT(lit, 128 * 2);
  EXPECT_LT(lit, 128 * 128 / 5);
}

TEST(LandmarkSketch, ThicknessScalesWithTheRaster) {
  const Raster small = landmark_sketch(synth_landmarks(64), 64, 64);
  const Raster large = landmark_sketch(synth_landmarks(256), 256, 256);
  double lit_small = 0, lit_large = 0;
  for (float v : small.values) lit_small += v;
  for (float v : large.values) lit_large += v;
  // Four times the length at twice the width: about eight times the ink (1.5 px lines at 64).
  EXPECT_GT(lit_large / lit_small, 5.0);
  EXPECT_LT(lit_large / lit_small, 11.0);
}

TEST(FaceMask, FaceAndForeheadAreOneAndTheBackgroundIsTheFloor) {
  const int size = 128;
  const Landmarks l = synth_landmarks(size);
  const Raster m = face_mask(l, size, size, 0.01f);
  EXPECT_FLOAT_EQ(at(m, l[landmark::kNoseTip]), 1.0f);
  EXPECT_FLOAT_EQ(at(m, l[62]), 1.0f);  // the mouth
  EXPECT_FLOAT_EQ(m.at(0, 0), 0.01f);
  EXPECT_FLOAT_EQ(m.at(size - 1, 0), 0.01f);
  // The forehead band: 40% of the brow-to-chin height above the brows (upright face).
  const Point2 brow = l[19];
  const double height = l[8].y - brow.y;
  EXPECT_FLOAT_EQ(at(m, {brow.x, brow.y - 0.25 * height}), 1.0f);
  EXPECT_FLOAT_EQ(at(m, {brow.x, brow.y - 0.55 * height}), 0.01f);
  for (float v : m.values) ASSERT_TRUE(v >= 0.01f - 1e-6f && v <= 1.0f);
}

TEST(FaceMask, FollowsATiltedHead) {
  const int size = 128;
  const Landmarks l = synth_landmarks(size, 0.5);  // rolled half a radian
  const Raster m = face_mask(l, size, size);
  const Point2 brow = l[19], eye = l[37];
  // Up, for this face, is from the eye through the brow: the band continues that way.
  const double ux = brow.x - eye.x, uy = brow.y - eye.y, n = std::hypot(ux, uy);
  const double height = std::hypot(l[8].x - brow.x, l[8].y - brow.y);
  EXPECT_FLOAT_EQ(at(m, {brow.x + ux / n * 0.2 * height, brow.y + uy / n * 0.2 * height}), 1.0f);
  EXPECT_FLOAT_EQ(at(m, l[landmark::kNoseTip]), 1.0f);
}

TEST(FaceMask, DegenerateLandmarksGiveTheFloorEverywhere) {
  Landmarks l;
  for (auto& p : l) p = {10, 10};
  const Raster m = face_mask(l, 32, 32, 0.5f);
  for (float v : m.values) ASSERT_FLOAT_EQ(v, 0.5f);
}

}  // namespace
}  // namespace idef
