#include "data/synth_face.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace idef::synth {

const std::array<const char*, kCelebAAttributeCount> kCelebAAttributes = {
    "5_o_Clock_Shadow", "Arched_Eyebrows", "Attractive",       "Bags_Under_Eyes", "Bald",
    "Bangs",            "Big_Lips",        "Big_Nose",         "Black_Hair",      "Blond_Hair",
    "Blurry",           "Brown_Hair",      "Bushy_Eyebrows",   "Chubby",          "Double_Chin",
    "Eyeglasses",       "Goatee",          "Gray_Hair",        "Heavy_Makeup",    "High_Cheekbones",
    "Male",             "Mouth_Slightly_Open", "Mustache",     "Narrow_Eyes",     "No_Beard",
    "Oval_Face",        "Pale_Skin",       "Pointy_Nose",      "Receding_Hairline", "Rosy_Cheeks",
    "Sideburns",        "Smiling",         "Straight_Hair",    "Wavy_Hair",       "Wearing_Earrings",
    "Wearing_Hat",      "Wearing_Lipstick", "Wearing_Necklace", "Wearing_Necktie", "Young"};

int celeba_attribute_index(const std::string& name) {
  for (int i = 0; i < kCelebAAttributeCount; ++i)
    if (name == kCelebAAttributes[i]) return i;
  return -1;
}

const std::vector<std::string>& editable_attributes() {
  static const std::vector<std::string> names = {
      "Bald",      "Bangs",     "Black_Hair",  "Blond_Hair",          "Brown_Hair", "Eyeglasses",
      "Gray_Hair", "Heavy_Makeup", "Male",     "Mouth_Slightly_Open", "Mustache",   "Narrow_Eyes",
      "Pale_Skin", "Rosy_Cheeks", "Smiling",   "Wavy_Hair",           "Wearing_Lipstick", "Young"};
  return names;
}

bool is_editable(const std::string& attribute) {
  const auto& e = editable_attributes();
  return std::find(e.begin(), e.end(), attribute) != e.end();
}

namespace {

// ---------------------------------------------------------------- random numbers
// Counter-based: every value is a hash of its inputs, so nothing depends on call order
// outside one face.

inline std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

inline std::uint64_t hash3(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
  return mix64(mix64(mix64(a) ^ b) ^ c);
}

class Rng {
 public:
  explicit Rng(std::uint64_t key) : state_(key) {}
  std::uint64_t next() { return mix64(state_ += 0x9E3779B97F4A7C15ull); }
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  double uniform(double a, double b) { return a + (b - a) * uniform(); }
  bool chance(double p) { return uniform() < p; }
  // Box-Muller on our own bits: the same numbers with every standard library.
  double normal(double mean, double sd) {
    double u1 = std::max(uniform(), 1e-300), u2 = uniform();
    return mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }
  double normal_clamped(double mean, double sd, double lo, double hi) {
    return std::clamp(normal(mean, sd), lo, hi);
  }

