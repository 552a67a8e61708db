// A deterministic procedural face renderer: the synthetic stand-in for CelebA (docs/method.md#data).
//
// Every face comes from (seed, index) alone through a counter-based generator, so any
// shard, order or thread count gives the same faces. A face is drawn from a small 2-D
// model in "unit crop" coordinates (0..1 across the picture, framed like CelebA's aligned
// crops after StarGAN's centre crop: eyes ~51% from the top, ~22% of the side apart),
// then placed by a small similarity pose. Shapes are signed-distance fields rendered with
// analytic pixel coverage, so edges are anti-aliased at every size from 32 to 256 px.
//
// Counterfactuals: with_attribute() changes one attribute and nothing else. Every other
// quantity, the per-pixel sensor noise and textures included, is a pure function of the
// pixel position and the unchanged parameters, so the rendered counterfactual differs from
// its source only where the attribute is drawn.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "data/attributes.h"
#include "face/face.h"
#include "io/rgb8.h"

namespace idef::synth {

// CelebA's 40 attributes in the order of list_attr_celeba.txt.
constexpr int kCelebAAttributeCount = 40;
extern const std::array<const char*, kCelebAAttributeCount> kCelebAAttributes;
// Index in kCelebAAttributes, or -1.
int celeba_attribute_index(const std::string& name);

// Attributes with a visual footprint that with_attribute() can change, in CelebA order.
const std::vector<std::string>& editable_attributes();
bool is_editable(const std::string& attribute);
// The four hair colours StarGAN treats as one-hot among themselves (data/attributes.h).
using idef::hair_colour_attributes;

struct Colour {
  float r = 0, g = 0, b = 0;  // linear-ish 0..1 display values
};

enum class HairColour { Black, Blond, Brown, Gray };

struct FaceParams {
  std::uint64_t seed = 0;
  std::int64_t index = 0;
  // Drawn with lossy edits (sample_face): the edits then lose what they replace.
  bool lossy_edits = false;

  // --- identity (unit crop coordinates, before pose) ---
  double face_half_width = 0.245;  // cheeks
  double jaw_half_width = 0.19;
  double chin_y = 0.93;
  double crown_y = 0.09;           // top of the skull
  double eye_y = 0.51;
  double eye_half_sep = 0.11;      // half the distance between eye centres
  double eye_half_width = 0.043;
  double eye_height = 0.022;       // upper lid height above the corners' line
  double eye_tilt = 0.0;           // outer corners up (+) or down
  Colour iris;
  double brow_gap = 0.045;         // eye centre to brow centre line
  double brow_thickness = 0.014;
  double brow_arch = 0.012;
  Colour brow;
  double nose_tip_y = 0.645;
  double nose_half_width = 0.038;
  double mouth_y = 0.745;
  double mouth_half_width = 0.085;
  double upper_lip = 0.014, lower_lip = 0.018;
  Colour skin, lips;
  double hairline_y = 0.30;        // centre of the hairline
  double hair_volume = 0.04;       // hair thickness beyond the skull
  // Not drawn by sample_face, like beard_style: what a Male edit adds must not be hidden in
  // its input (a woman's beard style, a man's long-hair length), or no editor could match it.
  double long_hair_length = 1.05;  // bottom of long hair (women)
  double hair_shade = 0.5;         // lighter / darker variant of the hair colour
  double hair_part = 0.0;          // side parting offset
  double hair_frequency = 60;      // strand texture
  double hair_phase = 0;
  int glasses_shape = 0;           // 0 round, 1 rectangular
  Colour glasses_frame;
  double glasses_thickness = 0.009;
  int beard_style = 1;             // 0 stubble, 1 full beard, 2 goatee
  Colour makeup;                   // eye shadow tint
  double texture_seed = 0;         // skin/hair/background texture phase

