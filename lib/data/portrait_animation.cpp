#include "data/portrait_animation.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <utility>

#include "core/error.h"

namespace idef {
namespace {

constexpr double kPi = 3.14159265358979323846;

struct Circle {
  double x, y, r2;
};

Circle circumcircle(Point2 a, Point2 b, Point2 c) {
  const double d = 2 * (a.x * (b.y - c.y) + b.x * (c.y - a.y) + c.x * (a.y - b.y));
  if (std::abs(d) < 1e-12) return {0, 0, std::numeric_limits<double>::infinity()};
  const double a2 = a.x * a.x + a.y * a.y, b2 = b.x * b.x + b.y * b.y, c2 = c.x * c.x + c.y * c.y;
  const double x = (a2 * (b.y - c.y) + b2 * (c.y - a.y) + c2 * (a.y - b.y)) / d;
  const double y = (a2 * (c.x - b.x) + b2 * (a.x - c.x) + c2 * (b.x - a.x)) / d;
  return {x, y, (a.x - x) * (a.x - x) + (a.y - y) * (a.y - y)};
}

// splitmix64: the animation's random phases from the seed.
double unit_random(std::uint64_t seed, std::uint64_t k) {
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ULL + k * 0xBF58476D1CE4E5B9ULL + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / 9007199254740992.0;
}

double smoothstep(double e0, double e1, double x) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

Point2 centre_of(const Landmarks& l) {
  Point2 c;
  for (const Point2& p : l) c.x += p.x / kLandmarkCount, c.y += p.y / kLandmarkCount;
  return c;
}

// The face's size and its down direction (perpendicular to the line between the eyes).
struct FaceFrame {
  Point2 centre, down;
  double width;
};

FaceFrame face_frame(const Landmarks& l) {
  Point2 left{0, 0}, right{0, 0};
  for (int i = landmark::kLeftEye[0]; i <= landmark::kLeftEye[1]; ++i) left.x += l[i].x / 6, left.y += l[i].y / 6;
  for (int i = landmark::kRightEye[0]; i <= landmark::kRightEye[1]; ++i) right.x += l[i].x / 6, right.y += l[i].y / 6;
  const double ex = right.x - left.x, ey = right.y - left.y, n = std::hypot(ex, ey);
  FaceFrame f;
  f.centre = centre_of(l);
  f.down = n > 0 ? Point2{-ey / n, ex / n} : Point2{0, 1};
  f.width = std::hypot(l[16].x - l[0].x, l[16].y - l[0].y);
  return f;
}

Point2 posed(Point2 p, Point2 centre, const HeadMotion& m, double width) {
  const double c = std::cos(m.roll), s = std::sin(m.roll);
  const double dx = p.x - centre.x, dy = p.y - centre.y;
  return {centre.x + m.scale * (c * dx - s * dy) + m.shift_x * width,
          centre.y + m.scale * (s * dx + c * dy) + m.shift_y * width};
}

}  // namespace

std::vector<Triangle> delaunay(const std::vector<Point2>& input) {
  if (input.size() < 3) return {};
  std::vector<Point2> p = input;
  double min_x = p[0].x, max_x = min_x, min_y = p[0].y, max_y = min_y;
  for (const Point2& q : p) {
    min_x = std::min(min_x, q.x), max_x = std::max(max_x, q.x);
    min_y = std::min(min_y, q.y), max_y = std::max(max_y, q.y);
  }
  const double span = std::max(max_x - min_x, max_y - min_y) + 1, mx = (min_x + max_x) / 2, my = (min_y + max_y) / 2;
  const int n = static_cast<int>(p.size());
  p.push_back({mx - 20 * span, my - span});
  p.push_back({mx, my + 20 * span});
  p.push_back({mx + 20 * span, my - span});
  struct Tri {
    Triangle t;
    Circle c;
  };
  std::vector<Tri> tris{{{n, n + 1, n + 2}, circumcircle(p[n], p[n + 1], p[n + 2])}};
  for (int i = 0; i < n; ++i) {
    std::map<std::pair<int, int>, int> edges;  // boundary of the cavity: edges of one bad triangle only
    std::vector<Tri> kept;
    for (const Tri& t : tris) {
      const double dx = p[i].x - t.c.x, dy = p[i].y - t.c.y;
      if (dx * dx + dy * dy < t.c.r2) {
        for (auto [u, v] : {std::pair{t.t.a, t.t.b}, std::pair{t.t.b, t.t.c}, std::pair{t.t.c, t.t.a}})
          ++edges[{std::min(u, v), std::max(u, v)}];
      } else {
        kept.push_back(t);
      }
    }
    for (const auto& [edge, count] : edges)
      if (count == 1) kept.push_back({{edge.first, edge.second, i}, circumcircle(p[edge.first], p[edge.second], p[i])});
    tris = std::move(kept);
  }
  std::vector<Triangle> out;
  for (const Tri& t : tris)
    if (t.t.a < n && t.t.b < n && t.t.c < n) out.push_back(t.t);
  return out;
}

Rgb8 warp_piecewise_affine(const Rgb8& source, const std::vector<Point2>& from, const std::vector<Point2>& to,
                           const std::vector<Triangle>& triangles) {
  Rgb8 out = source;
  auto sample = [&](double x, double y, int channel) {
    x = std::clamp(x, 0.0, source.width - 1.0);
    y = std::clamp(y, 0.0, source.height - 1.0);
    const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
    const int x1 = std::min(x0 + 1, source.width - 1), y1 = std::min(y0 + 1, source.height - 1);
    const double fx = x - x0, fy = y - y0;
    return (1 - fy) * ((1 - fx) * source.at(x0, y0, channel) + fx * source.at(x1, y0, channel)) +
           fy * ((1 - fx) * source.at(x0, y1, channel) + fx * source.at(x1, y1, channel));
  };
  for (const Triangle& t : triangles) {
    const Point2 a = to[t.a], b = to[t.b], c = to[t.c];
    const double det = (b.y - c.y) * (a.x - c.x) + (c.x - b.x) * (a.y - c.y);
    if (std::abs(det) < 1e-9) continue;  // a collapsed triangle covers nothing
    const int x0 = std::max(0, static_cast<int>(std::floor(std::min({a.x, b.x, c.x}))));
    const int x1 = std::min(out.width - 1, static_cast<int>(std::ceil(std::max({a.x, b.x, c.x}))));
    const int y0 = std::max(0, static_cast<int>(std::floor(std::min({a.y, b.y, c.y}))));
    const int y1 = std::min(out.height - 1, static_cast<int>(std::ceil(std::max({a.y, b.y, c.y}))));
    const Point2 fa = from[t.a], fb = from[t.b], fc = from[t.c];
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) {
        const double l1 = ((b.y - c.y) * (x - c.x) + (c.x - b.x) * (y - c.y)) / det;
        const double l2 = ((c.y - a.y) * (x - c.x) + (a.x - c.x) * (y - c.y)) / det;
        const double l3 = 1 - l1 - l2;
        if (l1 < -1e-9 || l2 < -1e-9 || l3 < -1e-9) continue;
        const double sx = l1 * fa.x + l2 * fb.x + l3 * fc.x, sy = l1 * fa.y + l2 * fb.y + l3 * fc.y;
        for (int ch = 0; ch < 3; ++ch)
          out.at(x, y, ch) = static_cast<std::uint8_t>(std::lround(std::clamp(sample(sx, sy, ch), 0.0, 255.0)));
      }
  }
  return out;
}

