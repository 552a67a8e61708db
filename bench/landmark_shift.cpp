// How far can a perturbation of ±EPS 8-bit levels move dlib's landmarks? A forger aligns
// every frame of a protected video by them, so a shift that held in every frame would teach
// its reenactment model a mapping that is off everywhere (bench/results/reenact-notes.md).
// dlib's predictor (a cascade of regression trees) has no gradient: this searches for the
// perturbation at random (a square-attack-like search on a box around the face, per pixel
// signs, a change kept when it does not lower the shift) and reports, per frame, how far the
// five points the alignment fits (eye centres, nose tip, mouth corners) moved sideways in the
// forger's 128 px crop, with the face box kept and with the face detected again.
// QUERIES 0: instead the white-box search of LandmarkPredictor::push (every landmark pushed
// to the right), which reads the trees' splits. DIAGONAL=1: pushed, and measured, down as
// well as right.
//   bench_landmark_shift VIDEO.y4m EPS_LEVELS QUERIES FRAMES STEP
// With OUT.y4m instead of QUERIES: every frame of the video pushed so (the white-box search),
// written as a y4m: the protected video a forger would train on (bench/reenact/probe.sh).
//   bench_landmark_shift VIDEO.y4m EPS_LEVELS OUT.y4m
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "face/align.h"
#include "face/detector.h"
#include "face/dlib_models.h"
#include "io/frame.h"
#include "io/y4m.h"

using namespace idef;

