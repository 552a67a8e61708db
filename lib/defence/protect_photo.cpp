#include "defence/protect_photo.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "core/pixel_kernel.h"
#include "core/stopwatch.h"
#include "defence/landmark_push.h"
#include "io/image.h"
#include "io/tensor_image.h"

namespace idef {

int cap_levels(double tau) { return static_cast<int>(std::floor(tau * 127.5 + 0.5)); }

CropPerturber generator_perturber(const PerturbationModel& model, const ProtectOptions& options) {
  return {model.image_size(), [model, options](const Rgb8& crop) {
            torch::NoGradGuard no_grad;
            torch::Tensor x = rgb8_to_tensor(crop);
            torch::Tensor delta = (apply_perturbation(model, x, options.epsilon, options.tau) - x) * 127.5;
            torch::Tensor hwc = delta[0].permute({1, 2, 0}).contiguous();
            return std::vector<float>(hwc.data_ptr<float>(), hwc.data_ptr<float>() + hwc.numel());
          }};
}

void Change::add(const Change& other) {
  most = std::max(most, other.most);
  if (other.empty()) return;
  if (empty()) {
    *this = Change{other.left, other.top, other.width, other.height, most};
    return;
  }
  const int right = std::max(left + width, other.left + other.width);
  const int bottom = std::max(top + height, other.top + other.height);
  left = std::min(left, other.left), top = std::min(top, other.top);
  width = right - left, height = bottom - top;
}

namespace {

// Where pixels changed, and by how much at most, as they are written.
class ChangeTracker {
 public:
  void row(int y, int first, int last, int most) {  // pixels first..last of row y changed
    x0_ = std::min(x0_, first), x1_ = std::max(x1_, last);
    y0_ = std::min(y0_, y), y1_ = std::max(y1_, y);
    most_ = std::max(most_, most);
  }
  Change result() const { return x1_ < 0 ? Change{} : Change{x0_, y0_, x1_ - x0_ + 1, y1_ - y0_ + 1, most_}; }