 private:
  std::uint64_t state_;
};

inline double unit_hash(std::uint64_t seed, std::int64_t x, std::int64_t y) {
  return double(hash3(seed, std::uint64_t(x), std::uint64_t(y)) >> 11) * 0x1.0p-53;
}

// Smooth value noise in [0, 1): hashed lattice values, smoothstep-interpolated.
double value_noise(double x, double y, std::uint64_t seed) {
  double fx = std::floor(x), fy = std::floor(y);
  auto ix = std::int64_t(fx), iy = std::int64_t(fy);
  double tx = x - fx, ty = y - fy;
  tx = tx * tx * (3 - 2 * tx);
  ty = ty * ty * (3 - 2 * ty);
  double a = unit_hash(seed, ix, iy), b = unit_hash(seed, ix + 1, iy);
  double c = unit_hash(seed, ix, iy + 1), d = unit_hash(seed, ix + 1, iy + 1);
  return (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty;
}

// ---------------------------------------------------------------- colours

Colour rgb(double r, double g, double b) { return {float(r), float(g), float(b)}; }
Colour lerp(const Colour& a, const Colour& b, double t) {
  return rgb(a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t);
}
Colour scaled(const Colour& a, double k) { return rgb(a.r * k, a.g * k, a.b * k); }

inline void over(Colour& dst, const Colour& src, double alpha) {
  if (alpha <= 0) return;
  float a = float(std::min(alpha, 1.0));
  dst.r += (src.r - dst.r) * a;
  dst.g += (src.g - dst.g) * a;
  dst.b += (src.b - dst.b) * a;
}

// One colour per hair colour, lighter or darker by the same factor for all four: a hair
// colour edit then maps each hair pixel by a fixed ratio per channel, whatever the light
// and the shade, so that its counterfactual is a function of what the input shows (shades
// spread differently per colour would hide the new colour's shade in a black-haired face).
// With lossy edits black hair keeps a twentieth of that spread (see sample_face).
Colour hair_colour(HairColour h, double shade, bool lossy_edits) {
  double k = 0.88 + 0.24 * shade;
  switch (h) {
    case HairColour::Black: return scaled(rgb(0.09, 0.072, 0.067), lossy_edits ? 0.994 + 0.012 * shade : k);
    case HairColour::Brown: return scaled(rgb(0.37, 0.23, 0.125), k);
    case HairColour::Blond: return scaled(rgb(0.845, 0.725, 0.46), k);
    case HairColour::Gray: return scaled(rgb(0.685, 0.685, 0.69), k);
  }
  return {};
}

Colour skin_colour(const FaceParams& f) {
  if (!f.pale_skin) return f.skin;
  // Pale: lighter, less saturated, a little pink.
  return lerp(f.skin, rgb(0.97, 0.90, 0.87), 0.6);
}

// ---------------------------------------------------------------- geometry helpers

inline double clamp01(double v) { return v < 0 ? 0 : (v > 1 ? 1 : v); }
// Coverage of a pixel of footprint `px` by the inside (d < 0) of a distance field, with
// an optional extra softness.
inline double cover(double d, double px, double soft = 0) { return clamp01(0.5 - d / (px + soft)); }

// How much of a procedural texture of `rate` cycles (or noise cells) per face unit a pixel
// of footprint `px` can show: all of it up to a quarter of a cycle per pixel, none from half
// a cycle on. Finer texture sampled at pixel centres aliases into per-pixel noise, which a
// camera's optics would have blurred away and which no editor could learn or copy.
inline double resolvable(double rate, double px) {
  double t = clamp01(2 - 4 * rate * px);
  return t * t * (3 - 2 * t);
}
// A texture value drawn toward its mean as far as the pixel cannot resolve it.
inline double band_limited(double value, double mean, double rate, double px) {
  return mean + (value - mean) * resolvable(rate, px);
}

// Approximate signed distance to an axis-aligned ellipse (first-order, good near the edge).
inline double ellipse_sd(double x, double y, double cx, double cy, double rx, double ry) {
  double dx = (x - cx) / rx, dy = (y - cy) / ry;
  double k0 = std::sqrt(dx * dx + dy * dy);
  double gx = (x - cx) / (rx * rx), gy = (y - cy) / (ry * ry);
  double k1 = std::sqrt(gx * gx + gy * gy);
  if (k1 < 1e-12) return -std::min(rx, ry);
  return k0 * (k0 - 1.0) / k1;
}

inline double segment_sd(double x, double y, double ax, double ay, double bx, double by, double r) {
  double px = x - ax, py = y - ay, vx = bx - ax, vy = by - ay;
  double h = std::clamp((px * vx + py * vy) / (vx * vx + vy * vy), 0.0, 1.0);
  double dx = px - vx * h, dy = py - vy * h;
  return std::sqrt(dx * dx + dy * dy) - r;
}

// An egg: different vertical radii above and below the centre (continuous at the centre).
inline double egg_sd(double x, double y, double cx, double cy, double rx, double ry_top, double ry_bottom) {
  return ellipse_sd(x, y, cx, cy, rx, y < cy ? ry_top : ry_bottom);
}

inline double box_sd(double x, double y, double cx, double cy, double hx, double hy, double radius) {
  double qx = std::fabs(x - cx) - hx + radius, qy = std::fabs(y - cy) - hy + radius;
  double ox = std::max(qx, 0.0), oy = std::max(qy, 0.0);
  return std::sqrt(ox * ox + oy * oy) + std::min(std::max(qx, qy), 0.0) - radius;
}

inline double smin(double a, double b, double k) {
  double h = clamp01(0.5 + 0.5 * (b - a) / k);
  return b + (a - b) * h - k * h * (1 - h);
}

constexpr double kPoseCentreX = 0.5, kPoseCentreY = 0.55;

// Derived geometry shared by the renderer and the landmarks.
struct Geometry {
  const FaceParams& f;
  double cranium_cy, cranium_ry, cranium_ry_low, jaw_cy, jaw_ry;
  // eyes
  double eye_cx[2], ew, eh_up, eh_low;
  // brows
  double brow_cx[2], brow_cy, brow_hw, brow_thick;
  // mouth
  double mw, smile, gap, ut, lt;
  // hair
  bool long_hair, has_hair;

  explicit Geometry(const FaceParams& face) : f(face) {
    cranium_cy = 0.53;
    cranium_ry = cranium_cy - f.crown_y;
    // The skull's lower half ends above the chin; the jaw makes the chin.
    cranium_ry_low = f.chin_y - 0.035 - cranium_cy;
    jaw_cy = 0.70;
    jaw_ry = f.chin_y - jaw_cy;
    eye_cx[0] = 0.5 - f.eye_half_sep;
    eye_cx[1] = 0.5 + f.eye_half_sep;
    ew = f.eye_half_width;
    double narrow = f.narrow_eyes ? 0.55 : 1.0;
    double open = std::clamp(f.eye_open, 0.0, 1.0);
    eh_up = f.eye_height * narrow * open;
    eh_low = 0.55 * f.eye_height * (f.narrow_eyes ? 0.7 : 1.0) * open;
    brow_cx[0] = eye_cx[0] + 0.004;
    brow_cx[1] = eye_cx[1] - 0.004;
    brow_cy = f.eye_y - f.brow_gap;
    brow_hw = ew * 1.35;
    brow_thick = f.brow_thickness * (f.male ? 1.35 : 1.0);
    mw = f.mouth_half_width * (f.smiling ? 1.12 : 1.0);
    smile = f.smiling ? 0.02 : 0.0;
    gap = (f.mouth_open ? 0.011 : 0.0) + (f.smiling ? 0.013 : 0.0) + 0.028 * std::clamp(f.speech_open, 0.0, 1.0);
    ut = f.upper_lip * (f.smiling ? 0.8 : 1.0);
    lt = f.lower_lip * (f.smiling ? 0.85 : 1.0);
    has_hair = !f.bald;
    long_hair = has_hair && !f.male;
  }

  double face_sd(double x, double y) const {
    double a = egg_sd(x, y, 0.5, cranium_cy, f.face_half_width, cranium_ry, cranium_ry_low);
    double b = ellipse_sd(x, y, 0.5, jaw_cy, f.jaw_half_width, jaw_ry);
    return smin(a, b, 0.03);
  }

  // Eye i (0 = image left): lid curves at local s in [-1, 1].
  double eye_centre_y(int i, double s) const {
    double outer = i == 0 ? -s : s;  // +1 at the outer corner
    return f.eye_y - f.eye_tilt * ew * outer;
  }
  double upper_lid(int i, double s) const {
    double w = 1 - s * s;
    double outer = i == 0 ? -s : s;
    return eye_centre_y(i, s) - eh_up * w * (1.0 - 0.15 * outer);
  }
  double lower_lid(int i, double s) const { return eye_centre_y(i, s) + eh_low * (1 - s * s); }

  // Brow centre line and thickness at local s in [-1, 1] (image left to right).
  double brow_y(int i, double s) const {
    double peak = i == 0 ? -0.3 : 0.3;  // arch peaks towards the outer end
    double t = (s - peak) / 1.3;
    return brow_cy - f.brow_arch * (1 - t * t) + 0.004;
  }
  double brow_t(int i, double s) const {
    double inner = i == 0 ? s : -s;  // +1 at the inner end
    return brow_thick * (0.75 + 0.25 * inner) * (1 - 0.35 * std::pow(std::fabs(s), 6));
  }

  // Mouth curves at local s in [-1, 1].
  double mouth_mid(double s) const { return f.mouth_y + smile * (0.35 - s * s); }
  double gap_at(double s) const { return gap * std::pow(std::max(0.0, 1 - s * s), 0.8); }
  double upper_inner(double s) const { return mouth_mid(s) - 0.35 * gap_at(s); }
  double lower_inner(double s) const { return mouth_mid(s) + 0.65 * gap_at(s); }
  double upper_outer(double s) const {
    double w = std::pow(std::max(0.0, 1 - s * s), 0.6);
    double cupid = 1.0 - 0.3 * std::exp(-(s / 0.12) * (s / 0.12));
    return upper_inner(s) - ut * w * cupid;
  }
  double lower_outer(double s) const {
    return lower_inner(s) + lt * std::pow(std::max(0.0, 1 - s * s), 0.6);
  }

  // Hairline (top of the visible forehead) at x.
  double hairline(double x) const {
    double u = (x - 0.5 - f.hair_part) / f.face_half_width;
    double y = f.hairline_y + 0.13 * u * u;
    if (f.bangs && std::fabs(u) < 1.0) {
      double fringe = brow_cy - brow_thick - 0.022 + 0.007 * std::sin(x * 140 + f.hair_phase);
      double edge = 1 - std::pow(std::fabs(u), 4);  // the fringe rounds off at the temples
      y = std::max(y, f.hairline_y + (fringe - f.hairline_y) * edge);
    }
    return y;
  }
};

// ---------------------------------------------------------------- the renderer

struct Scene {
  const FaceParams& f;
  Geometry g;
  Colour skin, hair, brow, beard, lips, bg_a, bg_b;
  double lx, ly, lz;
  std::uint64_t tex;

  explicit Scene(const FaceParams& face) : f(face), g(face) {
    skin = skin_colour(f);
    hair = hair_colour(f.hair, f.hair_shade, f.lossy_edits);
    brow = f.brow;
    beard = scaled(hair, 0.8);
    Colour natural_lips = lerp(skin, rgb(0.72, 0.36, 0.36), 0.45);
    lips = f.lipstick ? f.lips : natural_lips;
    double n = std::sqrt(f.light_x * f.light_x + f.light_y * f.light_y + 1.0);
    lx = f.light_x / n, ly = f.light_y / n, lz = 1.0 / n;
    tex = std::uint64_t(f.texture_seed * 9007199254740992.0);
  }

  // Lambert-like shading of a head-sized sphere; a function of position only.
  double shade(double x, double y) const {
    double nx = (x - 0.5) / 0.42, ny = (y - 0.55) / 0.5;
    double r2 = nx * nx + ny * ny;
    double nz = std::sqrt(std::max(0.04, 1 - r2));
    double norm = std::sqrt(nx * nx + ny * ny + nz * nz);
    double d = (nx * lx + ny * ly + nz * lz) / norm;
    return f.ambient + f.light_strength * (d - 0.6);
  }

  Colour background(double qx, double qy) const {
    switch (f.background_kind) {
      case 1: {
        double t = (qx - 0.5) * std::cos(f.background_angle) + (qy - 0.5) * std::sin(f.background_angle) + 0.5;
        return lerp(f.background_a, f.background_b, clamp01(t));
      }
      case 2:
        return lerp(f.background_a, f.background_b,
                    value_noise(qx * f.background_frequency, qy * f.background_frequency, tex ^ 0xB6));
      case 3: {
        double t = 0.5 + 0.5 * std::sin(((qx * std::cos(f.background_angle) + qy * std::sin(f.background_angle)) *
                                         f.background_frequency) * 2 * M_PI);
        return lerp(f.background_a, f.background_b, 0.35 * t);
      }
      default: return f.background_a;
    }
  }

  double hair_texture(double x, double y, double px) const {
    double dx = x - 0.5 - f.hair_part, dy = y - 0.75;
    double angle = std::atan2(dx, -dy);
    double r = std::max(std::sqrt(dx * dx + dy * dy), 1e-6);
    double wave = f.wavy_hair ? std::sin(r * 70 + f.hair_phase) : 0.0;  // bends the strands, and shades
    // Strands run around the parting: their frequency across the hair grows as r shrinks.
    double strands = band_limited(std::sin(angle * f.hair_frequency + 1.6 * wave), 0, f.hair_frequency / (2 * M_PI * r), px);
    double n = band_limited(value_noise(angle * 12, r * 30, tex ^ 0x4A), 0.5, std::max(12 / r, 30.0), px);
    return 0.82 + 0.12 * strands + 0.12 * (n - 0.5) + 0.08 * band_limited(wave, 0, 70 / (2 * M_PI), px);
  }

  Colour pixel(double qx, double qy, double x, double y, double px) const {
    Colour c = background(qx, qy);
    const double sh = shade(x, y);

    // Clothing: shoulders at the bottom of the crop.
    {
      double d = ellipse_sd(x, y, 0.5, 1.30, 0.58, 0.38);
      if (d < px) over(c, scaled(f.clothing, 0.8 + 0.25 * (1.3 - y)), cover(d, px));
    }
    // Long hair behind the head, down over the shoulders.
    double head_outer = ellipse_sd(x, y, 0.5, g.cranium_cy, f.face_half_width + f.hair_volume,
                                   g.cranium_ry + f.hair_volume);
    if (g.long_hair) {
      double hw = f.face_half_width + f.hair_volume + 0.015;
      double bottom = f.long_hair_length;
      double body = box_sd(x, y, 0.5, (g.cranium_cy + bottom) / 2, hw, (bottom - g.cranium_cy) / 2, 0.08);
      double d = std::min(head_outer, body);
      if (d < px) over(c, scaled(hair, sh * 0.8 * hair_texture(x, y, px)), cover(d, px));
    }
    // Neck, darker under the chin.
    {
      double nh = f.male ? 0.13 : 0.115;
      double d = box_sd(x, y, 0.5, 0.95, nh, 0.25, 0.02);
      if (d < px) {
        double under = clamp01((f.chin_y + 0.06 - y) / 0.08);
        over(c, scaled(skin, sh * (0.82 - 0.15 * under)), cover(d, px));
      }
    }
    // Ears.
    for (int side = 0; side < 2; ++side) {
      double ex = side == 0 ? 0.5 - f.face_half_width - 0.004 : 0.5 + f.face_half_width + 0.004;
      double d = ellipse_sd(x, y, ex, f.eye_y + 0.05, 0.028, 0.058);
      if (d < px) {
        over(c, scaled(skin, sh * 0.88), cover(d, px));
        double inner = ellipse_sd(x, y, ex + (side == 0 ? 0.006 : -0.006), f.eye_y + 0.05, 0.012, 0.035);
        if (inner < px) over(c, scaled(skin, sh * 0.7), 0.6 * cover(inner, px, 0.01));
      }
    }
    // Face skin.
    const double face = g.face_sd(x, y);
    if (face < px) {
      double texture = 0.97 + 0.06 * band_limited(value_noise(x * 45, y * 45, tex ^ 0x51), 0.5, 45, px);
      // The rim of the face turns away from the light: a little darker.
      double rim = 1.0 - 0.10 * clamp01(1 + face / 0.05);
      over(c, scaled(skin, sh * texture * rim), cover(face, px));
      if (face < 0.02) face_features(c, x, y, px, sh);
    }
    // Hair over the forehead (short hair also over the top of the ears).
    if (g.has_hair && head_outer < px) {
      double hl = g.hairline(x);
      double d_front = std::max(head_outer, y - hl);
      double d = d_front;
      if (!g.long_hair) d = std::min(d, std::max(head_outer, std::max(y - (f.eye_y + 0.005), -face)));
      else d = std::min(d, std::max(head_outer, std::max(y - (f.eye_y - 0.02), -face)));
      if (d < px) over(c, scaled(hair, sh * hair_texture(x, y, px)), cover(d, px));
    }
    if (f.eyeglasses) glasses(c, x, y, px, sh);
    return c;
  }

  void face_features(Colour& c, double x, double y, double px, double sh) const {
    // Cheek blush and natural colour.
    for (int side = 0; side < 2; ++side) {
      double cx = side == 0 ? 0.5 - 0.13 : 0.5 + 0.13;
      double d = ellipse_sd(x, y, cx, 0.635, 0.055, 0.035);
      if (f.rosy_cheeks && d < 0.04) over(c, rgb(0.85, 0.30, 0.32), 0.32 * cover(d, px, 0.035));
    }
    // Wrinkles: forehead lines, crow's feet, under-eye bags, nasolabial folds.
    if (!f.young) {
      Colour line = scaled(skin_colour(f), 0.62 * sh);
      for (int k = 0; k < 3; ++k) {
        double ly0 = g.brow_cy - 0.05 - 0.028 * k;
        double dy = std::fabs(y - ly0 - 0.01 * std::sin(x * 30 + k)) - 0.0022;
        double d = std::max(dy, std::fabs(x - 0.5) - 0.11);
        if (d < px) over(c, line, 0.55 * cover(d, px, 0.002));
      }
      for (int i = 0; i < 2; ++i) {
        double sgn = i == 0 ? -1 : 1;
        double ox = g.eye_cx[i] + sgn * (g.ew + 0.012);
        for (int k = -1; k <= 1; ++k) {
          double d = segment_sd(x, y, ox, f.eye_y + 0.006 * k, ox + sgn * 0.022, f.eye_y + 0.014 * k, 0.0018);
          if (d < px) over(c, line, 0.6 * cover(d, px, 0.002));
        }
        double bag = std::fabs(ellipse_sd(x, y, g.eye_cx[i], f.eye_y + 0.01, g.ew * 0.9, 0.025)) - 0.002;
        if (bag < px && y > f.eye_y + 0.02) over(c, line, 0.45 * cover(bag, px, 0.003));
        double fold = std::fabs(ellipse_sd(x, y, 0.5 + sgn * 0.012, f.mouth_y - 0.02,
                                           f.nose_half_width + 0.055, 0.09)) - 0.0025;
        if (fold < px && y > f.nose_tip_y - 0.005 && y < f.mouth_y + 0.03 && sgn * (x - 0.5) > 0)
          over(c, line, 0.5 * cover(fold, px, 0.003));
      }
    }
    // Smile folds and cheeks lifted.
    if (f.smiling) {
      for (int i = 0; i < 2; ++i) {
        double sgn = i == 0 ? -1 : 1;
        double ax = 0.5 + sgn * (f.nose_half_width + 0.018), ay = f.nose_tip_y + 0.008;
        double bx = 0.5 + sgn * (g.mw + 0.022), by = f.mouth_y + 0.004;
        // Bowed outwards: test against the chord shifted by a bulge that peaks mid-way.
        double t = clamp01((y - ay) / (by - ay));
        double fold = segment_sd(x - sgn * 0.012 * std::sin(M_PI * t), y, ax, ay, bx, by, 0.0022);
        if (fold < px + 0.004) over(c, scaled(skin_colour(f), 0.7 * sh), 0.55 * cover(fold, px, 0.004));
      }
    }
    // Eye sockets.
    for (int i = 0; i < 2; ++i) {
      double d = ellipse_sd(x, y, g.eye_cx[i], f.eye_y - 0.006, g.ew * 1.45, 0.04);
      if (d < 0.03) over(c, scaled(skin_colour(f), 0.78 * sh), 0.35 * cover(d, px, 0.03));
    }
    // Nose: side shadow away from the light, tip highlight, alae, nostrils.
    {
      double side = lx > 0 ? -1 : 1;
      double d = ellipse_sd(x, y, 0.5 + side * 0.02, (f.eye_y + f.nose_tip_y) / 2 + 0.01, 0.008,
                            (f.nose_tip_y - f.eye_y) / 2);
      if (d < 0.02) over(c, scaled(skin_colour(f), 0.7 * sh), 0.35 * cover(d, px, 0.012));
      double tip = ellipse_sd(x, y, 0.5, f.nose_tip_y - 0.01, 0.016, 0.013);
      if (tip < 0.02) over(c, scaled(skin_colour(f), 1.12 * sh), 0.35 * cover(tip, px, 0.01));
      for (int s = -1; s <= 1; s += 2) {
        double ala = std::fabs(ellipse_sd(x, y, 0.5 + s * f.nose_half_width * 0.72, f.nose_tip_y + 0.004, 0.016,
                                          0.015)) - 0.002;
        if (ala < 0.01 && y > f.nose_tip_y - 0.01 && s * (x - 0.5) > f.nose_half_width * 0.6)
          over(c, scaled(skin_colour(f), 0.62 * sh), 0.6 * cover(ala, px, 0.003));
        double nostril = ellipse_sd(x, y, 0.5 + s * f.nose_half_width * 0.42, f.nose_tip_y + 0.014, 0.011, 0.006);
        if (nostril < px) over(c, scaled(skin_colour(f), 0.32 * sh), 0.85 * cover(nostril, px, 0.002));
      }
      double under = ellipse_sd(x, y, 0.5, f.nose_tip_y + 0.024, f.nose_half_width * 0.9, 0.007);
      if (under < 0.01) over(c, scaled(skin_colour(f), 0.75 * sh), 0.3 * cover(under, px, 0.006));
    }
    // Beard, stubble, goatee.
    if (f.male) {
      // The beard's outline ignores the smile (mw widens with it): a smile edits the mouth only.
      const double mw = f.mouth_half_width;
      double dx = std::fabs(x - 0.5);
      double top;
      if (f.beard_style == 2) top = f.mouth_y - 0.035;
      else {
        double t = clamp01((dx - mw * 1.2) / (f.face_half_width - mw * 1.2));
        top = f.mouth_y - 0.035 + (f.eye_y + 0.06 - (f.mouth_y - 0.035)) * t;
        if (dx < mw * 1.2 && f.beard_style == 0) top = f.mouth_y - 0.033;
      }
      double d = std::max(y - 2.0, top - y);
      double inside = g.face_sd(x, y);
      d = std::max(d, inside);
      if (f.beard_style == 2) {
        // A goatee: round, around the mouth and over the chin.
        double chin = ellipse_sd(x, y, 0.5, (f.mouth_y + f.chin_y) / 2 + 0.005, mw * 0.95,
                                 (f.chin_y - f.mouth_y) / 2 + 0.04);
        d = std::max(d, chin);
      }
      if (d < 0.01) {
        double n = band_limited(value_noise(x * 260, y * 260, tex ^ 0xBE), 0.5, 260, px);
        if (f.beard_style == 0)
          over(c, scaled(lerp(beard, rgb(0.25, 0.27, 0.32), 0.5), sh), (0.28 + 0.2 * n) * cover(d, px, 0.01));
        else
          over(c, scaled(beard, sh * (0.8 + 0.35 * n)), 0.92 * cover(d, px, 0.006));
      }
    }
    if (f.mustache) {
      double s = (x - 0.5) / (g.mw * 1.05);
      if (std::fabs(s) < 1.2) {
        double upper = g.upper_outer(std::clamp(s, -1.0, 1.0));
        double d = std::max(std::max(upper - 0.024 - y, y - (upper - 0.001)), (std::fabs(s) - 1) * g.mw);
        if (d < px) {
          double n = band_limited(value_noise(x * 200, y * 200, tex ^ 0x3C), 0.5, 200, px);
          over(c, scaled(beard, sh * (0.75 + 0.3 * n)), 0.92 * cover(d, px, 0.003));
        }
      }
    }
    for (int i = 0; i < 2; ++i) eye(c, i, x, y, px, sh);
    for (int i = 0; i < 2; ++i) eyebrow(c, i, x, y, px, sh);
    mouth(c, x, y, px, sh);
  }

  void eye(Colour& c, int i, double x, double y, double px, double sh) const {
    double s = (x - g.eye_cx[i]) / g.ew;
    if (std::fabs(s) > 1.6 || std::fabs(y - f.eye_y) > 0.07) return;
    double sc = std::clamp(s, -1.0, 1.0);
    if (f.heavy_makeup) {
      double d = ellipse_sd(x, y, g.eye_cx[i], f.eye_y - 0.012, g.ew * 1.25, 0.03);
      if (d < 0.01 && y < f.eye_y + 0.004) over(c, scaled(f.makeup, sh), 0.5 * cover(d, px, 0.008));
    }
    double up = g.upper_lid(i, sc), lo = g.lower_lid(i, sc);
    double d_eye = std::max(std::max(up - y, y - lo), (std::fabs(s) - 1) * g.ew);
    // Crease above the lid.
    {
      double crease = std::fabs(y - (up - 0.011 - 0.3 * g.eh_up)) - 0.0018;
      double d = std::max(crease, (std::fabs(s) - 0.9) * g.ew);
      if (d < px) over(c, scaled(skin_colour(f), 0.6 * sh), 0.45 * cover(d, px, 0.002));
    }
    if (d_eye < px) {
      double a = cover(d_eye, px);
      over(c, scaled(rgb(0.93, 0.91, 0.88), sh), a);
      double ir = 0.0195, icx = g.eye_cx[i], icy = f.eye_y + 0.002;
      double di = std::hypot(x - icx, y - icy);
      double d_iris = di - ir;
      if (d_iris < px) {
        double ring = 0.7 + 0.3 * (di / ir);
        Colour iris = scaled(f.iris, sh * (1.15 - 0.45 * (di / ir)) * ring);
        double ai = std::min(a, cover(d_iris, px));
        over(c, iris, ai);
        over(c, rgb(0.02, 0.02, 0.02), std::min(a, cover(di - ir * 0.45, px)));
        double hl = std::hypot(x - (icx - 0.35 * ir), y - (icy - 0.4 * ir)) - ir * 0.22;
        over(c, rgb(0.98, 0.98, 0.98), 0.85 * std::min(a, cover(hl, px)));
      }
      // Shadow of the upper lid on the eyeball.
      double lid_shadow = std::max(y - (up + 0.006), -d_eye);
      over(c, rgb(0.15, 0.1, 0.08), 0.25 * cover(lid_shadow - 0.003, px, 0.004) * a);
    }
    // Lash line along the upper lid (thicker with makeup), thin line along the lower one.
    double lash_t = (f.heavy_makeup ? 0.0045 : 0.003) + (f.male ? 0.0 : 0.0008);
    {
      double outer_ext = (i == 0 ? -s : s) > 0 ? 1.12 : 1.0;
      double d = std::max(std::fabs(y - (up - lash_t * 0.4)) - lash_t, (std::fabs(s) - outer_ext) * g.ew);
      if (d < px) over(c, scaled(rgb(0.08, 0.05, 0.05), 1.0), 0.95 * cover(d, px));
      double dl = std::max(std::fabs(y - lo) - 0.0012, (std::fabs(s) - 1) * g.ew);
      if (dl < px) over(c, scaled(skin_colour(f), 0.55 * sh), 0.5 * cover(dl, px));
    }
  }

  void eyebrow(Colour& c, int i, double x, double y, double px, double sh) const {
    double s = (x - g.brow_cx[i]) / g.brow_hw;
    if (std::fabs(s) > 1.2) return;
    double sc = std::clamp(s, -1.0, 1.0);
    double t = g.brow_t(i, sc);
    double d = std::max(std::fabs(y - g.brow_y(i, sc)) - t / 2, (std::fabs(s) - 1) * g.brow_hw);
    if (d < px) {
      double n = band_limited(value_noise(x * 220, y * 90, tex ^ 0xB0), 0.5, 220, px);
      over(c, scaled(brow, sh * (0.85 + 0.3 * n)), 0.9 * cover(d, px, 0.002));
    }
  }

  void mouth(Colour& c, double x, double y, double px, double sh) const {
    double s = (x - 0.5) / g.mw;
    if (std::fabs(s) > 1.1 || std::fabs(y - f.mouth_y) > 0.07) return;
    double sc = std::clamp(s, -1.0, 1.0);
    double side = (std::fabs(s) - 1) * g.mw;
    double d_lips = std::max(std::max(g.upper_outer(sc) - y, y - g.lower_outer(sc)), side);
    if (d_lips < px) {
      double lower_half = y > g.mouth_mid(sc) ? 1.08 : 0.92;  // light from above
      over(c, scaled(lips, sh * lower_half), 0.95 * cover(d_lips, px, 0.0015));
    }
    // Corners and the line between the lips.
    double d_line = std::max(std::fabs(y - g.mouth_mid(sc)) - 0.0018, (std::fabs(s) - 1.04) * g.mw);
    if (d_line < px) over(c, scaled(lips, 0.4 * sh), 0.8 * cover(d_line, px));
    if (g.gap > 0) {
      double up = g.upper_inner(sc), lo = g.lower_inner(sc);
      double d_open = std::max(std::max(up - y, y - lo), side);
      if (d_open < px) {
        double a = cover(d_open, px);
        over(c, rgb(0.22, 0.07, 0.07), a);
        if (f.smiling || f.speech_open > 0.3) {
          double teeth_bottom = up + 0.55 * (lo - up);
          double d_teeth = std::max(std::max(y - teeth_bottom, -d_open), (std::fabs(s) - 0.8) * g.mw);
          over(c, scaled(rgb(0.93, 0.92, 0.86), sh), std::min(a, cover(d_teeth, px)));
        }
      }
    }
  }

  void glasses(Colour& c, double x, double y, double px, double sh) const {
    if (std::fabs(y - f.eye_y) > 0.08) return;
    double rx = g.ew + 0.017, ry = 0.04;
    double cy = f.eye_y + 0.004;
    double frame_d = 1e9, lens_d = 1e9;
    for (int i = 0; i < 2; ++i) {
      double d = f.glasses_shape == 0 ? ellipse_sd(x, y, g.eye_cx[i], cy, rx, ry)
                                      : box_sd(x, y, g.eye_cx[i], cy, rx, ry * 0.85, 0.015);
      lens_d = std::min(lens_d, d);
      frame_d = std::min(frame_d, std::fabs(d) - f.glasses_thickness / 2);
    }
    if (lens_d < px) {
      over(c, rgb(0.75, 0.85, 0.95), 0.10 * cover(lens_d, px));
      // A soft reflection band across the lenses.
      double band = std::fabs((x - 0.5) * 0.6 + (y - cy) + 0.01) - 0.008;
      over(c, rgb(1, 1, 1), 0.12 * std::min(cover(lens_d, px), cover(band, px, 0.01)));
    }
    double bridge = segment_sd(x, y, g.eye_cx[0] + rx - 0.004, cy - 0.012, g.eye_cx[1] - rx + 0.004, cy - 0.012,
                               f.glasses_thickness * 0.45);
    frame_d = std::min(frame_d, bridge);
    double arm_y = cy - 0.015;
    for (int side = -1; side <= 1; side += 2) {
      double ax = 0.5 + side * (f.eye_half_sep + rx - 0.003), bx = 0.5 + side * (f.face_half_width + 0.012);
      frame_d = std::min(frame_d, segment_sd(x, y, ax, arm_y, bx, arm_y - 0.004, f.glasses_thickness * 0.4));
    }
    if (frame_d < px) over(c, scaled(f.glasses_frame, 0.6 + 0.4 * sh), cover(frame_d, px));
  }
};

// Pose: face coordinates → image unit coordinates and back.
struct Pose {
  double cosr, sinr, scale, sx, sy;
  explicit Pose(const FaceParams& f)
      : cosr(std::cos(f.roll)), sinr(std::sin(f.roll)), scale(f.scale), sx(f.shift_x), sy(f.shift_y) {}
  Point2 to_image(double x, double y) const {
    double dx = x - kPoseCentreX, dy = y - kPoseCentreY;
    return {kPoseCentreX + sx + scale * (cosr * dx - sinr * dy), kPoseCentreY + sy + scale * (sinr * dx + cosr * dy)};
  }
  Point2 to_face(double qx, double qy) const {
    double dx = (qx - kPoseCentreX - sx) / scale, dy = (qy - kPoseCentreY - sy) / scale;
    return {kPoseCentreX + cosr * dx + sinr * dy, kPoseCentreY - sinr * dx + cosr * dy};
  }
};

Colour pick(Rng& r, const std::vector<Colour>& palette) {
  return palette[std::size_t(r.uniform() * double(palette.size())) % palette.size()];
}

}  // namespace

// ---------------------------------------------------------------- sampling

FaceParams sample_face(std::uint64_t seed, std::int64_t index, bool lossy_edits) {
  FaceParams f;
  f.seed = seed;
  f.index = index;
  Rng r(hash3(seed, std::uint64_t(index), 0x5EED0FACEull));

  // Attributes first: their frequencies are roughly balanced for an editor to learn.
  f.male = r.chance(0.5);
  double h = r.uniform();
  f.hair = h < 0.28 ? HairColour::Black : h < 0.56 ? HairColour::Brown : h < 0.80 ? HairColour::Blond : HairColour::Gray;
  f.bald = f.male && r.chance(0.08);
  f.bangs = r.chance(f.male ? 0.25 : 0.45);
  f.eyeglasses = r.chance(0.35);
  f.heavy_makeup = r.chance(f.male ? 0.03 : 0.6);
  f.mouth_open = r.chance(0.45);
  f.mustache = f.male && r.chance(0.4);
  f.narrow_eyes = r.chance(0.25);
  f.pale_skin = r.chance(0.3);
  f.rosy_cheeks = r.chance(f.male ? 0.12 : 0.4);
  f.smiling = r.chance(0.48);
  f.wavy_hair = r.chance(0.4);
  f.lipstick = r.chance(f.male ? 0.02 : 0.65);
  f.young = r.chance(0.7);

  // Identity.
  f.face_half_width = r.normal_clamped(0.245, 0.012, 0.215, 0.275);
  f.jaw_half_width = r.normal_clamped(f.male ? 0.195 : 0.182, 0.01, 0.16, 0.215);
  f.chin_y = r.normal_clamped(0.875, 0.01, 0.85, 0.90);
  f.crown_y = r.normal_clamped(0.10, 0.012, 0.07, 0.13);
  f.eye_y = r.normal_clamped(0.512, 0.006, 0.495, 0.53);
  f.eye_half_sep = r.normal_clamped(0.11, 0.005, 0.098, 0.122);
  f.eye_half_width = r.normal_clamped(0.049, 0.003, 0.042, 0.056);
  f.eye_height = r.normal_clamped(0.024, 0.002, 0.019, 0.029);
  f.eye_tilt = r.normal_clamped(0.04, 0.05, -0.08, 0.15);
  f.iris = pick(r, {rgb(0.30, 0.18, 0.08), rgb(0.18, 0.10, 0.05), rgb(0.25, 0.40, 0.60), rgb(0.30, 0.45, 0.30),
                    rgb(0.42, 0.35, 0.20), rgb(0.12, 0.08, 0.05)});
  f.brow_gap = r.normal_clamped(0.046, 0.004, 0.036, 0.058);
  f.brow_thickness = r.normal_clamped(0.013, 0.0025, 0.008, 0.02);
  f.brow_arch = r.normal_clamped(0.012, 0.004, 0.003, 0.022);
  f.nose_tip_y = r.normal_clamped(0.645, 0.008, 0.625, 0.665);
  f.nose_half_width = r.normal_clamped(0.038, 0.0045, 0.028, 0.05);
  f.mouth_y = r.normal_clamped(0.745, 0.008, 0.725, 0.765);
  f.mouth_half_width = r.normal_clamped(0.085, 0.006, 0.07, 0.1);
  f.upper_lip = r.normal_clamped(0.013, 0.0025, 0.008, 0.02);
  f.lower_lip = r.normal_clamped(0.018, 0.003, 0.011, 0.026);
  // Skin from light to dark; the hue shifts a little warmer or cooler.
  double tone = r.uniform();
  Colour light = rgb(0.94, 0.80, 0.70), dark = rgb(0.40, 0.26, 0.18);
  f.skin = lerp(light, dark, tone * tone * 0.9);
  double warm = r.uniform(-0.03, 0.03);
  f.skin.r = float(std::clamp(double(f.skin.r) + warm, 0.0, 1.0));
  f.skin.b = float(std::clamp(double(f.skin.b) - warm, 0.0, 1.0));
  f.lips = pick(r, {rgb(0.72, 0.10, 0.18), rgb(0.80, 0.20, 0.30), rgb(0.60, 0.12, 0.22), rgb(0.78, 0.30, 0.35)});
  f.hairline_y = r.normal_clamped(0.29, 0.02, 0.24, 0.34);
  f.hair_volume = r.normal_clamped(0.04, 0.012, 0.015, 0.07);
  f.hair_shade = r.uniform();
  f.hair_part = r.uniform(-0.03, 0.03);
  f.hair_frequency = r.uniform(40, 90);
  f.hair_phase = r.uniform(0, 2 * M_PI);
  f.glasses_shape = r.chance(0.5) ? 0 : 1;
  f.glasses_frame = pick(r, {rgb(0.05, 0.05, 0.05), rgb(0.25, 0.15, 0.08), rgb(0.55, 0.55, 0.6), rgb(0.15, 0.2, 0.4)});
  f.glasses_thickness = r.uniform(0.006, 0.012);
  f.makeup = pick(r, {rgb(0.45, 0.30, 0.50), rgb(0.40, 0.28, 0.22), rgb(0.30, 0.35, 0.55), rgb(0.55, 0.35, 0.35)});
  f.texture_seed = r.uniform();
  // Brows: dark, following the natural hair colour a little but not the Hair attribute,
  // so a hair-colour edit leaves the face alone.
  f.brow = lerp(rgb(0.10, 0.07, 0.05), rgb(0.35, 0.25, 0.16), r.uniform());

  // Pose: small, like aligned crops.
  f.roll = r.normal_clamped(0, 0.05, -0.12, 0.12);
  f.scale = r.uniform(0.94, 1.06);
  f.shift_x = r.uniform(-0.025, 0.025);
  f.shift_y = r.uniform(-0.02, 0.012);  // the chin stays inside the picture

  // Lighting.
  f.light_x = r.uniform(-0.8, 0.8);
  f.light_y = r.uniform(-0.8, 0.2);
  f.light_strength = r.uniform(0.1, 0.4);
  f.ambient = r.uniform(0.85, 1.0);

  // Background and clothes.
  f.background_kind = int(r.uniform() * 4) % 4;
  auto any_colour = [&r] {
    double v = r.uniform(0.15, 0.95), s = r.uniform(0.0, 0.5), hue = r.uniform(0, 2 * M_PI);
    return rgb(v * (1 - s * 0.5 * (1 + std::cos(hue))), v * (1 - s * 0.5 * (1 + std::cos(hue - 2.094))),
               v * (1 - s * 0.5 * (1 + std::cos(hue + 2.094))));
  };
  f.background_a = any_colour();
  f.background_b = any_colour();
  f.background_angle = r.uniform(0, 2 * M_PI);
  f.background_frequency = r.uniform(2, 10);
  f.clothing = any_colour();

  f.noise_sigma = r.uniform(0.5, 3.0);
  f.noise_seed = r.next();

  // From a stream of their own, so that the face above stays the same.
  if (lossy_edits) {
    Rng lost(hash3(seed, std::uint64_t(index), 0x1055EDull));
    f.lossy_edits = true;
    f.beard_style = std::min(int(lost.uniform() * 3), 2);
    f.long_hair_length = lost.uniform(0.78, 1.05);  // from the shoulders to below the picture
  }
  return f;
}

FaceParams with_attribute(const FaceParams& face, const std::string& attribute) {
  FaceParams f = face;
  auto set_hair = [&f](HairColour h) {
    f.hair = h;
    f.bald = false;
  };
  if (attribute == "Black_Hair") set_hair(HairColour::Black);
  else if (attribute == "Blond_Hair") set_hair(HairColour::Blond);
  else if (attribute == "Brown_Hair") set_hair(HairColour::Brown);
  else if (attribute == "Gray_Hair") set_hair(HairColour::Gray);
  else if (attribute == "Bald") f.bald = !f.bald;
  else if (attribute == "Bangs") f.bangs = !f.bangs;
  else if (attribute == "Eyeglasses") f.eyeglasses = !f.eyeglasses;
  else if (attribute == "Heavy_Makeup") f.heavy_makeup = !f.heavy_makeup;
  else if (attribute == "Male") f.male = !f.male;
  else if (attribute == "Mouth_Slightly_Open") f.mouth_open = !f.mouth_open;
  else if (attribute == "Mustache") f.mustache = !f.mustache;
  else if (attribute == "Narrow_Eyes") f.narrow_eyes = !f.narrow_eyes;
  else if (attribute == "Pale_Skin") f.pale_skin = !f.pale_skin;
  else if (attribute == "Rosy_Cheeks") f.rosy_cheeks = !f.rosy_cheeks;
  else if (attribute == "Smiling") f.smiling = !f.smiling;
  else if (attribute == "Wavy_Hair") f.wavy_hair = !f.wavy_hair;
  else if (attribute == "Wearing_Lipstick") f.lipstick = !f.lipstick;
  else if (attribute == "Young") f.young = !f.young;
  else throw std::invalid_argument("'" + attribute + "' is not an attribute the synthetic faces can change");
  return f;
}

std::array<int, kCelebAAttributeCount> attribute_vector(const FaceParams& f) {
  auto pm = [](bool b) { return b ? 1 : -1; };
  bool hair = !f.bald;
  bool chubby = f.face_half_width > 0.258;
  std::array<int, kCelebAAttributeCount> v{};
  v[0] = pm(f.male && f.beard_style == 0);                          // 5_o_Clock_Shadow
  v[1] = pm(f.brow_arch > 0.014);                                   // Arched_Eyebrows
  v[2] = pm(f.young && !chubby && f.face_half_width < 0.25);        // Attractive
  v[3] = pm(!f.young);                                              // Bags_Under_Eyes
  v[4] = pm(f.bald);                                                // Bald
  v[5] = pm(f.bangs && hair);                                       // Bangs
  v[6] = pm(f.upper_lip + f.lower_lip > 0.034);                     // Big_Lips
  v[7] = pm(f.nose_half_width > 0.043);                             // Big_Nose
  v[8] = pm(hair && f.hair == HairColour::Black);                   // Black_Hair
  v[9] = pm(hair && f.hair == HairColour::Blond);                   // Blond_Hair
  v[10] = -1;                                                       // Blurry
  v[11] = pm(hair && f.hair == HairColour::Brown);                  // Brown_Hair
  v[12] = pm(f.brow_thickness * (f.male ? 1.35 : 1.0) > 0.017);     // Bushy_Eyebrows
  v[13] = pm(chubby);                                               // Chubby
  v[14] = pm(chubby && !f.young);                                   // Double_Chin
  v[15] = pm(f.eyeglasses);                                         // Eyeglasses
  v[16] = pm(f.male && f.beard_style == 2);                         // Goatee
  v[17] = pm(hair && f.hair == HairColour::Gray);                   // Gray_Hair
  v[18] = pm(f.heavy_makeup);                                       // Heavy_Makeup
  v[19] = pm(f.face_half_width - f.jaw_half_width > 0.06);          // High_Cheekbones
  v[20] = pm(f.male);                                               // Male
  v[21] = pm(f.mouth_open);                                         // Mouth_Slightly_Open
  v[22] = pm(f.mustache);                                           // Mustache
  v[23] = pm(f.narrow_eyes);                                        // Narrow_Eyes
  v[24] = pm(!f.male);                                              // No_Beard
  v[25] = pm(f.jaw_half_width < 0.185 && !chubby);                  // Oval_Face
  v[26] = pm(f.pale_skin);                                          // Pale_Skin
  v[27] = pm(f.nose_half_width < 0.034);                            // Pointy_Nose
  v[28] = pm(hair && f.hairline_y < 0.27);                          // Receding_Hairline
  v[29] = pm(f.rosy_cheeks);                                        // Rosy_Cheeks
  v[30] = pm(f.male && f.beard_style == 1);                         // Sideburns
  v[31] = pm(f.smiling);                                            // Smiling
  v[32] = pm(hair && !f.wavy_hair);                                 // Straight_Hair
  v[33] = pm(hair && f.wavy_hair);                                  // Wavy_Hair
  v[34] = -1;                                                       // Wearing_Earrings
  v[35] = -1;                                                       // Wearing_Hat
  v[36] = pm(f.lipstick);                                           // Wearing_Lipstick
  v[37] = -1;                                                       // Wearing_Necklace
  v[38] = -1;                                                       // Wearing_Necktie
  v[39] = pm(f.young);                                              // Young
  return v;
}

int attribute_value(const FaceParams& face, const std::string& attribute) {
  int i = celeba_attribute_index(attribute);
  if (i < 0) throw std::invalid_argument("'" + attribute + "' is not a CelebA attribute");
  return attribute_vector(face)[std::size_t(i)];
}

// ---------------------------------------------------------------- rendering

Rgb8 render(const FaceParams& face, int size) {
  if (size < 1) throw std::invalid_argument("render: size must be positive");
  Scene scene(face);
  Pose pose(face);
  const double px = 1.0 / (size * face.scale);
  const double inv = 1.0 / size;
  const double sigma = face.noise_sigma;
  Rgb8 out(size, size);
  std::uint8_t* dst = out.data();
  for (int py = 0; py < size; ++py) {
    for (int pxl = 0; pxl < size; ++pxl) {
      double qx = (pxl + 0.5) * inv, qy = (py + 0.5) * inv;
      Point2 p = pose.to_face(qx, qy);
      Colour c = scene.pixel(qx, qy, p.x, p.y, px);
      // Sensor noise: a fixed function of the pixel, so edits leave it in place.
      std::uint64_t h = hash3(face.noise_seed, std::uint64_t(pxl), std::uint64_t(py));
      float v[3] = {c.r, c.g, c.b};
      for (int ch = 0; ch < 3; ++ch) {
        // Sum of four 16-bit uniforms: approximately normal, variance 1/3.
        std::uint64_t bits = mix64(h + std::uint64_t(ch));
        double sum = double(bits & 0xFFFF) + double((bits >> 16) & 0xFFFF) + double((bits >> 32) & 0xFFFF) +
                     double(bits >> 48);
        double n = (sum / 65536.0 - 2.0) * 1.7320508075688772;
        double level = double(v[ch]) * 255.0 + sigma * n;
        *dst++ = std::uint8_t(std::clamp(std::lround(level), 0L, 255L));
      }
    }
  }
  return out;
}

Landmarks landmarks(const FaceParams& face, int size) {
  Geometry g(face);
  Landmarks lm;
  auto set = [&lm](int i, double x, double y) { lm[std::size_t(i)] = {x, y}; };

  // Jaw 0–16: the face outline from the image-left ear round the chin, equally spaced
  // along the contour (found by bisection along rays from between the eyes).
  {
    constexpr int kRays = 97;
    std::array<Point2, kRays> contour;
    const double start = M_PI + 0.03, end = -0.03;  // from just above the eye line
    for (int k = 0; k < kRays; ++k) {
      double th = start + (end - start) * k / (kRays - 1);
      double dx = std::cos(th), dy = std::sin(th);
      double lo = 0.0, hi = 0.7;
      for (int it = 0; it < 40; ++it) {
        double mid = 0.5 * (lo + hi);
        (g.face_sd(0.5 + dx * mid, face.eye_y + dy * mid) < 0 ? lo : hi) = mid;
      }
      contour[std::size_t(k)] = {0.5 + dx * lo, face.eye_y + dy * lo};
    }
    std::array<double, kRays> arc{};
    for (int k = 1; k < kRays; ++k)
      arc[std::size_t(k)] = arc[std::size_t(k - 1)] + std::hypot(contour[std::size_t(k)].x - contour[std::size_t(k - 1)].x,
                                                                  contour[std::size_t(k)].y - contour[std::size_t(k - 1)].y);
    int k = 0;
    for (int j = 0; j <= 16; ++j) {
      double target = arc[kRays - 1] * j / 16.0;
      while (k < kRays - 2 && arc[std::size_t(k + 1)] < target) ++k;
      double span = arc[std::size_t(k + 1)] - arc[std::size_t(k)];
      double t = span > 0 ? std::clamp((target - arc[std::size_t(k)]) / span, 0.0, 1.0) : 0.0;
      set(j, contour[std::size_t(k)].x + (contour[std::size_t(k + 1)].x - contour[std::size_t(k)].x) * t,
          contour[std::size_t(k)].y + (contour[std::size_t(k + 1)].y - contour[std::size_t(k)].y) * t);
    }
  }
  // Brows 17–21 and 22–26, image left to right along the upper part of each brow.
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 5; ++j) {
      double s = -1.0 + 0.5 * j;
      set(17 + 5 * i + j, g.brow_cx[i] + s * g.brow_hw, g.brow_y(i, s) - 0.25 * g.brow_t(i, s));
    }
  // Nose bridge 27–30 and the base of the nose 31–35.
  double top = face.eye_y - 0.012;
  for (int j = 0; j < 4; ++j) set(27 + j, 0.5, top + (face.nose_tip_y - top) * j / 3.0);
  const double base_y = face.nose_tip_y + 0.02;
  set(31, 0.5 - face.nose_half_width * 0.85, base_y - 0.006);
  set(32, 0.5 - face.nose_half_width * 0.45, base_y + 0.001);
  set(33, 0.5, base_y + 0.003);
  set(34, 0.5 + face.nose_half_width * 0.45, base_y + 0.001);
  set(35, 0.5 + face.nose_half_width * 0.85, base_y - 0.006);
  // Eyes 36–41 and 42–47: left corner, two upper points, right corner, two lower points.
  for (int i = 0; i < 2; ++i) {
    int b = 36 + 6 * i;
    double cx = g.eye_cx[i], w = g.ew;
    set(b + 0, cx - w, g.eye_centre_y(i, -1));
    set(b + 1, cx - w / 3, g.upper_lid(i, -1.0 / 3));
    set(b + 2, cx + w / 3, g.upper_lid(i, 1.0 / 3));
    set(b + 3, cx + w, g.eye_centre_y(i, 1));
    set(b + 4, cx + w / 3, g.lower_lid(i, 1.0 / 3));
    set(b + 5, cx - w / 3, g.lower_lid(i, -1.0 / 3));
  }
  // Outer lips 48–59 clockwise from the left corner, inner lips 60–67.
  auto mx = [&g](double s) { return 0.5 + s * g.mw; };
  set(48, mx(-1), g.mouth_mid(-1));
  const double upper_s[5] = {-0.62, -0.28, 0.0, 0.28, 0.62};
  for (int j = 0; j < 5; ++j) set(49 + j, mx(upper_s[j]), g.upper_outer(upper_s[j]));
  set(54, mx(1), g.mouth_mid(1));
  const double lower_s[5] = {0.62, 0.28, 0.0, -0.28, -0.62};
  for (int j = 0; j < 5; ++j) set(55 + j, mx(lower_s[j]), g.lower_outer(lower_s[j]));
  set(60, mx(-0.9), g.mouth_mid(-0.9));
  const double inner_s[3] = {-0.4, 0.0, 0.4};
  for (int j = 0; j < 3; ++j) set(61 + j, mx(inner_s[j]), g.upper_inner(inner_s[j]));
  set(64, mx(0.9), g.mouth_mid(0.9));
  for (int j = 0; j < 3; ++j) set(65 + j, mx(inner_s[2 - j]), g.lower_inner(inner_s[2 - j]));

