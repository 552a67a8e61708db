#include "defence/protect_photo.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

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

// out = round(clamp(in + delta, in ± cap, [0,255])) over a box of the photo: the cap holds
// after rounding too. `delta` covers the box, row-major, channels last.
static void add_delta_in(Rgb8& out, const Rgb8& photo, int left, int top, int width, int height,
                         const float* delta, double tau) {
  const float cap = static_cast<float>(std::floor(tau * 127.5 + 0.5));
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width * 3; ++x) {
      const float d0 = delta[std::size_t(y) * width * 3 + x];
      if (d0 == 0.f) continue;  // most of a crop's box: keep it, skip the rounding
      const std::size_t i = (std::size_t(y + top) * photo.width + left) * 3 + x;
      float v = std::round(photo.pixels[i] + std::clamp(d0, -cap, cap));
      out.pixels[i] = static_cast<std::uint8_t>(std::clamp(v, 0.f, 255.f));
    }
}

static Rgb8 add_delta(const Rgb8& photo, const std::vector<float>& delta, double tau) {
  Rgb8 out = photo;
  add_delta_in(out, photo, 0, 0, photo.width, photo.height, delta.data(), tau);
  return out;
}

Rgb8 protect_faces(const Rgb8& photo, const std::vector<FaceAlignment>& faces, const CropPerturber& perturber,
                   const ProtectOptions& options, ImageRegion* changed) {
  if (changed) *changed = ImageRegion{};
  std::vector<ImageRegion> regions;
  int x0 = photo.width, y0 = photo.height, x1 = -1, y1 = -1;
  for (const FaceAlignment& alignment : faces) {
    Rgb8 crop = extract_crop(photo, alignment, perturber.crop_size > 0 ? perturber.crop_size : kFreeCropSize);
    ImageRegion r = paste_back_region(perturber.perturb(crop), alignment, photo.width, photo.height, options.feather);
    if (r.empty()) continue;
    x0 = std::min(x0, r.left), y0 = std::min(y0, r.top);
    x1 = std::max(x1, r.left + r.width - 1), y1 = std::max(y1, r.top + r.height - 1);
    regions.push_back(std::move(r));
  }
  if (regions.empty()) return photo;
  // The faces' perturbations add up (overlapping faces), then the cap applies to the sum;
  // a single face's region is the sum already.
  const int w = x1 - x0 + 1, h = y1 - y0 + 1;
  std::vector<float> total;
  if (regions.size() > 1) {
    total.assign(std::size_t(w) * h * 3, 0.f);
    for (const ImageRegion& r : regions)
      for (int y = 0; y < r.height; ++y) {
        const float* src = &r.values[std::size_t(y) * r.width * 3];
        float* dst = &total[(std::size_t(y + r.top - y0) * w + (r.left - x0)) * 3];
        for (int i = 0; i < r.width * 3; ++i) dst[i] += src[i];
      }
  }
  Rgb8 out = photo;
  add_delta_in(out, photo, x0, y0, w, h, regions.size() > 1 ? total.data() : regions[0].values.data(), options.tau);
  if (changed) changed->left = x0, changed->top = y0, changed->width = w, changed->height = h;
  return out;
}

// out = clamp(out, in ± round(τ·127.5)) over a region: a chain's cap on the sum of its
// stages' changes (8-bit values, so it holds exactly).
static void cap_change(Rgb8& out, const Rgb8& in, const ImageRegion& r, double tau) {
  const int cap = static_cast<int>(std::floor(tau * 127.5 + 0.5));
  for (int y = r.top; y < r.top + r.height; ++y)
    for (int x = r.left * 3; x < (r.left + r.width) * 3; ++x) {
      const std::size_t i = std::size_t(y) * in.width * 3 + x;
      out.pixels[i] = static_cast<std::uint8_t>(std::clamp<int>(out.pixels[i], in.pixels[i] - cap, in.pixels[i] + cap));
    }
}

Rgb8 protect_faces(const Rgb8& photo, const std::vector<FaceAlignment>& faces, const PerturberChain& chain,
                   ImageRegion* changed) {
  if (chain.stages.size() == 1 && chain.tau >= chain.stages[0].options.tau)
    return protect_faces(photo, faces, chain.stages[0].perturber, chain.stages[0].options, changed);
  Rgb8 out = photo;
  int x0 = photo.width, y0 = photo.height, x1 = -1, y1 = -1;
  for (const PerturberChain::Stage& stage : chain.stages) {
    ImageRegion r;
    out = protect_faces(out, faces, stage.perturber, stage.options, &r);
    if (r.empty()) continue;
    x0 = std::min(x0, r.left), y0 = std::min(y0, r.top);
    x1 = std::max(x1, r.left + r.width - 1), y1 = std::max(y1, r.top + r.height - 1);
  }
  if (changed) *changed = ImageRegion{};
  if (x1 < 0) return out;
  const ImageRegion region{x0, y0, x1 - x0 + 1, y1 - y0 + 1, {}};
  cap_change(out, photo, region, chain.tau);
  if (changed) *changed = region;
  return out;
}

ProtectedPhoto protect_photo(const Rgb8& photo, FaceDetector& detector, const PerturberChain& chain) {
  ProtectedPhoto result;
  std::vector<FaceAlignment> alignments;
  for (const Face& face : detector.detect(photo)) {
    alignments.push_back(align_face(face.landmarks));
    result.faces.push_back(face.box);
  }
  result.image = protect_faces(photo, alignments, chain);
  return result;
}

ProtectedPhoto protect_photo(const Rgb8& photo, FaceDetector& detector, const CropPerturber& perturber,
                             const ProtectOptions& options) {
  return protect_photo(photo, detector, PerturberChain::single(perturber, options));
}

int max_change(const Rgb8& a, const Rgb8& b, const ImageRegion* region) {
  if (a.width != b.width || a.height != b.height) throw std::invalid_argument("max_change: images of two sizes");
  const ImageRegion all{0, 0, a.width, a.height, {}};
  const ImageRegion& r = region ? *region : all;
  int most = 0;
  for (int y = r.top; y < r.top + r.height; ++y)
    for (int x = r.left * 3; x < (r.left + r.width) * 3; ++x) {
      const std::size_t i = std::size_t(y) * a.width * 3 + x;
      most = std::max(most, std::abs(int(a.pixels[i]) - int(b.pixels[i])));
    }
  return most;
}

Rgb8 protect_aligned(const Rgb8& crop, const CropPerturber& perturber, const ProtectOptions& options) {
  if (perturber.crop_size == 0) return add_delta(crop, perturber.perturb(crop), options.tau);
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

Rgb8 protect_aligned(const Rgb8& crop, const PerturberChain& chain) {
  Rgb8 out = crop;
  for (const PerturberChain::Stage& stage : chain.stages) out = protect_aligned(out, stage.perturber, stage.options);
  cap_change(out, crop, {0, 0, crop.width, crop.height, {}}, chain.tau);
  return out;
}

}  // namespace idef