  // --- attributes (CelebA names in comments) ---
  HairColour hair = HairColour::Brown;  // Black_Hair / Blond_Hair / Brown_Hair / Gray_Hair
  bool bald = false;                    // Bald
  bool bangs = false;                   // Bangs
  bool eyeglasses = false;              // Eyeglasses
  bool heavy_makeup = false;            // Heavy_Makeup
  bool male = false;                    // Male (beard/stubble, short hair, heavier brows)
  bool mouth_open = false;              // Mouth_Slightly_Open
  bool mustache = false;                // Mustache
  bool narrow_eyes = false;             // Narrow_Eyes
  bool pale_skin = false;               // Pale_Skin
  bool rosy_cheeks = false;             // Rosy_Cheeks
  bool smiling = false;                 // Smiling
  bool wavy_hair = false;               // Wavy_Hair (Straight_Hair is its opposite)
  bool lipstick = false;                // Wearing_Lipstick
  bool young = true;                    // Young (not young: wrinkles)

  // --- pose: similarity about (0.5, 0.55), then shift; unit crop coordinates ---
  double roll = 0;   // radians, clockwise on screen
  double scale = 1;
  double shift_x = 0, shift_y = 0;

  // --- animation state (talking heads); 0 / 1 for stills ---
  double speech_open = 0;   // extra mouth opening 0..1
  double eye_open = 1;      // lid opening 0 (closed) .. 1

  // --- lighting ---
  double light_x = 0, light_y = -0.3;  // direction the light comes from
  double light_strength = 0.25;
  double ambient = 0.85;

  // --- background ---
  int background_kind = 0;  // 0 flat, 1 gradient, 2 blobs, 3 stripes
  Colour background_a, background_b;
  double background_angle = 0, background_frequency = 6;
  Colour clothing;

  // --- sensor noise ---
  double noise_sigma = 1.5;  // in 8-bit levels
  std::uint64_t noise_seed = 0;
};

// The face of (seed, index): reproducible from these two alone.
//
// lossy_edits draws the same face (every quantity above is the same) but makes the
// attribute edits lose what they replace, as edits of real photos do: a beard style and a
// long-hair length of its own per face (a Male edit removes one and adds the other, so its
// way back cannot be read off the picture), and black hair whose shade barely shows (an
// edit to black keeps about a twentieth of the shade's spread, one from black has to
// restore it from that faint trace). The default renderer's edits are invertible: an
// editor can read every counterfactual off its input. StarGAN's cycle loss has to hide what
// a lossy edit removes in the edit itself, which is what published work ties to editors'
// fragility to small perturbations (docs/method.md#lossy-edits).
FaceParams sample_face(std::uint64_t seed, std::int64_t index, bool lossy_edits = false);

// The same face with one attribute changed as a StarGAN target domain changes it: a hair
// colour attribute sets that colour (and gives a bald face its hair back); any other
// editable attribute is flipped. Throws std::invalid_argument for a non-editable name.
FaceParams with_attribute(const FaceParams& face, const std::string& attribute);

// ±1 for each of the 40 CelebA attributes in kCelebAAttributes order. Attributes that are
// not drawn get fixed plausible values, or are derived from the geometry (Big_Nose from the
// nose width, ...); No_Beard is !Male, Straight_Hair is !Wavy_Hair, and so on.
std::array<int, kCelebAAttributeCount> attribute_vector(const FaceParams& face);
// The ±1 value of one attribute.
int attribute_value(const FaceParams& face, const std::string& attribute);

// A size×size RGB picture (32 ≤ size ≤ 256; other sizes work but are not tuned).
Rgb8 render(const FaceParams& face, int size);

// The 68 landmarks of the rendered face in dlib's order, in pixels of a size×size picture
// (pixel centres at integers, as face/face.h).
Landmarks landmarks(const FaceParams& face, int size);

// Talking-head animation of `base` at time t: speech (mouth opening), blinks and small
// head motion (roll, shift, scale), all smooth in t and fixed by `seed`; the sensor noise
// changes per frame (frames at the same t are identical).
FaceParams at_time(const FaceParams& base, double t_seconds, std::uint64_t seed);

}  // namespace idef::synth