  Pose pose(face);
  for (auto& p : lm) {
    Point2 q = pose.to_image(p.x, p.y);
    p = {q.x * size - 0.5, q.y * size - 0.5};
  }
  return lm;
}

// ---------------------------------------------------------------- talking heads

FaceParams at_time(const FaceParams& base, double t, std::uint64_t seed) {
  FaceParams f = base;
  Rng r(hash3(seed, base.seed, std::uint64_t(base.index) ^ 0x7A1C0ull));
  auto phase = [&r] { return r.uniform(0, 2 * M_PI); };
  const double tau = 2 * M_PI;

  // Speech: syllables at 3–5 Hz under a slower phrase envelope with pauses.
  double p1 = phase(), p2 = phase(), p3 = phase(), p4 = phase();
  double syllables = 0.55 * std::sin(tau * 3.7 * t + p1) + 0.35 * std::sin(tau * 5.3 * t + p2) +
                     0.25 * std::sin(tau * 1.9 * t + p3);
  double phrase = 0.5 + 0.5 * std::sin(tau * 0.27 * t + p4);
  double env = phrase * phrase * (3 - 2 * phrase);  // smoothstep
  // A smooth positive part keeps the opening differentiable in t.
  double open = 0.5 * (syllables + std::sqrt(syllables * syllables + 0.01)) - 0.05;
  f.speech_open = std::clamp(open * env, 0.0, 1.0);

  // Blinks: one per 3.5 s window at a seeded moment, ~0.2 s long.
  constexpr double kWindow = 3.5, kBlinkSigma = 0.05;
  double closed = 0;
  auto window = std::int64_t(std::floor(t / kWindow));
  for (std::int64_t k = window - 1; k <= window + 1; ++k) {
    Rng w(hash3(seed ^ 0xB1ull, std::uint64_t(base.index), std::uint64_t(k)));
    double when = k * kWindow + w.uniform(0.3, kWindow - 0.3);
    double u = (t - when) / kBlinkSigma;
    closed = std::max(closed, std::exp(-0.5 * u * u));
  }
  f.eye_open = base.eye_open * (1 - closed);

  // Head motion: slow, small sums of sines.
  double q1 = phase(), q2 = phase(), q3 = phase(), q4 = phase(), q5 = phase();
  f.roll = base.roll + 0.035 * std::sin(tau * 0.21 * t + q1) + 0.015 * std::sin(tau * 0.57 * t + q2);
  f.shift_x = base.shift_x + 0.012 * std::sin(tau * 0.17 * t + q3);
  f.shift_y = base.shift_y + 0.008 * std::sin(tau * 0.31 * t + q4) + 0.003 * std::sin(tau * 1.1 * t + q5);
  f.scale = base.scale * (1 + 0.02 * std::sin(tau * 0.13 * t + q5));

  // Sensor noise is new every frame.
  std::uint64_t tbits = std::uint64_t(std::llround(t * 1e6));
  f.noise_seed = hash3(base.noise_seed, seed, tbits);
  return f;
}

}  // namespace idef::synth
