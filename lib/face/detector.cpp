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
  std::shared_ptr<const dlib::shape_predictor> predictor;
  FaceDetectorOptions options;
};

namespace {

// Detectors in one process share each model file's predictor: it is large and slow to
// read, and shape_predictor is safe to use from several threads.
std::shared_ptr<const dlib::shape_predictor> load_predictor(const std::string& path) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<const dlib::shape_predictor>> loaded;
  std::error_code ec;
  auto stamp = std::filesystem::last_write_time(path, ec);
  std::string key = path + "|" + std::to_string(stamp.time_since_epoch().count());
  std::lock_guard<std::mutex> lock(mutex);
  if (auto cached = loaded[key].lock()) return cached;
  auto predictor = std::make_shared<const dlib::shape_predictor>(load_shape_predictor(path));
  loaded[key] = predictor;
  return predictor;
}

dlib::matrix<dlib::rgb_pixel> to_dlib(const Rgb8& image) {
  dlib::matrix<dlib::rgb_pixel> out(image.height, image.width);
  const std::uint8_t* p = image.data();
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x, p += 3) out(y, x) = dlib::rgb_pixel(p[0], p[1], p[2]);
  return out;
}

// What the shape predictor reads of a colour image is dlib's intensity of each rgb_pixel,
// (r + g + b) / 3: on this grey image it finds the same landmarks from a third of the bytes.
// (The HOG detector stays on colour: on grey it found a second, false face in the astronaut.)
dlib::matrix<unsigned char> to_dlib_grey(const Rgb8& image) {
  dlib::matrix<unsigned char> out(image.height, image.width);
  const std::uint8_t* p = image.data();
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x, p += 3) out(y, x) = static_cast<unsigned char>((p[0] + p[1] + p[2]) / 3);
  return out;
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

std::vector<Face> FaceDetector::detect(const Rgb8& image) {
  const auto pixels = to_dlib(image);
  std::vector<dlib::rect_detection> found;
  const double scale = impl_->options.scale;
  dlib::matrix<dlib::rgb_pixel> scanned;
  if (scale < 1) {
    scanned.set_size(std::max(1L, std::lround(pixels.nr() * scale)), std::max(1L, std::lround(pixels.nc() * scale)));
    dlib::resize_image(pixels, scanned, dlib::interpolate_bilinear());
  }
  const dlib::matrix<dlib::rgb_pixel>& scan = scale < 1 ? scanned : pixels;
  if (impl_->options.upsample == 0) {
    impl_->detector(scan, found, impl_->options.threshold);
  } else {
    dlib::matrix<dlib::rgb_pixel> larger = scan;
    dlib::pyramid_down<2> pyramid;
    for (int i = 0; i < impl_->options.upsample; ++i) dlib::pyramid_up(larger, pyramid);
    impl_->detector(larger, found, impl_->options.threshold);
    for (auto& d : found)
      for (int i = 0; i < impl_->options.upsample; ++i) d.rect = pyramid.rect_down(d.rect);
  }
  if (scale < 1) {  // back to the full image's pixels, where the landmarks are fitted
    const double sx = double(pixels.nc()) / scan.nc(), sy = double(pixels.nr()) / scan.nr();
    for (auto& d : found)
      d.rect = dlib::rectangle(std::lround(d.rect.left() * sx), std::lround(d.rect.top() * sy),
                               std::lround((d.rect.right() + 1) * sx) - 1, std::lround((d.rect.bottom() + 1) * sy) - 1);
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) {
    return a.detection_confidence > b.detection_confidence;
  });
  std::vector<Face> faces;
  for (const auto& d : found) faces.push_back(face_from((*impl_->predictor)(pixels, d.rect), d.detection_confidence));
  return faces;
}

Face FaceDetector::locate_landmarks(const Rgb8& image, const FaceBox& box) {
  const auto pixels = to_dlib_grey(image);
  dlib::rectangle rect(std::lround(box.left), std::lround(box.top), std::lround(box.right), std::lround(box.bottom));
  return face_from((*impl_->predictor)(pixels, rect), 0.0);
}

}  // namespace idef
