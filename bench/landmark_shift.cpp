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
// With OUT.y4m instead of QUERIES: every frame of the video pushed as id-poison
// --push-landmarks does (a turn, through the luma) within CAP RGB levels and nothing else,
// written as a y4m: the protected video a forger would train on (bench/reenact/probe.sh).
//   bench_landmark_shift VIDEO.y4m CAP OUT.y4m
// With two videos: how far the landmarks of the second (a protected one, decoded as the
// forger decodes it) are from those of the first, per the same measure, every STEP-th frame.
//   bench_landmark_shift CLEAN.y4m PROTECTED.y4m FRAMES STEP
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "face/align.h"
#include "face/detector.h"
#include "defence/landmark_push.h"
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

// What push is asked for in the measuring mode: every landmark to the right (and down with
// DIAGONAL).
std::vector<float> push_direction() {
  const bool diagonal = std::getenv("DIAGONAL") != nullptr;
  std::vector<float> direction(2 * kLandmarkCount, 0.f);
  for (int k = 0; k < kLandmarkCount; ++k) direction[2 * k] = 1.f, direction[2 * k + 1] = diagonal ? 1.f : 0.f;
  return direction;
}

// How far the forger's crop moves, in its own pixels, averaged over all of them: the crop
// of the clean face against the crop the moved landmarks give.
double crop_motion(const FaceAlignment& clean, const Landmarks& moved) {
  const Affine2x3 clean_to_image = clean.image_from_crop(kCrop);
  const Affine2x3 moved_crop = align_face(moved).crop_from_image(kCrop);
  double sum = 0;
  for (int y = 0; y < kCrop; ++y)
    for (int x = 0; x < kCrop; ++x) {
      const Point2 q = moved_crop(clean_to_image(Point2{double(x), double(y)}));
      sum += std::hypot(q.x - x, q.y - y);
    }
  return sum / (kCrop * kCrop);
}

// Every frame with a face pushed as id-poison --push-landmarks pushes it (the turn of
// defence/landmark_push.h, through the luma, chosen on the frame as the forger decodes it),
// within CAP 8-bit RGB levels, without any other perturbation.
int protect(const char* input, int cap, const char* output) {
  Y4mReader in(input);
  Y4mWriter out(output, in.header());
  const ColourSpec colour = in.header().colour_spec();
  FaceDetector detector;
  VideoFrame frame;
  std::string params;
  int frames = 0, faces = 0;
  while (in.read(frame, &params)) {
    ++frames;
    const auto found = detector.detect(to_rgb24(frame, colour));
    if (!found.empty()) {
      const VideoFrame original = frame;
      push_landmarks(frame, original, colour, found.front(), detector.landmark_predictor(), cap);
      ++faces;
    }
    out.write(frame, params);
  }
  out.finish();
  std::printf("%d frames, %d with a face pushed within %d RGB levels\n", frames, faces, cap);
  return 0;
}

// The shift that survives the video's samples: the clean frame's face and alignment, the
// protected frame's landmarks (in the clean box, and detected again).
int compare(const char* clean_path, const char* protected_path, int frames, int step) {
  Y4mReader clean_in(clean_path), protected_in(protected_path);
  FaceDetector detector;
  VideoFrame clean_frame, protected_frame;
  int index = 0, done = 0;
  double kept_sum = 0, redetected_sum = 0, motion_sum = 0, landmark_sum = 0;
  // Per landmark, the sum over frames of its displacement in the clean crop's axes: what
  // holds from frame to frame is what a forger's model learns.
  std::vector<Point2> displacement_sum(kLandmarkCount);
  while (done < frames && clean_in.read(clean_frame) && protected_in.read(protected_frame)) {
    if (index++ % step) continue;
    const auto faces = detector.detect(to_rgb24(clean_frame, clean_in.header().colour_spec()));
    if (faces.empty()) continue;
    const FaceAlignment clean = align_face(faces.front().landmarks);
    const double base = crop_shift(clean, faces.front().landmarks);
    const Rgb8 moved = to_rgb24(protected_frame, protected_in.header().colour_spec());
    const Landmarks kept_landmarks = detector.locate_landmarks(moved, faces.front().box).landmarks;
    const double kept = crop_shift(clean, kept_landmarks) - base;
    motion_sum += crop_motion(clean, kept_landmarks);
    const Affine2x3 to_crop = clean.crop_from_image(kCrop);
    for (int k = 0; k < kLandmarkCount; ++k) {
      const Point2 a = to_crop(faces.front().landmarks[k]), b = to_crop(kept_landmarks[k]);
      displacement_sum[k].x += b.x - a.x, displacement_sum[k].y += b.y - a.y;
      landmark_sum += std::hypot(b.x - a.x, b.y - a.y) / kLandmarkCount;
    }
    const auto again = detector.detect(moved);
    const double redetected = again.empty() ? 0 : crop_shift(clean, again.front().landmarks) - base;
    kept_sum += kept, redetected_sum += redetected, ++done;
  }
  if (done == 0) {
    std::fprintf(stderr, "bench_landmark_shift: no face in %s\n", clean_path);
    return 1;
  }
  double consistent = 0;
  for (const Point2& d : displacement_sum) consistent += std::hypot(d.x, d.y) / done / kLandmarkCount;
  std::printf(
      "mean over %d frames as decoded: %.3f crop px with the box kept, %.3f detected again; the crop moves %.3f px; "
      "the landmarks %.3f px, %.3f px of it the same in every frame\n",
      done, kept_sum / done, redetected_sum / done, motion_sum / done, landmark_sum / done, consistent);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4) return protect(argv[1], std::atoi(argv[2]), argv[3]);
  if (argc == 5) return compare(argv[1], argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
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
