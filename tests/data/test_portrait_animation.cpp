#include "data/portrait_animation.h"

#include <gtest/gtest.h>

#include <cmath>

#include "face/detector.h"
#include "io/image.h"
#include "test_util.h"

namespace idef {
namespace {

TEST(Delaunay, NoPointFallsInsideATrianglesCircumcircle) {
  std::vector<Point2> points;
  for (int k = 0; k < 40; ++k) points.push_back({std::fmod(k * 37.3, 101.0), std::fmod(k * 53.9, 89.0)});
  const auto triangles = delaunay(points);
  // A triangulation of n points with h on the hull has 2n - 2 - h triangles: at least n - 2.
  EXPECT_GE(triangles.size(), points.size() - 2);
  for (const Triangle& t : triangles) {
    const Point2 a = points[t.a], b = points[t.b], c = points[t.c];
    const double d = 2 * (a.x * (b.y - c.y) + b.x * (c.y - a.y) + c.x * (a.y - b.y));
    ASSERT_GT(std::abs(d), 1e-9);
    const double ux = ((a.x * a.x + a.y * a.y) * (b.y - c.y) + (b.x * b.x + b.y * b.y) * (c.y - a.y) +
                       (c.x * c.x + c.y * c.y) * (a.y - b.y)) / d;
    const double uy = ((a.x * a.x + a.y * a.y) * (c.x - b.x) + (b.x * b.x + b.y * b.y) * (a.x - c.x) +
                       (c.x * c.x + c.y * c.y) * (b.x - a.x)) / d;
    const double r2 = (a.x - ux) * (a.x - ux) + (a.y - uy) * (a.y - uy);
    for (const Point2& p : points) EXPECT_GE((p.x - ux) * (p.x - ux) + (p.y - uy) * (p.y - uy), r2 - 1e-6);
  }
}

TEST(PiecewiseAffine, IdentityKeepsThePictureAndAShiftMovesIt) {
  Rgb8 picture(20, 20);
  for (int y = 0; y < 20; ++y)
    for (int x = 0; x < 20; ++x)
      for (int c = 0; c < 3; ++c) picture.at(x, y, c) = static_cast<std::uint8_t>(x * 10 + c);
  const std::vector<Point2> square{{0, 0}, {19, 0}, {19, 19}, {0, 19}};
  const auto triangles = delaunay(square);
  ASSERT_EQ(triangles.size(), 2u);
  EXPECT_EQ(warp_piecewise_affine(picture, square, square, triangles), picture);
  // The content moved 3 px right: output (x, y) shows source (x - 3, y).
  const std::vector<Point2> from{{0, 0}, {16, 0}, {16, 19}, {0, 19}};
  const std::vector<Point2> to{{3, 0}, {19, 0}, {19, 19}, {3, 19}};
  const Rgb8 moved = warp_piecewise_affine(picture, from, to, triangles);
  for (int x = 3; x < 20; ++x) EXPECT_EQ(moved.at(x, 10, 0), picture.at(x - 3, 10, 0)) << x;
}

TEST(HeadMotion, SmoothBoundedAndFixedBySeed) {
  double most_open = 0, least_open = 1, most_blink = 0;
  HeadMotion previous = motion_at(0, 3);
  for (int k = 1; k < 2000; ++k) {
    const HeadMotion m = motion_at(k * 0.01, 3);
    most_open = std::max(most_open, m.mouth_open), least_open = std::min(least_open, m.mouth_open);
    most_blink = std::max(most_blink, m.blink);
    EXPECT_LT(std::abs(m.roll - previous.roll), 0.01);
    EXPECT_LE(std::abs(m.roll), 0.06 + 1e-12);
    previous = m;
  }
  EXPECT_GT(most_open, 0.7);
  EXPECT_LT(least_open, 0.05);
  EXPECT_GT(most_blink, 0.9);  // at least one blink in 20 s
  EXPECT_EQ(motion_at(1.234, 3).mouth_open, motion_at(1.234, 3).mouth_open);
  EXPECT_NE(motion_at(1.234, 3).roll, motion_at(1.234, 4).roll);
}

// The real portrait talks: dlib, run on the animated frames, sees the mouth open and close.
TEST(PortraitAnimation, TheDetectorSeesTheAstronautsMouthMove) {
  const Rgb8 photo = Image::load(test::testdata("astronaut.png")).rgb();
  FaceDetector detector;
  const auto faces = detector.detect(photo);
  ASSERT_FALSE(faces.empty());
  const PortraitAnimation animation(photo, faces.front().landmarks, 3);
  double t_open = 0, t_closed = 0, most = -1, least = 2;
  for (int k = 0; k < 1000; ++k) {
    const double m = motion_at(k * 0.01, 3).mouth_open;
    if (m > most) most = m, t_open = k * 0.01;
    if (m < least) least = m, t_closed = k * 0.01;
  }
  auto gap = [&](double t) {
    Landmarks moved;
    const Rgb8 frame = animation.frame(t, &moved);
    EXPECT_EQ(frame.width, photo.width);
    const auto found = detector.detect(frame);
    EXPECT_FALSE(found.empty()) << "t = " << t;
    if (found.empty()) return 0.0;
    const Landmarks& l = found.front().landmarks;
    return std::hypot(l[66].x - l[62].x, l[66].y - l[62].y);  // inner lips apart
  };
  EXPECT_GT(gap(t_open), gap(t_closed) + 4.0);
}

}  // namespace
}  // namespace idef
