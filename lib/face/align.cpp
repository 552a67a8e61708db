#include "face/align.h"

#include "core/pixel_kernel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

namespace idef {

Affine2x3 Affine2x3::inverse() const {
  double det = a * e - b * d;
  if (std::abs(det) < 1e-12) throw std::invalid_argument("Affine2x3::inverse: singular matrix");
  Affine2x3 inv;
  inv.a = e / det;
  inv.b = -b / det;
  inv.d = -d / det;
  inv.e = a / det;
  inv.c = -(inv.a * c + inv.b * f);
  inv.f = -(inv.d * c + inv.e * f);
  return inv;
}

Affine2x3 Affine2x3::after(const Affine2x3& first) const {
  Affine2x3 r;
  r.a = a * first.a + b * first.d;
  r.b = a * first.b + b * first.e;
  r.c = a * first.c + b * first.f + c;
  r.d = d * first.a + e * first.d;
  r.e = d * first.b + e * first.e;
  r.f = d * first.c + e * first.f + f;
  return r;
}

// Unit crop coordinates → pixels of a size×size crop: pixel j covers [j, j+1)/size.
static Affine2x3 pixels_from_unit(int size) {
  Affine2x3 m;
  m.a = m.e = size;
  m.c = m.f = -0.5;
  return m;
}

Affine2x3 FaceAlignment::crop_from_image(int size) const { return pixels_from_unit(size).after(unit_from_image); }
Affine2x3 FaceAlignment::image_from_crop(int size) const { return crop_from_image(size).inverse(); }
double FaceAlignment::crop_side_in_image() const {
  return 1.0 / std::sqrt(std::abs(unit_from_image.a * unit_from_image.e - unit_from_image.b * unit_from_image.d));
}

const std::array<Point2, 5>& canonical_face_points() {
  // Mean CelebA aligned landmarks (178×218 images) in the 178×178 centre crop, as fractions.
  static const std::array<Point2, 5> points = {{
      {69.0 / 178, 91.0 / 178},   // image-left eye centre
      {108.0 / 178, 91.0 / 178},  // image-right eye centre
      {88.0 / 178, 115.0 / 178},  // nose tip
      {73.0 / 178, 132.0 / 178},  // left mouth corner
      {105.0 / 178, 132.0 / 178}, // right mouth corner
  }};
  return points;
}

static Point2 mean_of(const Landmarks& l, const int range[2]) {
  Point2 m;
  for (int i = range[0]; i <= range[1]; ++i) {
    m.x += l[i].x;
    m.y += l[i].y;
  }
  int n = range[1] - range[0] + 1;
  return {m.x / n, m.y / n};
}

std::array<Point2, 5> face_points(const Landmarks& l) {
  return {mean_of(l, landmark::kLeftEye), mean_of(l, landmark::kRightEye), l[landmark::kNoseTip],
          l[landmark::kMouthLeft], l[landmark::kMouthRight]};
}

Affine2x3 fit_similarity(const std::vector<Point2>& from, const std::vector<Point2>& to) {
  if (from.size() != to.size() || from.size() < 2)
    throw std::invalid_argument("fit_similarity: needs two or more point pairs");
  const double n = double(from.size());
  Point2 mf, mt;
  for (size_t i = 0; i < from.size(); ++i) {
    mf.x += from[i].x / n, mf.y += from[i].y / n;
    mt.x += to[i].x / n, mt.y += to[i].y / n;
  }
  // Closed form for x' = s·R·x + t in the least-squares sense: with centred points,
  // [p −q; q p] minimises Σ|M·f − t|², p = Σ f·t / Σ|f|², q = Σ f×t / Σ|f|².
  double dot = 0, cross = 0, norm = 0;
  for (size_t i = 0; i < from.size(); ++i) {
    double fx = from[i].x - mf.x, fy = from[i].y - mf.y;
    double tx = to[i].x - mt.x, ty = to[i].y - mt.y;
    dot += fx * tx + fy * ty;
    cross += fx * ty - fy * tx;
    norm += fx * fx + fy * fy;
  }
  if (norm < 1e-12) throw std::invalid_argument("fit_similarity: source points coincide");
  double p = dot / norm, q = cross / norm;
  Affine2x3 m;
  m.a = p, m.b = -q, m.d = q, m.e = p;
  m.c = mt.x - (p * mf.x - q * mf.y);
  m.f = mt.y - (q * mf.x + p * mf.y);
  return m;
}

FaceAlignment align_face(const Landmarks& landmarks) {
  auto src = face_points(landmarks);
  const auto& dst = canonical_face_points();
  FaceAlignment alignment;
  alignment.unit_from_image = fit_similarity({src.begin(), src.end()}, {dst.begin(), dst.end()});
  return alignment;
}

namespace {

// Bilinear sample of channel-last float or byte data, edges repeated.
template <typename T>
void sample_bilinear(const T* data, int width, int height, double x, double y, float out[3]) {
  x = std::clamp(x, 0.0, double(width - 1));
  y = std::clamp(y, 0.0, double(height - 1));
  int x0 = int(std::floor(x)), y0 = int(std::floor(y));
  int x1 = std::min(x0 + 1, width - 1), y1 = std::min(y0 + 1, height - 1);
  double fx = x - x0, fy = y - y0;
  auto at = [&](int xx, int yy, int c) { return double(data[(size_t(yy) * width + xx) * 3 + c]); };
  for (int c = 0; c < 3; ++c) {
    double top = at(x0, y0, c) * (1 - fx) + at(x1, y0, c) * fx;
    double bottom = at(x0, y1, c) * (1 - fx) + at(x1, y1, c) * fx;
    out[c] = float(top * (1 - fy) + bottom * fy);
  }
}

}  // namespace

Rgb8 extract_crop(const Rgb8& image, const FaceAlignment& alignment, int size) {
  if (size <= 0) throw std::invalid_argument("extract_crop: size must be positive");
  if (image.width <= 0 || image.height <= 0) throw std::invalid_argument("extract_crop: empty image");
  const Affine2x3 to_image = alignment.image_from_crop(size);
  Rgb8 crop(size, size);
  float v[3];
  for (int j = 0; j < size; ++j) {
    for (int i = 0; i < size; ++i) {
      Point2 p = to_image({double(i), double(j)});
      sample_bilinear(image.data(), image.width, image.height, p.x, p.y, v);
      for (int c = 0; c < 3; ++c) crop.at(i, j, c) = std::uint8_t(std::clamp(std::lround(v[c]), 0L, 255L));
    }
  }
  return crop;
}

namespace {

int crop_size_of(const std::vector<float>& delta_crop) {
  const int size = int(std::lround(std::sqrt(delta_crop.size() / 3.0)));
  if (size <= 0 || size_t(size) * size * 3 != delta_crop.size())
    throw std::invalid_argument("paste_back: delta is not size×size×3 (" + std::to_string(delta_crop.size()) +
                                " values)");
  return size;
}

}  // namespace

ImageRegion crop_footprint(const FaceAlignment& alignment, int size, int width, int height) {
  if (width <= 0 || height <= 0) throw std::invalid_argument("paste_back: empty image");
  const Affine2x3 to_image = alignment.image_from_crop(size);
  double x_lo = 1e300, x_hi = -1e300, y_lo = 1e300, y_hi = -1e300;
  for (Point2 corner : {Point2{-0.5, -0.5}, Point2{size - 0.5, -0.5}, Point2{-0.5, size - 0.5},
                        Point2{size - 0.5, size - 0.5}}) {
    Point2 p = to_image(corner);
    x_lo = std::min(x_lo, p.x), x_hi = std::max(x_hi, p.x);
    y_lo = std::min(y_lo, p.y), y_hi = std::max(y_hi, p.y);
  }
  ImageRegion region;
  const int x0 = std::max(0, int(std::floor(x_lo))), x1 = std::min(width - 1, int(std::ceil(x_hi)));
  const int y0 = std::max(0, int(std::floor(y_lo))), y1 = std::min(height - 1, int(std::ceil(y_hi)));
  if (x1 < x0 || y1 < y0) return region;
  region.left = x0, region.top = y0, region.width = x1 - x0 + 1, region.height = y1 - y0 + 1;
  return region;
}

namespace {

struct RowLine {  // a row's coordinate at its first pixel, and its step per pixel
  float x, y, dx, dy;
};

// For n pixels of a row: where each one's bilinear sample starts in a crop padded to
// `stride` columns, and its four corner weights with the feather mask folded in (0 outside
// the crop, a smoothstep over the feather: no visible seam, 1 inside). Straight-line
// arithmetic on separate arrays: the compiler turns the loop into vector code.
IDEF_PIXEL_KERNEL
void bilinear_row_weights(int n, RowLine unit, RowLine crop, float inv_feather, float top, int stride,
                          int* __restrict start, float* __restrict w00, float* __restrict w10, float* __restrict w01,
                          float* __restrict w11) {
  for (int k = 0; k < n; ++k) {
    const float px = unit.x + k * unit.dx, py = unit.y + k * unit.dy;
    const float ex = px < 1.f - px ? px : 1.f - px, ey = py < 1.f - py ? py : 1.f - py;
    const float edge = ex < ey ? ex : ey;  // to the crop's border
    float t = edge * inv_feather;
    t = t < 0.f ? 0.f : t;
    t = t > 1.f ? 1.f : t;
    const float w = t * t * (3 - 2 * t);
    float cx = crop.x + k * crop.dx, cy = crop.y + k * crop.dy;  // the crop's edge pixels repeated outside it
    cx = cx < 0.f ? 0.f : cx;
    cx = cx > top ? top : cx;
    cy = cy < 0.f ? 0.f : cy;
    cy = cy > top ? top : cy;
    const int i0 = static_cast<int>(cx), j0 = static_cast<int>(cy);
    const float fx = cx - static_cast<float>(i0), fy = cy - static_cast<float>(j0);
    start[k] = j0 * stride + i0;
    w00[k] = w * (1 - fx) * (1 - fy), w10[k] = w * fx * (1 - fy), w01[k] = w * (1 - fx) * fy, w11[k] = w * fx * fy;
  }
}

}  // namespace

ImageRegion paste_back_rows(const std::vector<float>& delta_crop, const FaceAlignment& alignment, int width,
                            int height, double feather, const PastedRow& row) {
  const int size = crop_size_of(delta_crop);
  // Only the crop's footprint can receive anything.
  ImageRegion region = crop_footprint(alignment, size, width, height);
  if (region.empty()) return region;
  const int x0 = region.left, x1 = region.left + region.width - 1;
  const int y0 = region.top, y1 = region.top + region.height - 1;
  // Per row, only the span where the crop lies is visited: each of the four border
  // distances is linear in x, so the span is where all four are positive (one pixel of
  // slack each side; the per-pixel test below decides).
  const Affine2x3 to_unit = alignment.unit_from_image;
  const Affine2x3 to_crop = alignment.crop_from_image(size);
  // feather 0: a step at the border (any edge distance above 1e-30 weighs 1).
  const float inv_f = feather > 0 ? static_cast<float>(1.0 / feather) : 1e30f;
  // The crop as one 4-float vector a pixel (the 4th lane unused), its last column and row
  // repeated once more: a bilinear sample's four corners are then always inside, and each is
  // one vector load.
  typedef float Vec4 __attribute__((vector_size(16)));
  const int stride = size + 1;
  thread_local std::vector<Vec4> padded;
  padded.resize(std::size_t(stride) * stride);
  for (int j = 0; j < stride; ++j)
    for (int i = 0; i < stride; ++i) {
      const float* p = &delta_crop[(std::size_t(std::min(j, size - 1)) * size + std::min(i, size - 1)) * 3];
      padded[std::size_t(j) * stride + i] = Vec4{p[0], p[1], p[2], 0.f};
    }
  // Per pixel of a row: where its sample starts in `padded` and the four corner weights
  // (the feather mask folded in), computed in one pass with no branch (vector code).
  thread_local std::vector<int> start;
  thread_local std::vector<float> w00, w10, w01, w11;
  const std::size_t most = std::size_t(region.width) + 2;
  for (auto* v : {&w00, &w10, &w01, &w11}) v->resize(most);
  start.resize(most);
  std::vector<float> values(std::size_t(region.width) * 3 + 1);  // + 1: each pixel is stored as 4 floats
  for (int y = y0; y <= y1; ++y) {
    double lo = x0, hi = x1;
    // u.x = a·x + (b·y + c), u.y = d·x + (e·y + f): each of u.x, 1 − u.x, u.y, 1 − u.y > 0.
    auto keep_positive = [&](double slope, double at0) {  // slope·x + at0 > 0
      if (slope > 0) lo = std::max(lo, std::floor(-at0 / slope) - 1);
      else if (slope < 0) hi = std::min(hi, std::ceil(-at0 / slope) + 1);
      else if (at0 <= 0) hi = lo - 1;
    };
    const double ux0 = to_unit.b * y + to_unit.c, uy0 = to_unit.e * y + to_unit.f;
    keep_positive(to_unit.a, ux0);
    keep_positive(-to_unit.a, 1 - ux0);
    keep_positive(to_unit.d, uy0);
    keep_positive(-to_unit.d, 1 - uy0);
    if (!(lo <= hi)) continue;  // also when a bound is infinite
    const int first = int(lo), n = int(hi) - first + 1;
    const float ux = static_cast<float>(to_unit.a * first + ux0), uy = static_cast<float>(to_unit.d * first + uy0);
    const float qx = static_cast<float>(to_crop.a * first + to_crop.b * y + to_crop.c);
    const float qy = static_cast<float>(to_crop.d * first + to_crop.e * y + to_crop.f);
    const float dux = static_cast<float>(to_unit.a), duy = static_cast<float>(to_unit.d);
    const float dqx = static_cast<float>(to_crop.a), dqy = static_cast<float>(to_crop.d);
    const float top = size - 1.f;
    bilinear_row_weights(n, {ux, uy, dux, duy}, {qx, qy, dqx, dqy}, inv_f, top, stride, start.data(), w00.data(),
                         w10.data(), w01.data(), w11.data());
    float* o = values.data();
    for (int k = 0; k < n; ++k, o += 3) {
      const Vec4* p = &padded[start[k]];
      const Vec4 v = w00[k] * p[0] + w10[k] * p[1] + w01[k] * p[stride] + w11[k] * p[stride + 1];
      std::memcpy(o, &v, sizeof v);  // its 4th lane is overwritten by the next pixel
    }
    row(y, first, n, values.data());
  }
  return region;
}

ImageRegion paste_back_region(const std::vector<float>& delta_crop, const FaceAlignment& alignment, int width,
                              int height, double feather) {
  ImageRegion region = crop_footprint(alignment, crop_size_of(delta_crop), width, height);
  if (region.empty()) return region;
  region.values.assign(size_t(region.width) * region.height * 3, 0.0f);
  paste_back_rows(delta_crop, alignment, width, height, feather, [&](int y, int x, int count, const float* values) {
    std::copy_n(values, std::size_t(count) * 3,
                &region.values[(size_t(y - region.top) * region.width + (x - region.left)) * 3]);
  });
  return region;
}

std::vector<float> paste_back(const std::vector<float>& delta_crop, const FaceAlignment& alignment,
                              int width, int height, double feather) {
  ImageRegion region = paste_back_region(delta_crop, alignment, width, height, feather);
  std::vector<float> out(size_t(width) * height * 3, 0.0f);
  for (int y = 0; y < region.height; ++y)
    std::copy_n(&region.values[size_t(y) * region.width * 3], size_t(region.width) * 3,
                &out[(size_t(y + region.top) * width + region.left) * 3]);
  return out;
}

}  // namespace idef
