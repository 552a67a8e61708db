#include "defence/landmark_push.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "face/align.h"

namespace idef {

namespace {

// Calls set(pixel, version) for each pixel whose chosen version is not 0; returns how many.
template <typename Set>
int apply(const std::vector<std::uint8_t>& choice, Set&& set) {
  int changed = 0;
  for (std::size_t at = 0; at < choice.size(); ++at)
    if (choice[at]) set(at, choice[at]), ++changed;
  return changed;
}

}  // namespace

std::vector<float> turning_direction(const Landmarks& face) {
  std::vector<float> weight(kLandmarkCount, 0.f);
  for (int k = landmark::kLeftEye[0]; k <= landmark::kRightEye[1]; ++k) weight[k] = 1.f / 6;
  weight[landmark::kNoseTip] = weight[landmark::kMouthLeft] = weight[landmark::kMouthRight] = 1.f;
  Point2 centre;
  for (const Point2& p : face_points(face)) centre.x += p.x / 5, centre.y += p.y / 5;
  std::vector<float> direction(2 * kLandmarkCount, 0.f);
  for (int k = 0; k < kLandmarkCount; ++k) {
    // (dx, dy) turned a quarter: counter-clockwise with y pointing down the image.
    direction[2 * k] = weight[k] * float(-(face[k].y - centre.y));
    direction[2 * k + 1] = weight[k] * float(face[k].x - centre.x);
  }
  return direction;
}

int push_landmarks(Rgb8& image, const Rgb8& original, const Face& face, const LandmarkPredictor& predictor, int cap) {
  if (cap <= 0) return 0;
  std::vector<Rgb8> changed;
  std::vector<const Rgb8*> versions{&image};
  for (int l = 1; l <= cap; ++l)
    for (int sign : {-1, 1}) {
      Rgb8 v = original;
      for (auto& p : v.pixels) p = std::uint8_t(std::clamp(int(p) + sign * l, 0, 255));
      changed.push_back(std::move(v));
    }
  for (const Rgb8& v : changed) versions.push_back(&v);
  const auto choice = predictor.push(versions, dlib_rect(face.box), turning_direction(face.landmarks));
  return apply(choice, [&](std::size_t at, std::uint8_t v) {
    std::copy_n(versions[v]->pixels.begin() + at * 3, 3, image.pixels.begin() + at * 3);
  });
}

namespace {

// The part of `frame` from (x0, y0), even, w × h: every plane's samples of it.
VideoFrame region_of(const VideoFrame& frame, int x0, int y0, int w, int h) {
  VideoFrame out(w, h, frame.layout());
  for (int p = 0; p < frame.plane_count(); ++p) {
    const int sx = frame.plane_width(p) == frame.width() ? 0 : 1, sy = frame.plane_height(p) == frame.height() ? 0 : 1;
    for (int y = 0; y < out.plane_height(p); ++y)
      std::copy_n(frame.plane(p) + std::size_t((y0 >> sy) + y) * frame.stride(p) + (x0 >> sx), out.plane_width(p),
                  out.plane(p) + std::size_t(y) * out.stride(p));
  }
  return out;
}

}  // namespace

int push_landmarks(VideoFrame& frame, const VideoFrame& original, const ColourSpec& colour, const Face& face,
                   const LandmarkPredictor& predictor, int cap) {
  if (cap <= 0) return 0;
  // The predictor reads pixels near the face box only: the work is done on the box and half
  // its size around it, from even coordinates so that the region holds whole chroma blocks
  // (libswscale, with point sampling, decodes each pixel from its own luma and its block's
  // chroma, so the region decodes as it does inside the frame).
  const FaceBox& b = face.box;
  const int x0 = std::max(0, int(std::floor(b.left - b.width() / 2))) & ~1;
  const int y0 = std::max(0, int(std::floor(b.top - b.height() / 2))) & ~1;
  const int x1 = std::min(frame.width() - 1, int(std::ceil(b.right + b.width() / 2)));
  const int y1 = std::min(frame.height() - 1, int(std::ceil(b.bottom + b.height() / 2)));
  // An even size too: an odd-sized 4:2:0 region did not decode as the same pixels of the
  // whole frame do (bench: up to 91 levels apart).
  const int w = (x1 - x0 + 1) & ~1, h = (y1 - y0 + 1) & ~1;
  if (w <= 0 || h <= 0) return 0;
  const VideoFrame part = region_of(frame, x0, y0, w, h), part_original = region_of(original, x0, y0, w, h);
  const Rgb8 before = to_rgb24(part_original, colour), now = to_rgb24(part, colour);
  // One luma level is 255/219 RGB levels in limited range, one in full range.
  const double per_level = colour.range == ColourSpec::Range::Limited ? 255.0 / 219 : 1.0;
  const int levels = std::max(1, int(cap / per_level));
  std::vector<std::vector<std::uint8_t>> lumas;
  std::vector<Rgb8> views;
  lumas.reserve(2 * levels), views.reserve(2 * levels);
  for (int l = 1; l <= levels; ++l)
    for (int sign : {-1, 1}) {
      VideoFrame v = part;
      for (std::size_t i = 0; i < v.plane_size(0); ++i)
        v.plane(0)[i] = std::uint8_t(std::clamp(int(part_original.plane(0)[i]) + sign * l, 0, 255));
      Rgb8 view = to_rgb24(v, colour);
      // A pixel whose decoded colour would leave the cap (the frame's chroma may carry a
      // protection's change) keeps the frame's own value in this version: never chosen.
      for (std::size_t at = 0; at < v.plane_size(0); ++at)
        for (int c = 0; c < 3; ++c)
          if (std::abs(int(view.pixels[at * 3 + c]) - int(before.pixels[at * 3 + c])) > cap) {
            std::copy_n(now.pixels.begin() + at * 3, 3, view.pixels.begin() + at * 3);
            v.plane(0)[at] = part.plane(0)[at];
            break;
          }
      lumas.emplace_back(v.plane(0), v.plane(0) + v.plane_size(0));
      views.push_back(std::move(view));
    }
  std::vector<const Rgb8*> versions{&now};
  for (const Rgb8& v : views) versions.push_back(&v);
  Face local = face;
  local.box = {b.left - x0, b.top - y0, b.right - x0, b.bottom - y0};
  for (Point2& p : local.landmarks) p.x -= x0, p.y -= y0;
  const auto choice = predictor.push(versions, dlib_rect(local.box), turning_direction(local.landmarks));
  return apply(choice, [&](std::size_t at, std::uint8_t v) {
    const std::size_t y = at / std::size_t(w), x = at % std::size_t(w);
    frame.plane(0)[(y0 + y) * std::size_t(frame.stride(0)) + x0 + x] = lumas[v - 1][at];
  });
}

}  // namespace idef
