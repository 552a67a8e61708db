#include "face/sketch.h"

#include <algorithm>
#include <cmath>

namespace idef {
namespace {

struct Polyline {
  int first, last;
  bool closed;
};

// The face2face convention's strokes, in dlib's landmark order.
constexpr Polyline kStrokes[] = {
    {landmark::kJaw[0], landmark::kJaw[1], false},
    {landmark::kLeftBrow[0], landmark::kLeftBrow[1], false},
    {landmark::kRightBrow[0], landmark::kRightBrow[1], false},
    {landmark::kNoseBridge[0], landmark::kNoseBridge[1], false},
    {landmark::kNostrils[0], landmark::kNostrils[1], false},
    {landmark::kLeftEye[0], landmark::kLeftEye[1], true},
    {landmark::kRightEye[0], landmark::kRightEye[1], true},
    {landmark::kOuterLips[0], landmark::kOuterLips[1], true},
    {landmark::kInnerLips[0], landmark::kInnerLips[1], true},
};

double segment_distance(Point2 p, Point2 a, Point2 b) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double length2 = dx * dx + dy * dy;
  double t = length2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / length2 : 0;
  t = std::clamp(t, 0.0, 1.0);
  return std::hypot(p.x - (a.x + t * dx), p.y - (a.y + t * dy));
}

Raster blank(int width, int height, float value) {
  Raster r;
  r.width = std::max(width, 0);
  r.height = std::max(height, 0);
  r.values.assign(static_cast<std::size_t>(r.width) * r.height, value);
  return r;
}

void draw_segment(Raster& r, Point2 a, Point2 b, double half) {
  const double reach = half + 1;
  const int x0 = std::max(0, static_cast<int>(std::floor(std::min(a.x, b.x) - reach)));
  const int x1 = std::min(r.width - 1, static_cast<int>(std::ceil(std::max(a.x, b.x) + reach)));
  const int y0 = std::max(0, static_cast<int>(std::floor(std::min(a.y, b.y) - reach)));
  const int y1 = std::min(r.height - 1, static_cast<int>(std::ceil(std::max(a.y, b.y) + reach)));
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      const double d = segment_distance({double(x), double(y)}, a, b);
      const float coverage = static_cast<float>(std::clamp(half + 0.5 - d, 0.0, 1.0));
      float& v = r.values[static_cast<std::size_t>(y) * r.width + x];
      v = std::max(v, coverage);
    }
}

double cross(Point2 o, Point2 a, Point2 b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

// Andrew's monotone chain: the hull counter-clockwise in a y-up frame (clockwise on screen).
std::vector<Point2> convex_hull(std::vector<Point2> points) {
  std::sort(points.begin(), points.end(), [](Point2 a, Point2 b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  std::vector<Point2> hull(2 * points.size());
  std::size_t k = 0;
  for (std::size_t i = 0; i < points.size(); ++i) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
    hull[k++] = points[i];
  }
  for (std::size_t i = points.size() - 1, lower = k + 1; i-- > 0;) {
    while (k >= lower && cross(hull[k - 2], hull[k - 1], points[i]) <= 0) --k;
    hull[k++] = points[i];
  }
  hull.resize(k > 0 ? k - 1 : 0);
  return hull;
}

Point2 mean_of(const Landmarks& l, int first, int last) {
  Point2 m;
  for (int i = first; i <= last; ++i) {
    m.x += l[i].x;
    m.y += l[i].y;
  }
  const double n = last - first + 1;
  return {m.x / n, m.y / n};
}

}  // namespace

Raster landmark_sketch(const Landmarks& landmarks, int width, int height, double thickness) {
  Raster r = blank(width, height, 0);
  if (thickness <= 0) thickness = std::max(1.0, std::max(width, height) / 128.0) * 1.5;
  const double half = thickness / 2;
  for (const Polyline& s : kStrokes) {
    for (int i = s.first; i < s.last; ++i) draw_segment(r, landmarks[i], landmarks[i + 1], half);
    if (s.closed) draw_segment(r, landmarks[s.last], landmarks[s.first], half);
  }
  return r;
}

Raster face_mask(const Landmarks& landmarks, int width, int height, float outside) {
  Raster r = blank(width, height, outside);
  // The face's up direction: perpendicular to the line from the image-left to the image-right eye.
  const Point2 left_eye = mean_of(landmarks, landmark::kLeftEye[0], landmark::kLeftEye[1]);
  const Point2 right_eye = mean_of(landmarks, landmark::kRightEye[0], landmark::kRightEye[1]);
  double ex = right_eye.x - left_eye.x, ey = right_eye.y - left_eye.y;
  const double eye_distance = std::hypot(ex, ey);
  if (!(eye_distance > 0)) return r;
  ex /= eye_distance;
  ey /= eye_distance;
  const Point2 up{ey, -ex};
  const Point2 brows = mean_of(landmarks, landmark::kLeftBrow[0], landmark::kRightBrow[1]);
  const Point2 chin = landmarks[8];
  const double band = 0.4 * std::max(0.0, (brows.x - chin.x) * up.x + (brows.y - chin.y) * up.y);

  std::vector<Point2> points;
  for (int i = landmark::kJaw[0]; i <= landmark::kJaw[1]; ++i) points.push_back(landmarks[i]);
  for (int i = landmark::kLeftBrow[0]; i <= landmark::kRightBrow[1]; ++i) {
    points.push_back(landmarks[i]);
    points.push_back({landmarks[i].x + band * up.x, landmarks[i].y + band * up.y});
  }
  const std::vector<Point2> hull = convex_hull(points);
  if (hull.size() < 3) return r;

  // Signed distance to the hull (positive inside): the least over its edges' lines, exact
  // inside a convex polygon and close enough outside for a one-pixel anti-aliased border.
  // The hull runs with the inside on the left of each edge in a y-up frame, i.e. where
  // cross(a, b, p) > 0.
  double min_x = hull[0].x, max_x = min_x, min_y = hull[0].y, max_y = min_y;
  for (const Point2& p : hull) {
    min_x = std::min(min_x, p.x), max_x = std::max(max_x, p.x);
    min_y = std::min(min_y, p.y), max_y = std::max(max_y, p.y);
  }
  const int x0 = std::max(0, static_cast<int>(std::floor(min_x - 1)));
  const int x1 = std::min(r.width - 1, static_cast<int>(std::ceil(max_x + 1)));
  const int y0 = std::max(0, static_cast<int>(std::floor(min_y - 1)));
  const int y1 = std::min(r.height - 1, static_cast<int>(std::ceil(max_y + 1)));
  for (int y = y0; y <= y1; ++y)
    for (int x = x0; x <= x1; ++x) {
      double inside = 1e300;
      for (std::size_t i = 0; i < hull.size(); ++i) {
        const Point2 a = hull[i], b = hull[(i + 1) % hull.size()];
        const double length = std::hypot(b.x - a.x, b.y - a.y);
        if (length > 0) inside = std::min(inside, cross(a, b, {double(x), double(y)}) / length);
      }
      const float coverage = static_cast<float>(std::clamp(inside + 0.5, 0.0, 1.0));
      r.values[static_cast<std::size_t>(y) * r.width + x] = outside + (1 - outside) * coverage;
    }
  return r;
}

}  // namespace idef
