#include "defence/protect_photo.h"

#include <algorithm>
#include <cmath>

#include "io/image.h"
#include "io/tensor_image.h"

namespace idef {

CropPerturber generator_perturber(const PerturbationModel& model, const ProtectOptions& options) {
  return {model.image_size(), [model, options](const Rgb8& crop) {
            torch::NoGradGuard no_grad;
            torch::Tensor x = rgb8_to_tensor(crop);
            torch::Tensor delta = (apply_perturbation(model, x, options.epsilon, options.tau) - x) * 127.5;
            torch::Tensor hwc = delta[0].permute({1, 2, 0}).contiguous();
            return std::vector<float>(hwc.data_ptr<float>(), hwc.data_ptr<float>() + hwc.numel());
          }};
}

// out = round(clamp(in + delta, in ± cap, [0,255])): the cap holds after rounding too.
static Rgb8 add_delta(const Rgb8& photo, const std::vector<float>& delta, double tau) {
  const float cap = static_cast<float>(std::floor(tau * 127.5 + 0.5));
  Rgb8 out = photo;
  for (std::size_t i = 0; i < out.pixels.size(); ++i) {
    if (delta[i] == 0.f) continue;  // most of a photo or frame: keep it, skip the rounding
    float d = std::clamp(delta[i], -cap, cap);
    float v = std::round(photo.pixels[i] + d);
    out.pixels[i] = static_cast<std::uint8_t>(std::clamp(v, 0.f, 255.f));
  }
  return out;
}

Rgb8 protect_faces(const Rgb8& photo, const std::vector<FaceAlignment>& faces, const CropPerturber& perturber,
                   const ProtectOptions& options) {
  if (faces.empty()) return photo;
  std::vector<float> total;
  for (const FaceAlignment& alignment : faces) {
    Rgb8 crop = extract_crop(photo, alignment, perturber.crop_size);
    std::vector<float> delta = perturber.perturb(crop);
    std::vector<float> full = paste_back(delta, alignment, photo.width, photo.height, options.feather);
    if (total.empty()) {
      total = std::move(full);
    } else {
      for (std::size_t i = 0; i < total.size(); ++i) total[i] += full[i];
    }
  }
  return add_delta(photo, total, options.tau);
}

ProtectedPhoto protect_photo(const Rgb8& photo, FaceDetector& detector, const CropPerturber& perturber,
                             const ProtectOptions& options) {
  ProtectedPhoto result;
  std::vector<FaceAlignment> alignments;
  for (const Face& face : detector.detect(photo)) {
    alignments.push_back(align_face(face.landmarks));
    result.faces.push_back(face.box);
  }
  result.image = protect_faces(photo, alignments, perturber, options);
  return result;
}

Rgb8 protect_aligned(const Rgb8& crop, const CropPerturber& perturber, const ProtectOptions& options) {
  const int size = perturber.crop_size;
  Rgb8 small = resize_rgb8(crop, size, size);
  std::vector<float> delta = perturber.perturb(small);
  if (crop.width == size && crop.height == size) return add_delta(crop, delta, options.tau);
  // Bilinear in float: an 8-bit resize would round the perturbation away.
  std::vector<float> full(crop.pixels.size());
  for (int y = 0; y < crop.height; ++y)
    for (int x = 0; x < crop.width; ++x) {
      double sx = std::clamp((x + 0.5) * size / crop.width - 0.5, 0.0, size - 1.0);
      double sy = std::clamp((y + 0.5) * size / crop.height - 0.5, 0.0, size - 1.0);
      int x0 = static_cast<int>(sx), y0 = static_cast<int>(sy);
      int x1 = std::min(x0 + 1, size - 1), y1 = std::min(y0 + 1, size - 1);
      double fx = sx - x0, fy = sy - y0;
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int xx, int yy) { return delta[(std::size_t(yy) * size + xx) * 3 + c]; };
        full[(std::size_t(y) * crop.width + x) * 3 + c] = static_cast<float>(
            (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x1, y0)) + fy * ((1 - fx) * at(x0, y1) + fx * at(x1, y1)));
      }
    }
  return add_delta(crop, full, options.tau);
}

}  // namespace idef
