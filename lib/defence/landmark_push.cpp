#include "defence/landmark_push.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "face/align.h"
#include "io/image.h"

namespace idef {

namespace {

// How many pixels the push changed: those whose chosen version is not the original.
int count_changed(const std::vector<std::uint8_t>& choice) {
  return int(std::count_if(choice.begin(), choice.end(), [](std::uint8_t v) { return v != 0; }));
}

// Where the push works: the predictor reads pixels near the face box only, so the box and
// half its size around it, from even coordinates and of even size, so that in video the
// region holds whole chroma blocks (libswscale, with point sampling, decodes each pixel from
// its own luma and its block's chroma, so the region decodes as it does inside the frame;
// an odd-sized 4:2:0 region did not: up to 91 levels apart).
struct Region {
  int x0 = 0, y0 = 0, w = 0, h = 0;
  bool empty() const { return w <= 0 || h <= 0; }
  // The face in the region's coordinates.
  Face local(const Face& face) const {
    Face f = face;
    f.box = {face.box.left - x0, face.box.top - y0, face.box.right - x0, face.box.bottom - y0};
    for (Point2& p : f.landmarks) p.x -= x0, p.y -= y0;
    return f;
  }
};

Region push_region(const FaceBox& b, int width, int height) {
  Region r;
  r.x0 = std::max(0, int(std::floor(b.left - b.width() / 2))) & ~1;
  r.y0 = std::max(0, int(std::floor(b.top - b.height() / 2))) & ~1;
  const int x1 = std::min(width - 1, int(std::ceil(b.right + b.width() / 2)));
  const int y1 = std::min(height - 1, int(std::ceil(b.bottom + b.height() / 2)));
  r.w = (x1 - r.x0 + 1) & ~1, r.h = (y1 - r.y0 + 1) & ~1;
  return r;
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
  const Region r = push_region(face.box, original.width, original.height);
  if (r.empty()) return 0;
  const Rgb8 part = crop_rgb8(original, r.x0, r.y0, r.w, r.h);
  std::vector<Rgb8> changed;
  std::vector<const Rgb8*> versions{&part};
  for (int l = 1; l <= cap; ++l)
    for (int sign : {-1, 1}) {
      Rgb8 v = part;
      for (auto& p : v.pixels) p = std::uint8_t(std::clamp(int(p) + sign * l, 0, 255));
      changed.push_back(std::move(v));
    }
  for (const Rgb8& v : changed) versions.push_back(&v);
  const Face local = r.local(face);
  std::vector<bool> read;
  const auto choice = predictor.push(versions, dlib_rect(local.box), turning_direction(local.landmarks), &read);
  // The pixels the trees read are the push's alone: the original's value or its chosen change.
  for (std::size_t at = 0; at < read.size(); ++at)
    if (read[at]) {
      const std::size_t y = std::size_t(r.y0) + at / std::size_t(r.w), x = std::size_t(r.x0) + at % std::size_t(r.w);
      std::copy_n(versions[choice[at]]->pixels.begin() + at * 3, 3, image.pixels.begin() + (y * image.width + x) * 3);
    }
  return count_changed(choice);
}

namespace {

// How plane p of a frame is subsampled: a shift of x and of y (0 or 1).
struct Subsampling {
  int x, y;
};
Subsampling subsampling(const VideoFrame& f, int p) {
  return {f.plane_width(p) == f.width() ? 0 : 1, f.plane_height(p) == f.height() ? 0 : 1};
}

// The part of `frame` from (x0, y0), even, w × h: every plane's samples of it.
VideoFrame region_of(const VideoFrame& frame, int x0, int y0, int w, int h) {
  VideoFrame out(w, h, frame.layout());
  for (int p = 0; p < frame.plane_count(); ++p) {
    const auto [sx, sy] = subsampling(frame, p);
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
  const Region r = push_region(face.box, frame.width(), frame.height());
  if (r.empty()) return 0;
  const int x0 = r.x0, y0 = r.y0, w = r.w, h = r.h;
  const VideoFrame part_original = region_of(original, x0, y0, w, h);
  const Rgb8 before = to_rgb24(part_original, colour);
  // One luma level is 255/219 RGB levels in limited range, one in full range. The last
  // level may reach past the cap as decoded in some pixels and not in others (rounding):
  // it is offered, and the check below keeps it where it stays within.
  const double per_level = colour.range == ColourSpec::Range::Limited ? 255.0 / 219 : 1.0;
  const int levels = std::max(1, int(std::ceil(cap / per_level)));
  std::vector<std::vector<std::uint8_t>> lumas;
  std::vector<Rgb8> views;
  lumas.reserve(2 * levels), views.reserve(2 * levels);
  for (int l = 1; l <= levels; ++l)
    for (int sign : {-1, 1}) {
      VideoFrame v = part_original;
      for (std::size_t i = 0; i < v.plane_size(0); ++i)
        v.plane(0)[i] = std::uint8_t(std::clamp(int(part_original.plane(0)[i]) + sign * l, 0, 255));
      Rgb8 view = to_rgb24(v, colour);
      // A pixel whose decoded colour would leave the cap keeps the original in this version:
      // never chosen.
      for (std::size_t at = 0; at < v.plane_size(0); ++at)
        for (int c = 0; c < 3; ++c)
          if (std::abs(int(view.pixels[at * 3 + c]) - int(before.pixels[at * 3 + c])) > cap) {
            std::copy_n(before.pixels.begin() + at * 3, 3, view.pixels.begin() + at * 3);
            v.plane(0)[at] = part_original.plane(0)[at];
            break;
          }
      lumas.emplace_back(v.plane(0), v.plane(0) + v.plane_size(0));
      views.push_back(std::move(view));
    }
  std::vector<const Rgb8*> versions{&before};
  for (const Rgb8& v : views) versions.push_back(&v);
  const Face local = r.local(face);
  std::vector<bool> read;
  const auto choice = predictor.push(versions, dlib_rect(local.box), turning_direction(local.landmarks), &read);
  // The pixels the trees read are the push's alone, as it chose them: the original's luma or
  // the chosen one, and the original's chroma in their blocks (a protection's change of the
  // chroma would move their decoded grey values and take part of the cap).
  auto sample = [](auto& f, int p, int x, int y) -> decltype(auto) {
    const Subsampling s = subsampling(f, p);
    return f.plane(p)[std::size_t(y >> s.y) * f.stride(p) + (x >> s.x)];
  };
  auto block = [&](int x, int y) {  // a pixel's chroma sample, as an index
    const Subsampling s = subsampling(frame, 1);
    return std::size_t(y >> s.y) * std::size_t(frame.plane_width(1)) + std::size_t(x >> s.x);
  };
  const bool chroma = frame.plane_count() > 1;
  std::vector<bool> reset(chroma ? std::size_t(frame.plane_width(1)) * frame.plane_height(1) : 0, false);
  for (std::size_t at = 0; at < read.size(); ++at) {
    if (!read[at]) continue;
    const int x = x0 + int(at % std::size_t(w)), y = y0 + int(at / std::size_t(w));
    sample(frame, 0, x, y) = choice[at] ? lumas[choice[at] - 1][at] : part_original.plane(0)[at];
    for (int p = 1; p < frame.plane_count(); ++p) sample(frame, p, x, y) = sample(original, p, x, y);
    if (chroma) reset[block(x, y)] = true;
  }
  if (!chroma) return count_changed(choice);
  // The other pixels of those chroma blocks keep the protection's luma where their decoded
  // colour stays within the cap, else get the original's back.
  const Rgb8 now = to_rgb24(region_of(frame, x0, y0, w, h), colour);
  for (std::size_t at = 0; at < read.size(); ++at) {
    const int x = x0 + int(at % std::size_t(w)), y = y0 + int(at / std::size_t(w));
    if (read[at] || !reset[block(x, y)]) continue;
    for (int c = 0; c < 3; ++c)
      if (std::abs(int(now.pixels[at * 3 + c]) - int(before.pixels[at * 3 + c])) > cap) {
        sample(frame, 0, x, y) = part_original.plane(0)[at];
        break;
      }
  }
  return count_changed(choice);
}

}  // namespace idef