 private:
  int x0_ = std::numeric_limits<int>::max(), x1_ = -1, y0_ = std::numeric_limits<int>::max(), y1_ = -1, most_ = 0;
};

// after = round(clamp(before + d, before ± cap, [0, 255])) for n bytes, with no branch
// (vector code); returns the largest change. The cap holds after rounding too.
IDEF_PIXEL_KERNEL
int add_capped(int n, const std::uint8_t* __restrict before, const float* __restrict d, float cap,
               std::uint8_t* __restrict after) {
  int most = 0;
  for (int k = 0; k < n; ++k) {
    // Rounded half up; truncating the non-negative sum is its floor, with no libm call. A
    // zero d gives the same byte back.
    const float capped = d[k] < -cap ? -cap : (d[k] > cap ? cap : d[k]);
    const float up = before[k] + capped + 0.5f, low = up < 0.f ? 0.f : up;
    const int a = static_cast<int>(low > 255.5f ? 255.5f : low);
    after[k] = static_cast<std::uint8_t>(a);
    const int change = a > before[k] ? a - before[k] : before[k] - a;
    most = most > change ? most : change;
  }
  return most;
}

// add_capped for `count` pixels of row y from x on (out and in may be one image), with
// where and how much pixels changed. `d` has 3 values a pixel.
void add_span(Rgb8& out, const Rgb8& in, int y, int x, int count, const float* d, float cap, ChangeTracker& changes) {
  const std::size_t base = (std::size_t(y) * in.width + x) * 3;
  const std::uint8_t* before = in.pixels.data() + base;
  const int n = count * 3;
  // Into a row buffer first; then only the span that changed is found and copied.
  thread_local std::vector<std::uint8_t> row;
  if (row.size() < std::size_t(n)) row.resize(n);
  std::uint8_t* after = row.data();
  const int most = add_capped(n, before, d, cap, after);
  if (most == 0) {
    if (&out != &in) std::copy_n(before, n, out.pixels.data() + base);
    return;
  }
  int first = 0, last = n - 1;
  while (after[first] == before[first]) ++first;
  while (after[last] == before[last]) --last;
  std::copy_n(after, n, out.pixels.data() + base);
  changes.row(y, x + first / 3, x + last / 3, most);
}

float cap_of(double tau) { return static_cast<float>(cap_levels(tau)); }

// The size a face is cropped to for this perturber.
int face_crop_size(const CropPerturber& perturber) {
  return perturber.crop_size > 0 ? perturber.crop_size : kFreeCropSize;
}

}  // namespace

// add_span over a box of the photo; `delta` covers the box, row-major, channels last.
static Change add_delta_in(Rgb8& out, const Rgb8& photo, int left, int top, int width, int height,
                           const float* delta, double tau) {
  ChangeTracker changes;
  for (int y = 0; y < height; ++y)
    add_span(out, photo, top + y, left, width, delta + std::size_t(y) * width * 3, cap_of(tau), changes);
  return changes.result();
}

static Rgb8 add_delta(const Rgb8& photo, const std::vector<float>& delta, double tau) {
  Rgb8 out = photo;
  add_delta_in(out, photo, 0, 0, photo.width, photo.height, delta.data(), tau);
  return out;
}

void protect_faces_in_place(Rgb8& image, const std::vector<FaceAlignment>& faces, const CropPerturber& perturber,
                            const ProtectOptions& options, Change* change) {
  if (change) *change = Change{};
  // Every face's crop is taken before any is changed: overlapping faces see the photo.
  std::vector<std::vector<float>> deltas;
  for (const FaceAlignment& alignment : faces)
    deltas.push_back(perturber.perturb(extract_crop(image, alignment, face_crop_size(perturber))));
  // Faces whose footprints overlap, directly or through others, are pasted as one group:
  // their perturbations add up, then the cap applies to the sum. A group is usually one face,
  // whose warped rows go straight into the image; a box over all the faces of a group photo
  // would be most of the photo.
  const int size = face_crop_size(perturber);
  std::vector<ImageRegion> boxes;
  for (const FaceAlignment& alignment : faces) boxes.push_back(crop_footprint(alignment, size, image.width, image.height));
  auto overlap = [](const ImageRegion& a, const ImageRegion& b) {
    return a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;
  };
  std::vector<int> group(faces.size());
  for (std::size_t i = 0; i < faces.size(); ++i) group[i] = static_cast<int>(i);
  for (bool merged = true; merged;) {  // a handful of faces: the simple fixed point will do
    merged = false;
    for (std::size_t i = 0; i < faces.size(); ++i)
      for (std::size_t j = i + 1; j < faces.size(); ++j)
        if (group[i] != group[j] && !boxes[i].empty() && !boxes[j].empty() && overlap(boxes[i], boxes[j])) {
          const int from = std::max(group[i], group[j]), to = std::min(group[i], group[j]);
          for (int& g : group) g = g == from ? to : g;
          merged = true;
        }
  }
  const float cap = cap_of(options.tau);
  Change all;
  for (std::size_t g = 0; g < faces.size(); ++g) {
    std::vector<std::size_t> members;
    for (std::size_t i = 0; i < faces.size(); ++i)
      if (group[i] == static_cast<int>(g) && !boxes[i].empty()) members.push_back(i);
    if (members.empty()) continue;
    if (members.size() == 1) {
      ChangeTracker changes;
      paste_back_rows(deltas[members[0]], faces[members[0]], image.width, image.height, options.feather,
                      [&](int y, int x, int count, const float* values) {
                        add_span(image, image, y, x, count, values, cap, changes);
                      });
      all.add(changes.result());
      continue;
    }
    std::vector<ImageRegion> regions;
    int x0 = image.width, y0 = image.height, x1 = -1, y1 = -1;
    for (std::size_t i : members) {
      ImageRegion r = paste_back_region(deltas[i], faces[i], image.width, image.height, options.feather);
      x0 = std::min(x0, r.left), y0 = std::min(y0, r.top);
      x1 = std::max(x1, r.left + r.width - 1), y1 = std::max(y1, r.top + r.height - 1);
      regions.push_back(std::move(r));
    }
    const int w = x1 - x0 + 1, h = y1 - y0 + 1;
    std::vector<float> total(std::size_t(w) * h * 3, 0.f);
    for (const ImageRegion& r : regions)
      for (int y = 0; y < r.height; ++y) {
        const float* src = &r.values[std::size_t(y) * r.width * 3];
        float* dst = &total[(std::size_t(y + r.top - y0) * w + (r.left - x0)) * 3];
        for (int i = 0; i < r.width * 3; ++i) dst[i] += src[i];
      }
    all.add(add_delta_in(image, image, x0, y0, w, h, total.data(), options.tau));
  }
  if (change) *change = all;
}

Rgb8 protect_faces(const Rgb8& photo, const std::vector<FaceAlignment>& faces, const CropPerturber& perturber,
                   const ProtectOptions& options, Change* change) {
  Rgb8 out = photo;
  protect_faces_in_place(out, faces, perturber, options, change);
  return out;
}

// image = clamp(image, original ± round(τ·127.5)) over `box`, `original` holding the image's
// pixels from (left, top) on: a chain's cap on the sum of its stages' changes (8-bit values,
// so it holds exactly). Returns the largest change left (a later stage may undo an earlier
// one's).
static int cap_change(Rgb8& image, const Rgb8& original, int left, int top, const Change& box, double tau) {
  const int cap = static_cast<int>(cap_of(tau));
  int most = 0;
  for (int y = box.top; y < box.top + box.height; ++y)
    for (int x = box.left * 3; x < (box.left + box.width) * 3; ++x) {
      const int before = original.pixels[std::size_t(y - top) * original.width * 3 + x - left * 3];
      std::uint8_t& after = image.pixels[std::size_t(y) * image.width * 3 + x];
      after = static_cast<std::uint8_t>(std::clamp<int>(after, before - cap, before + cap));
      most = std::max(most, std::abs(after - before));
    }
  return most;
}

void protect_faces_in_place(Rgb8& image, const std::vector<FaceAlignment>& faces, const PerturberChain& chain,
                            Change* change) {
  if (change) *change = Change{};
  if (chain.stages.size() == 1 && chain.tau >= chain.stages[0].options.tau) {
    protect_faces_in_place(image, faces, chain.stages[0].perturber, chain.stages[0].options, change);
    return;
  }
  // Only the crops' footprints can change: the original is kept there alone, for the cap.
  Change footprints;
  for (const Protection& stage : chain.stages)
    for (const FaceAlignment& alignment : faces) {
      const ImageRegion r = crop_footprint(alignment, face_crop_size(stage.perturber), image.width, image.height);
      footprints.add(Change{r.left, r.top, r.width, r.height, 0});
    }
  if (footprints.empty()) return;
  const Rgb8 original = crop_rgb8(image, footprints.left, footprints.top, footprints.width, footprints.height);
  Change all;
  for (const Protection& stage : chain.stages) {
    Change c;
    protect_faces_in_place(image, faces, stage.perturber, stage.options, &c);
    all.add(c);
  }
  if (all.empty()) return;
  all.most = cap_change(image, original, footprints.left, footprints.top, all, chain.tau);
  if (change) *change = all;
}

Rgb8 protect_faces(const Rgb8& photo, const std::vector<FaceAlignment>& faces, const PerturberChain& chain,
                   Change* change) {
  Rgb8 out = photo;
  protect_faces_in_place(out, faces, chain, change);
  return out;
}

PerturberChain timed_chain(PerturberChain chain, double& seconds) {
  for (auto& stage : chain.stages)
    stage.perturber.perturb = [inner = std::move(stage.perturber.perturb), &seconds](const Rgb8& crop) {
      const auto start = Clock::now();
      std::vector<float> delta = inner(crop);
      seconds += seconds_since(start);
      return delta;
    };
  return chain;
}

ProtectedPhoto protect_photo(const Rgb8& photo, FaceDetector& detector, const PerturberChain& chain) {
  ProtectedPhoto result;
  std::vector<FaceAlignment> alignments;
  auto start = Clock::now();
  const std::vector<Face> faces = detector.detect(photo);
  for (const Face& face : faces) {
    alignments.push_back(align_face(face.landmarks));
    result.faces.push_back(face.box);
  }
  result.detect_seconds = seconds_since(start);
  start = Clock::now();
  result.image = protect_faces(photo, alignments, chain);
  if (chain.push_landmarks)
    for (const Face& face : faces)
      push_landmarks(result.image, photo, face, detector.landmark_predictor(), cap_levels(chain.tau));
  result.protect_seconds = seconds_since(start);
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
  for (const Protection& stage : chain.stages) out = protect_aligned(out, stage.perturber, stage.options);
  cap_change(out, crop, 0, 0, {0, 0, crop.width, crop.height, 0}, chain.tau);
  return out;
}

}  // namespace idef