HeadMotion motion_at(double t, std::uint64_t seed) {
  auto phase = [&](std::uint64_t k) { return 2 * kPi * unit_random(seed, k); };
  HeadMotion m;
  // Speech: talking about two thirds of the time, syllables at ~4 Hz with a slower swell.
  const double talking = smoothstep(-0.45, -0.15, std::sin(2 * kPi * t / 7.3 + phase(0)));
  const double syllable = 0.5 + 0.5 * std::sin(2 * kPi * 4.1 * t + phase(1));
  const double swell = 0.65 + 0.35 * std::sin(2 * kPi * 1.3 * t + phase(2));
  m.mouth_open = std::clamp(talking * std::pow(syllable, 1.5) * swell, 0.0, 1.0);
  // Blinks of ~150 ms about every 3.7 s, their times jittered.
  const double period = 3.7;
  const long k0 = static_cast<long>(std::floor(t / period));
  for (long k = k0 - 1; k <= k0 + 1; ++k) {
    const double centre = (k + 0.5) * period + 1.2 * (unit_random(seed, 100 + static_cast<std::uint64_t>(k + 1000000)) - 0.5);
    m.blink = std::max(m.blink, std::exp(-std::pow((t - centre) / 0.06, 2)));
  }
  m.roll = 0.06 * std::sin(2 * kPi * t / 5.3 + phase(3));
  m.scale = 1 + 0.03 * std::sin(2 * kPi * t / 6.1 + phase(4));
  m.shift_x = 0.04 * std::sin(2 * kPi * t / 4.7 + phase(5));
  m.shift_y = 0.025 * std::sin(2 * kPi * t / 5.9 + phase(6));
  return m;
}

