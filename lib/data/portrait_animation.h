// A talking head made from one real portrait (docs/reenactment.md#data): the portrait's own
// dlib landmarks are moved as a speaking, blinking, slightly moving head would move them, and
// the photo is warped piecewise-affinely over a triangulation of those landmarks (plus a ring
// around the head and the picture's border), so every frame has the portrait's real texture.
// Deterministic in (portrait, seed, frame).
#pragma once
#include <cstdint>
#include <vector>

#include "face/face.h"
#include "io/rgb8.h"

namespace idef {

struct Triangle {
  int a, b, c;  // indices into a point list
};

// Delaunay triangulation (Bowyer–Watson) of distinct points; triangles in no particular order.
std::vector<Triangle> delaunay(const std::vector<Point2>& points);

// Warps `source` so that each triangle of `from` lands on the same triangle of `to`
// (bilinear sampling; pixels no triangle covers keep the source's value).
Rgb8 warp_piecewise_affine(const Rgb8& source, const std::vector<Point2>& from, const std::vector<Point2>& to,
                           const std::vector<Triangle>& triangles);

// The motion at one instant: 0..1 mouth opening and lid closure, head roll (radians), scale
// and shift (in face widths).
struct HeadMotion {
  double mouth_open = 0, blink = 0, roll = 0, scale = 1, shift_x = 0, shift_y = 0;
};

// Speech (mouth opening in syllable-like bursts with pauses), blinks every few seconds and a
// slow small head motion, all smooth in t and fixed by `seed`.
HeadMotion motion_at(double t_seconds, std::uint64_t seed);

// The 68 landmarks moved by `motion`: the jaw and lower lips drop with the mouth, the upper
// lids close onto the lower ones, then the whole face turns, scales and shifts about its centre.
Landmarks moved_landmarks(const Landmarks& rest, const HeadMotion& motion);

class PortraitAnimation {
 public:
  // `landmarks`: the portrait's face (from the detector). The picture keeps the portrait's size.
  PortraitAnimation(Rgb8 portrait, const Landmarks& landmarks, std::uint64_t seed);
  Rgb8 frame(double t_seconds, Landmarks* landmarks = nullptr) const;

 private:
  std::vector<Point2> control_points(const Landmarks& face, const HeadMotion& motion) const;
  Rgb8 portrait_;
  Landmarks rest_;
  std::uint64_t seed_;
  std::vector<Point2> rest_points_;
  std::vector<Triangle> triangles_;
};

}  // namespace idef