namespace {

constexpr int kCrop = 128;

// Mean sideways displacement of the five alignment points, in pixels of the clean crop.
double crop_shift(const FaceAlignment& clean, const Landmarks& moved) {
  const Affine2x3 to_crop = clean.crop_from_image(kCrop);
  const auto now = face_points(moved);
  const auto& canonical = canonical_face_points();
  double sum = 0;
  double down = 0;
  for (int i = 0; i < 5; ++i) {
    sum += to_crop(now[i]).x - canonical[i].x * (kCrop - 1);
    down += to_crop(now[i]).y - canonical[i].y * (kCrop - 1);
  }
  // DIAGONAL: the length of the mean displacement's projection on (1, 1) / √2.
  if (std::getenv("DIAGONAL")) return (sum + down) / 5 / std::sqrt(2.0);
  return sum / 5;
}

// What push is asked for: every landmark to the right (and down with DIAGONAL).
std::vector<float> push_direction() {
  const bool diagonal = std::getenv("DIAGONAL") != nullptr;
  std::vector<float> direction(2 * kLandmarkCount, 0.f);
  for (int k = 0; k < kLandmarkCount; ++k) direction[2 * k] = 1.f, direction[2 * k + 1] = diagonal ? 1.f : 0.f;
  return direction;
}

dlib::rectangle dlib_rect(const FaceBox& b) {
  return dlib::rectangle(std::lround(b.left), std::lround(b.top), std::lround(b.right), std::lround(b.bottom));
}

// Every frame with a face pushed by LandmarkPredictor::push; the change goes into the
// frame's YUV samples as id-poison adds its own (add_rgb8_change).
int protect(const char* input, int levels, const char* output) {
  Y4mReader in(input);
  Y4mWriter out(output, in.header());
  const ColourSpec colour = in.header().colour_spec();
  FaceDetector detector;
  const LandmarkPredictor predictor = load_landmark_predictor(default_landmark_model());
  const std::vector<float> direction = push_direction();
  VideoFrame frame;
  std::string params;
  Rgb8 view;
  int frames = 0, faces = 0;
  while (in.read(frame, &params)) {
    ++frames;
    to_rgb8_view(frame, colour, view);
    const auto found = detector.detect(view);
    if (!found.empty()) {
      add_rgb8_change(frame, colour, view, predictor.push(view, dlib_rect(found.front().box), direction, levels), 0,
                      0, view.width - 1, view.height - 1);
      ++faces;
    }
    out.write(frame, params);
  }
  out.finish();
  std::printf("%d frames, %d with a face pushed by ±%d levels\n", frames, faces, levels);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4) return protect(argv[1], std::atoi(argv[2]), argv[3]);
  if (argc != 6) {
    std::fprintf(stderr, "usage: bench_landmark_shift VIDEO.y4m EPS_LEVELS QUERIES FRAMES STEP\n");
    return 2;
  }
  const int eps = std::atoi(argv[2]), queries = std::atoi(argv[3]), frames = std::atoi(argv[4]),
            step = std::atoi(argv[5]);
  Y4mReader in(argv[1]);
  FaceDetector detector;
  const LandmarkPredictor predictor = load_landmark_predictor(default_landmark_model());
  VideoFrame frame;
  std::mt19937 rng(1);
  int index = 0, done = 0;
  double kept_sum = 0, redetected_sum = 0;
  while (done < frames && in.read(frame)) {
    if (index++ % step) continue;
    const Rgb8 image = to_rgb24(frame, in.header().colour_spec());
    const auto faces = detector.detect(image);
    if (faces.empty()) continue;
    const Face& face = faces.front();
    const FaceAlignment clean = align_face(face.landmarks);
    const double base = crop_shift(clean, face.landmarks);
    // The box and a quarter of it on each side: every pixel the predictor reads.
    const int bw = int(face.box.right - face.box.left), bh = int(face.box.bottom - face.box.top);
    const int x0 = std::max(0, int(face.box.left) - bw / 4), y0 = std::max(0, int(face.box.top) - bh / 4);
    const int x1 = std::min(image.width - 1, int(face.box.right) + bw / 4);
    const int y1 = std::min(image.height - 1, int(face.box.bottom) + bh / 4);
    const int w = x1 - x0 + 1, h = y1 - y0 + 1;
    std::vector<int> delta(std::size_t(w) * h);  // one level per pixel, all three channels alike
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) delta[std::size_t(y) * w + x] = (x + y) % 2 ? eps : -eps;
    Rgb8 moved = image;
    auto apply = [&] {
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          for (int c = 0; c < 3; ++c)
            moved.at(x0 + x, y0 + y, c) =
                std::uint8_t(std::clamp(image.at(x0 + x, y0 + y, c) + delta[std::size_t(y) * w + x], 0, 255));
    };
    auto shift = [&] { return crop_shift(clean, detector.locate_landmarks(moved, face.box).landmarks) - base; };
    if (queries == 0)
      moved = predictor.push(image, dlib_rect(face.box), push_direction(), eps);
    else
      apply();
    double best = shift();
    for (int q = 0; q < queries; ++q) {
      const double area = q < queries / 4 ? 0.1 : q < queries / 2 ? 0.05 : 0.025;
      const int side = std::max(2, int(std::sqrt(area * w * h)));
      const int sx = std::uniform_int_distribution<int>(0, w - side)(rng);
      const int sy = std::uniform_int_distribution<int>(0, h - side)(rng);
      std::vector<int> saved;
      for (int y = sy; y < sy + side; ++y)
        for (int x = sx; x < sx + side; ++x) {
          int& d = delta[std::size_t(y) * w + x];
          saved.push_back(d);
          d = rng() % 2 ? eps : -eps;
        }
      apply();
      const double now = shift();
      if (now >= best) {
        best = now;
        continue;
      }
      std::size_t k = 0;
      for (int y = sy; y < sy + side; ++y)
        for (int x = sx; x < sx + side; ++x) delta[std::size_t(y) * w + x] = saved[k++];
    }
    if (queries > 0) apply();  // the search's best (push's image is already in `moved`)
    const auto again = detector.detect(moved);
    const double redetected = again.empty() ? 0 : crop_shift(clean, again.front().landmarks) - base;
    std::printf("frame %d: face %dx%d px, shift %.3f crop px with the box kept, %.3f detected again\n", index - 1, bw,
                bh, best, redetected);
    kept_sum += best, redetected_sum += redetected, ++done;
  }
  if (done == 0) {
    std::fprintf(stderr, "bench_landmark_shift: no face in %s\n", argv[1]);
    return 1;
  }
  std::printf("mean over %d frames: %.3f crop px with the box kept, %.3f detected again\n", done, kept_sum / done,
              redetected_sum / done);
  return 0;
}
