#include "face/detector.h"

#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>

#include "core/error.h"
#include "face/dlib_models.h"

namespace idef {

std::string default_landmark_model() { return "/usr/share/dlib/shape_predictor_68_face_landmarks.dat"; }

struct FaceDetector::Impl {
  dlib::frontal_face_detector detector = load_frontal_face_detector();
  std::shared_ptr<const LandmarkPredictor> predictor;
  FaceDetectorOptions options;
};

namespace {

// Detectors in one process share each model file's predictor: it is large and slow to
// read, and a predictor is only read, so several threads may use it.
std::shared_ptr<const LandmarkPredictor> load_predictor(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const LandmarkPredictor>> loaded;
  std::error_code ec;
  auto stamp = std::filesystem::last_write_time(path, ec);
  std::string key = path + "|" + std::to_string(stamp.time_since_epoch().count());
  std::lock_guard<std::mutex> lock(mutex);
  if (auto cached = loaded[key].lock()) return cached;
  auto predictor = std::make_shared<const LandmarkPredictor>(load_landmark_predictor(path));
  loaded[key] = predictor;
  return predictor;
}

Face face_from(const dlib::full_object_detection& shape, double score) {
  Face face;
  const auto& r = shape.get_rect();
  face.box = {double(r.left()), double(r.top()), double(r.right()), double(r.bottom())};
  face.score = score;
  for (int i = 0; i < kLandmarkCount; ++i) face.landmarks[i] = {double(shape.part(i).x()), double(shape.part(i).y())};
  return face;
}

}  // namespace

FaceDetector::FaceDetector(const FaceDetectorOptions& options) : impl_(std::make_unique<Impl>()) {
  if (options.upsample < 0 || options.upsample > 3)
    throw UsageError("face upsampling must be 0 to 3, not " + std::to_string(options.upsample));
  if (!(options.scale > 0 && options.scale <= 1))
    throw UsageError("face detection scale must be in (0, 1], not " + std::to_string(options.scale));
  impl_->options = options;
  impl_->predictor = load_predictor(options.landmark_model);
}

FaceDetector::~FaceDetector() = default;
FaceDetector::FaceDetector(FaceDetector&&) noexcept = default;
FaceDetector& FaceDetector::operator=(FaceDetector&&) noexcept = default;

double FaceDetector::scale() const { return impl_->options.scale; }

double FaceDetector::smallest_face(double scale) const { return 80.0 / scale / (1 << impl_->options.upsample); }

std::vector<Face> FaceDetector::detect(const Rgb8& image) { return detect(image, impl_->options.scale); }

std::vector<Face> FaceDetector::detect(const Rgb8& image, double scale) {
  if (!(scale > 0 && scale <= 1))
    throw std::invalid_argument("FaceDetector::detect: scale must be in (0, 1], not " + std::to_string(scale));
  const RgbPixels pixels{&image};
  std::vector<dlib::rect_detection> found;
  dlib::matrix<dlib::rgb_pixel> scanned;
  if (scale < 1) {
    scanned.set_size(std::max(1L, std::lround(image.height * scale)), std::max(1L, std::lround(image.width * scale)));
    dlib::resize_image(pixels, scanned, dlib::interpolate_bilinear());
  }
  if (impl_->options.upsample == 0) {
    if (scale < 1)
      impl_->detector(scanned, found, impl_->options.threshold);
    else
      impl_->detector(pixels, found, impl_->options.threshold);
  } else {
    dlib::matrix<dlib::rgb_pixel> larger;
    if (scale < 1)
      larger = scanned;
    else
      dlib::assign_image(larger, pixels);
    dlib::pyramid_down<2> pyramid;
    for (int i = 0; i < impl_->options.upsample; ++i) dlib::pyramid_up(larger, pyramid);
    impl_->detector(larger, found, impl_->options.threshold);
    for (auto& d : found)
      for (int i = 0; i < impl_->options.upsample; ++i) d.rect = pyramid.rect_down(d.rect);
  }
  if (scale < 1) {  // back to the full image's pixels, where the landmarks are fitted
    const double sx = double(image.width) / scanned.nc(), sy = double(image.height) / scanned.nr();
    for (auto& d : found)
      d.rect = dlib::rectangle(std::lround(d.rect.left() * sx), std::lround(d.rect.top() * sy),
                               std::lround((d.rect.right() + 1) * sx) - 1, std::lround((d.rect.bottom() + 1) * sy) - 1);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.detection_confidence > b.detection_confidence;
  });
  std::vector<Face> faces;
  for (const auto& d : found) faces.push_back(face_from((*impl_->predictor)(image, d.rect), d.detection_confidence));
  return faces;
}

const LandmarkPredictor& FaceDetector::landmark_predictor() const { return *impl_->predictor; }

Face FaceDetector::locate_landmarks(const Rgb8& image, const FaceBox& box) {
  return face_from((*impl_->predictor)(image, dlib_rect(box)), 0.0);
}

}  // namespace idef
