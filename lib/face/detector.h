// Frontal faces and their 68 landmarks with dlib: the HOG face detector and the iBUG 300-W
// shape predictor. The predictor file is ~100 MB and slow to read, so a FaceDetector loads
// it once and is meant to be kept and reused for every image or frame; detectors alive at
// the same time share one copy of each model file.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "face/face.h"
#include "io/rgb8.h"

namespace idef {

class LandmarkPredictor;

// Debian's libdlib-data path.
std::string default_landmark_model();

struct FaceDetectorOptions {
  std::string landmark_model = default_landmark_model();
  // Each level doubles the image before detection: finds faces down to ~40 px instead of
  // ~80 px, at about 4× the time.
  int upsample = 0;
  // Added to the detector's threshold: negative finds more (and worse) faces.
  double threshold = 0.0;
  // The image is scaled by this (0 < scale ≤ 1) for the HOG scan only; landmarks are fitted
  // at full size. 0.5 finds faces from ~160 px on with a quarter of the scan's work.
  double scale = 1.0;
};

class FaceDetector {
 public:
  // Throws InputError naming the model file when it is missing or not a 68-point predictor.
  explicit FaceDetector(const FaceDetectorOptions& options = {});
  ~FaceDetector();
  FaceDetector(FaceDetector&&) noexcept;
  FaceDetector& operator=(FaceDetector&&) noexcept;

  // Every frontal face, highest score first. Not thread-safe: one detector per thread.
  std::vector<Face> detect(const Rgb8& image);
  // The same with the HOG scan at `scale` (0 < scale ≤ 1) instead of the options' own.
  std::vector<Face> detect(const Rgb8& image, double scale);
  double scale() const;
  // The smallest face box, in pixels of the image, that a scan at `scale` finds: dlib's
  // 80 px detection window, halved by each level of upsampling.
  double smallest_face(double scale) const;
  // Landmarks for a known box (e.g. one tracked from the previous video frame).
  Face locate_landmarks(const Rgb8& image, const FaceBox& box);
  // The 68-point predictor behind locate_landmarks (read-only, shared between detectors).
  const LandmarkPredictor& landmark_predictor() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace idef