Landmarks moved_landmarks(const Landmarks& rest, const HeadMotion& motion) {
  Landmarks l = rest;
  const FaceFrame f = face_frame(rest);
  // The mouth opens by up to 40% of the nose-to-chin distance: lower lips and jaw follow.
  const double drop =
      motion.mouth_open * 0.4 * std::hypot(rest[8].x - rest[landmark::kNoseTip].x, rest[8].y - rest[landmark::kNoseTip].y);
  static const std::pair<int, double> kFollow[] = {
      {65, 1.0}, {66, 1.0}, {67, 1.0}, {56, 1.0}, {57, 1.0}, {58, 1.0}, {55, 0.7}, {59, 0.7}, {64, 0.3}, {60, 0.3},
      {54, 0.15}, {48, 0.15}, {7, 0.8}, {8, 0.8}, {9, 0.8}, {6, 0.6}, {10, 0.6}, {5, 0.35}, {11, 0.35}, {4, 0.15}, {12, 0.15}};
  for (const auto& [i, w] : kFollow) l[i] = {l[i].x + w * drop * f.down.x, l[i].y + w * drop * f.down.y};
  // Blinks: the upper lids close onto the lower ones.
  static const std::pair<int, int> kLids[] = {{37, 41}, {38, 40}, {43, 47}, {44, 46}};
  const double close = 0.9 * motion.blink;
  for (const auto& [upper, lower] : kLids)
    l[upper] = {l[upper].x + close * (rest[lower].x - rest[upper].x), l[upper].y + close * (rest[lower].y - rest[upper].y)};
  for (Point2& p : l) p = posed(p, f.centre, motion, f.width);
  return l;
}

PortraitAnimation::PortraitAnimation(Rgb8 portrait, const Landmarks& landmarks, std::uint64_t seed)
    : portrait_(std::move(portrait)), rest_(landmarks), seed_(seed) {
  if (portrait_.width < 16 || portrait_.height < 16) throw Error("the portrait is too small to animate");
  rest_points_ = control_points(rest_, HeadMotion{});
  // The mesh from a half-open mouth: the lips' inner points are apart, so the cavity between
  // them gets triangles of its own (at rest they may coincide).
  HeadMotion open;
  open.mouth_open = 0.5;
  triangles_ = delaunay(control_points(moved_landmarks(rest_, open), open));
}

std::vector<Point2> PortraitAnimation::control_points(const Landmarks& face, const HeadMotion& motion) const {
  std::vector<Point2> points(face.begin(), face.end());
  // A ring around the head (hair, ears, neck) moves with the head's pose only.
  const FaceFrame f = face_frame(rest_);
  const double w = portrait_.width - 1.0, h = portrait_.height - 1.0;
  const Point2 ring_centre{f.centre.x - 0.15 * f.width * f.down.x, f.centre.y - 0.15 * f.width * f.down.y};
  for (int k = 0; k < 16; ++k) {
    const double a = 2 * kPi * k / 16;
    Point2 q{ring_centre.x + 0.95 * f.width * std::cos(a), ring_centre.y + 1.1 * f.width * std::sin(a)};
    q = posed(q, f.centre, motion, f.width);
    points.push_back({std::clamp(q.x, 1.0, w - 1), std::clamp(q.y, 1.0, h - 1)});
  }
  // The picture's border stays.
  for (int k = 0; k < 5; ++k) {
    const double s = k / 4.0;
    points.push_back({s * w, 0});
    points.push_back({s * w, h});
    if (k > 0 && k < 4) {
      points.push_back({0, s * h});
      points.push_back({w, s * h});
    }
  }
  return points;
}

Rgb8 PortraitAnimation::frame(double t_seconds, Landmarks* landmarks) const {
  const HeadMotion motion = motion_at(t_seconds, seed_);
  const Landmarks face = moved_landmarks(rest_, motion);
  if (landmarks) *landmarks = face;
  return warp_piecewise_affine(portrait_, rest_points_, control_points(face, motion), triangles_);
}

}  // namespace idef
