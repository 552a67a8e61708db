#include "data/talking_head.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.h"
#include "core/folder_walk.h"
#include "face/align.h"
#include "face/sketch.h"
#include "io/image.h"
#include "io/tensor_image.h"
#include "io/video_file.h"

namespace idef {
namespace {

std::vector<std::uint8_t> to_bytes(const Raster& r) {
  std::vector<std::uint8_t> out(r.values.size());
  std::transform(r.values.begin(), r.values.end(), out.begin(),
                 [](float v) { return static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0f, 1.0f) * 255)); });
  return out;
}

// Rows of byte planes as [B, 1, S, S] floats in [0, 1].
torch::Tensor planes(const std::vector<std::vector<std::uint8_t>>& source, const torch::Tensor& rows, int size) {
  auto r = rows.to(torch::kLong).contiguous();
  const std::int64_t n = r.numel();
  torch::Tensor out = torch::empty({n, 1, size, size}, torch::kUInt8);
  for (std::int64_t i = 0; i < n; ++i) {
    const auto& plane = source.at(static_cast<std::size_t>(r.data_ptr<std::int64_t>()[i]));
    std::copy(plane.begin(), plane.end(), out[i].data_ptr<std::uint8_t>());
  }
  return out.to(torch::kFloat) / 255.0;
}

}  // namespace

TalkingHead::TalkingHead(int size) : size_(size) {
  if (size < 16) throw UsageError("the face crop must be at least 16 pixels, not " + std::to_string(size));
}

bool align_best_face(FaceDetector& detector, const Rgb8& frame, int size, AlignedFace& out) {
  const std::vector<Face> faces = detector.detect(frame);  // highest score first
  if (faces.empty()) return false;
  const Face& best = faces.front();
  const FaceAlignment alignment = align_face(best.landmarks);
  out.crop = extract_crop(frame, alignment, size);
  const Affine2x3 to_crop = alignment.crop_from_image(size);
  for (int i = 0; i < kLandmarkCount; ++i) out.landmarks[i] = to_crop(best.landmarks[i]);
  return true;
}

void TalkingHead::add(const AlignedFace& face, std::int64_t frame_number) {
  if (face.crop.width != size_ || face.crop.height != size_)
    throw Error("talking head: a " + std::to_string(face.crop.width) + "x" + std::to_string(face.crop.height) +
                " crop in a set of " + std::to_string(size_) + " px crops");
  crops_.push_back(face.crop);
  sketches_.push_back(to_bytes(landmark_sketch(face.landmarks, size_, size_)));
  faces_.push_back(to_bytes(face_mask(face.landmarks, size_, size_, 0.0f)));
  frame_numbers_.push_back(frame_number);
}

TalkingHead TalkingHead::load(const std::string& input, const TalkingHeadOptions& options,
                              const std::function<void(std::int64_t)>& progress) {
  TalkingHead head(options.size);
  FaceDetector detector(options.detector);
  auto take = [&](const Rgb8& frame, std::int64_t number) {
    AlignedFace face;
    if (align_best_face(detector, frame, options.size, face))
      head.add(face, number);
    else
      head.skip(number);
    if (progress) progress(number + 1);
    return options.max_frames <= 0 || head.count() < options.max_frames;
  };

  if (std::filesystem::is_directory(input)) {
    std::int64_t number = 0;
    for (const std::string& name : walk_folder(input)) {
      const std::string path = (std::filesystem::path(input) / name).string();
      if (!take(Image::load(path).rgb(), number++)) break;
    }
  } else {
    VideoReader reader(input);
    const Rational rate = reader.info().avg_frame_rate;
    if (rate.num > 0 && rate.den > 0) head.frame_rate_ = rate;
    Rgb8 frame;
    for (std::int64_t number = 0; reader.read_rgb(frame); ++number)
      if (!take(frame, number)) break;
  }
  if (head.count() == 0)
    throw InputError(input, head.skipped().empty() ? "no frames" : "no frame has a face the detector finds");
  return head;
}

torch::Tensor TalkingHead::frames(const torch::Tensor& rows) const {
  auto r = rows.to(torch::kLong).contiguous();
  std::vector<Rgb8> picked;
  picked.reserve(static_cast<std::size_t>(r.numel()));
  for (std::int64_t i = 0; i < r.numel(); ++i) picked.push_back(crops_.at(static_cast<std::size_t>(r.data_ptr<std::int64_t>()[i])));
  return rgb8_to_tensor(picked);
}

torch::Tensor TalkingHead::sketches(const torch::Tensor& rows) const {
  return (planes(sketches_, rows, size_) * 2 - 1).expand({-1, 3, -1, -1}).contiguous();
}

torch::Tensor TalkingHead::masks(const torch::Tensor& rows, float outside) const {
  return outside + (1 - outside) * planes(faces_, rows, size_);
}

torch::Tensor TalkingHead::range(std::int64_t first, std::int64_t n) {
  return torch::arange(first, first + n, torch::kLong);
}

}  // namespace idef
