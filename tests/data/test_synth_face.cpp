#include "data/synth_face.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "face/detector.h"

namespace idef::synth {
namespace {

constexpr std::uint64_t kSeed = 20240501;

struct Box {
  double left, top, right, bottom;
  bool contains(double x, double y) const { return x >= left && x <= right && y >= top && y <= bottom; }
};

// Pixels that differ between two pictures of the same size, split by a box.
struct DiffCount {
  int inside = 0, outside = 0;
};
DiffCount count_differences(const Rgb8& a, const Rgb8& b, const Box& box) {
  DiffCount d;
  for (int y = 0; y < a.height; ++y)
    for (int x = 0; x < a.width; ++x) {
      bool same = a.at(x, y, 0) == b.at(x, y, 0) && a.at(x, y, 1) == b.at(x, y, 1) && a.at(x, y, 2) == b.at(x, y, 2);
      if (!same) ++(box.contains(x, y) ? d.inside : d.outside);
    }
  return d;
}

Point2 mean_of(const Landmarks& l, int first, int last) {
  Point2 m;
  for (int i = first; i <= last; ++i) m.x += l[i].x, m.y += l[i].y;
  return {m.x / (last - first + 1), m.y / (last - first + 1)};
}

// Bounding box of some landmarks of two faces, grown by `margin` pixels.
Box landmark_box(const Landmarks& a, const Landmarks& b, const std::vector<int>& ids, double margin) {
  Box box{1e9, 1e9, -1e9, -1e9};
  for (const Landmarks* l : {&a, &b})
    for (int i : ids) {
      box.left = std::min(box.left, (*l)[i].x), box.right = std::max(box.right, (*l)[i].x);
      box.top = std::min(box.top, (*l)[i].y), box.bottom = std::max(box.bottom, (*l)[i].y);
    }
  return {box.left - margin, box.top - margin, box.right + margin, box.bottom + margin};
}

std::vector<int> range(int first, int last) {
  std::vector<int> v;
  for (int i = first; i <= last; ++i) v.push_back(i);
  return v;
}

TEST(SynthFace, AttributeNamesAreCelebAsInOrder) {
  EXPECT_EQ(kCelebAAttributes.size(), 40u);
  EXPECT_STREQ(kCelebAAttributes[0], "5_o_Clock_Shadow");
  EXPECT_STREQ(kCelebAAttributes[39], "Young");
  EXPECT_EQ(celeba_attribute_index("Male"), 20);
  EXPECT_EQ(celeba_attribute_index("Eyeglasses"), 15);
  EXPECT_EQ(celeba_attribute_index("Pale_Skin"), 26);
  EXPECT_EQ(celeba_attribute_index("Nope"), -1);
  for (const auto& a : editable_attributes()) EXPECT_GE(celeba_attribute_index(a), 0) << a;
}

TEST(SynthFace, SameSeedAndIndexGiveIdenticalPicturesInAnyOrder) {
  Rgb8 first = render(sample_face(kSeed, 7), 48);
  // Other faces in between, in another order, must not matter.
  for (int i = 20; i >= 0; --i) render(sample_face(kSeed, i), 32);
  EXPECT_EQ(render(sample_face(kSeed, 7), 48), first);
  EXPECT_EQ(landmarks(sample_face(kSeed, 7), 48)[30].x, landmarks(sample_face(kSeed, 7), 48)[30].x);
}

TEST(SynthFace, DifferentSeedsAndIndicesGiveDifferentFaces) {
  Rgb8 a = render(sample_face(kSeed, 3), 32);
  EXPECT_NE(render(sample_face(kSeed + 1, 3), 32), a);
  EXPECT_NE(render(sample_face(kSeed, 4), 32), a);
  EXPECT_NE(sample_face(kSeed, 3).face_half_width, sample_face(kSeed, 4).face_half_width);
}

TEST(SynthFace, RendersEverySizeWithContent) {
  FaceParams f = sample_face(kSeed, 1);
  for (int size : {32, 64, 100, 256}) {
    Rgb8 img = render(f, size);
    ASSERT_EQ(img.width, size);
    ASSERT_EQ(img.height, size);
    double mean = 0, sq = 0;
    for (auto v : img.pixels) mean += v, sq += double(v) * v;
    mean /= img.pixels.size();
    double sd = std::sqrt(sq / img.pixels.size() - mean * mean);
    EXPECT_GT(sd, 15) << size;  // a picture, not a flat field
  }
}

// Fine detail of a picture: the mean absolute difference between each inner pixel and the
// mean of its four neighbours, in grey levels.
double fine_detail(const Rgb8& img) {
  double sum = 0;
  for (int y = 1; y + 1 < img.height; ++y)
    for (int x = 1; x + 1 < img.width; ++x)
      for (int ch = 0; ch < 3; ++ch) {
        double around = img.at(x - 1, y, ch) + img.at(x + 1, y, ch) + img.at(x, y - 1, ch) + img.at(x, y + 1, ch);
        sum += std::fabs(img.at(x, y, ch) - around / 4);
      }
  return sum / (double(img.width - 2) * (img.height - 2) * 3);
}

// Anti-aliased: a 64 px render has the fine detail of a 256 px render averaged over each of
// its pixels, not texture finer than its pixels sampled into per-pixel noise (hair strands,
// beard, brows: 1.11 times the detail before they were band-limited), nor less.
TEST(SynthFace, SmallRenderHasTheDetailOfALargeOneAveragedDown) {
  double ratio = 0;
  const int faces = 12;
  for (int index = 0; index < faces; ++index) {
    FaceParams f = sample_face(kSeed, index);
    f.noise_sigma = 0;
    Rgb8 small = render(f, 64), large = render(f, 256), averaged(64, 64);
    for (int y = 0; y < 64; ++y)
      for (int x = 0; x < 64; ++x)
        for (int ch = 0; ch < 3; ++ch) {
          int sum = 0;
          for (int v = 0; v < 4; ++v)
            for (int u = 0; u < 4; ++u) sum += large.at(4 * x + u, 4 * y + v, ch);
          averaged.at(x, y, ch) = std::uint8_t((sum + 8) / 16);
        }
    ratio += fine_detail(small) / fine_detail(averaged) / faces;
  }
  EXPECT_LT(ratio, 1.05);
  EXPECT_GT(ratio, 0.9);
}

TEST(SynthFace, OneHairColourAndBalancedAttributes) {
  std::map<std::string, int> positives;
  const int n = 600;
  for (int i = 0; i < n; ++i) {
    auto v = attribute_vector(sample_face(kSeed, i));
    int hair = 0;
    for (const auto& h : hair_colour_attributes()) hair += v[celeba_attribute_index(h)] > 0;
    bool bald = v[celeba_attribute_index("Bald")] > 0;
    EXPECT_EQ(hair + bald, 1) << "face " << i;
    EXPECT_EQ(v[celeba_attribute_index("No_Beard")], -v[celeba_attribute_index("Male")]);
    for (int a = 0; a < kCelebAAttributeCount; ++a) {
      EXPECT_TRUE(v[a] == 1 || v[a] == -1);
      positives[kCelebAAttributes[a]] += v[a] > 0;
    }
  }
  for (const auto& a : editable_attributes()) {
    if (a == "Bald") continue;  // rare on purpose
    double share = double(positives[a]) / n;
    EXPECT_GT(share, 0.12) << a;
    EXPECT_LT(share, 0.88) << a;
  }
  EXPECT_GT(positives["Bald"], 0);
}

TEST(SynthFace, WithAttributeSetsHairColourAndFlipsTheOthers) {
  // Derived attributes that legitimately follow an edit.
  const std::map<std::string, std::set<std::string>> follows = {
      {"Male", {"No_Beard", "5_o_Clock_Shadow", "Goatee", "Sideburns", "Bushy_Eyebrows"}},
      {"Young", {"Bags_Under_Eyes", "Attractive", "Double_Chin"}},
      {"Wavy_Hair", {"Straight_Hair"}},
  };
  const std::set<std::string> hair_related = {"Bald", "Black_Hair", "Blond_Hair", "Brown_Hair", "Gray_Hair",
                                              "Bangs", "Receding_Hairline", "Straight_Hair", "Wavy_Hair"};
  for (int i = 0; i < 40; ++i) {
    FaceParams f = sample_face(kSeed, i);
    auto before = attribute_vector(f);
    for (const auto& a : editable_attributes()) {
      FaceParams g = with_attribute(f, a);
      auto after = attribute_vector(g);
      int idx = celeba_attribute_index(a);
      bool hair_colour = std::count(hair_colour_attributes().begin(), hair_colour_attributes().end(), a) > 0;
      if (hair_colour) {
        EXPECT_EQ(after[idx], 1) << a;
        for (const auto& h : hair_colour_attributes())
          if (h != a) EXPECT_EQ(after[celeba_attribute_index(h)], -1) << a;
        EXPECT_EQ(after[celeba_attribute_index("Bald")], -1);
      } else if (a != "Bangs" && a != "Wavy_Hair") {  // invisible (and unchanged) on a bald head
        EXPECT_EQ(after[idx], -before[idx]) << a << " face " << i;
      }
      for (int k = 0; k < kCelebAAttributeCount; ++k) {
        std::string name = kCelebAAttributes[k];
        if (name == a || before[k] == after[k]) continue;
        bool allowed = (hair_colour || a == "Bald") ? hair_related.count(name) > 0
                                                    : follows.count(a) && follows.at(a).count(name);
        EXPECT_TRUE(allowed) << "editing " << a << " changed " << name;
      }
      // Nothing but the attribute: pose, light, background and noise stay.
      EXPECT_EQ(g.roll, f.roll);
      EXPECT_EQ(g.noise_seed, f.noise_seed);
      EXPECT_EQ(g.background_kind, f.background_kind);
    }
  }
  EXPECT_THROW(with_attribute(sample_face(kSeed, 0), "Wearing_Hat"), std::invalid_argument);
}

TEST(SynthFace, EveryVisibleEditChangesThePicture) {
  for (int i = 0; i < 6; ++i) {
    FaceParams f = sample_face(kSeed, i);
    Rgb8 src = render(f, 64);
    for (const auto& a : editable_attributes()) {
      FaceParams g = with_attribute(f, a);
      if (attribute_vector(g) == attribute_vector(f)) continue;  // e.g. Bangs on a bald head
      auto diff = count_differences(src, render(g, 64), {0, 0, -1, -1});
      EXPECT_GT(diff.outside, 5) << a << " face " << i;
    }
  }
}

TEST(SynthFace, EyeglassesChangeOnlyTheEyeBand) {
  for (int i = 0; i < 6; ++i) {
    FaceParams f = sample_face(kSeed, i);
    FaceParams g = with_attribute(f, "Eyeglasses");
    const int size = 64;
    auto lf = landmarks(f, size);
    // The glasses reach from the face's sides (the arms) a little above and below the eyes.
    Box box = landmark_box(lf, lf, {0, 16, 17, 26, 36, 39, 42, 45}, 0.0);
    Point2 eyes = mean_of(lf, 36, 47);
    box.top = eyes.y - 0.11 * size, box.bottom = eyes.y + 0.11 * size;
    box.left -= 0.06 * size, box.right += 0.06 * size;
    auto diff = count_differences(render(f, size), render(g, size), box);
    EXPECT_EQ(diff.outside, 0) << "face " << i;
    EXPECT_GT(diff.inside, 20) << "face " << i;
  }
}

TEST(SynthFace, HairColourLeavesTheFaceCentreAlone) {
  int tested = 0;
  for (int i = 0; tested < 4 && i < 50; ++i) {
    FaceParams f = sample_face(kSeed, i);
    if (f.male || f.bald) continue;  // a beard would follow the hair colour
    FaceParams g = with_attribute(f, f.hair == HairColour::Blond ? "Black_Hair" : "Blond_Hair");
    const int size = 64;
    auto lf = landmarks(f, size);
    // Eyes to mouth; the jaw narrows below the cheeks, so not out to the eye corners.
    Box centre = landmark_box(lf, lf, {37, 38, 43, 44, 57}, 0.0);
    auto diff = count_differences(render(f, size), render(g, size), centre);
    EXPECT_EQ(diff.inside, 0) << "face " << i;
    EXPECT_GT(diff.outside, size * size / 20) << "face " << i;  // the hair did change
    ++tested;
  }
  EXPECT_EQ(tested, 4);
}

// Lossy edits keep the face and change only what the edits lose: the beard style and
// long-hair length (now the face's own) and the shade of black hair (barely visible).
TEST(SynthFace, LossyEditsDrawTheSameFaceWithWhatEditsLose) {
  std::set<int> beards;
  std::set<double> lengths;
  for (int i = 0; i < 40; ++i) {
    FaceParams plain = sample_face(kSeed, i), lossy = sample_face(kSeed, i, true);
    EXPECT_FALSE(plain.lossy_edits);
    EXPECT_TRUE(lossy.lossy_edits);
    EXPECT_EQ(lossy.male, plain.male);
    EXPECT_EQ(lossy.hair, plain.hair);
    EXPECT_EQ(lossy.face_half_width, plain.face_half_width);
    EXPECT_EQ(lossy.noise_seed, plain.noise_seed);
    EXPECT_TRUE(with_attribute(lossy, "Male").lossy_edits);
    beards.insert(lossy.beard_style);
    lengths.insert(lossy.long_hair_length);
  }
  EXPECT_EQ(beards.size(), 3u);
  EXPECT_EQ(lengths.size(), 40u);

  // The shade of black hair: a twentieth of its spread in the invertible renderer.
  auto hair_difference = [](bool lossy) {
    FaceParams f = sample_face(kSeed, 3, lossy);
    f.hair = HairColour::Black, f.bald = false;
    FaceParams dark = f, light = f;
    dark.hair_shade = 0, light.hair_shade = 1;
    Rgb8 a = render(dark, 64), b = render(light, 64);
    double sum = 0;
    for (std::size_t k = 0; k < a.pixels.size(); ++k) sum += std::abs(int(a.pixels[k]) - int(b.pixels[k]));
    return sum;
  };
  double plain = hair_difference(false), lossy = hair_difference(true);
  EXPECT_GT(plain, 0);
  EXPECT_LT(lossy, plain / 10);
  EXPECT_GT(lossy, 0);  // a trace, not nothing
}

TEST(SynthFace, SmilingChangesOnlyAroundTheMouth) {
  for (int i = 0; i < 6; ++i) {
    FaceParams f = sample_face(kSeed, i);
    FaceParams g = with_attribute(f, "Smiling");
    const int size = 64;
    auto lf = landmarks(f, size), lg = landmarks(g, size);
    Box box = landmark_box(lf, lg, range(48, 67), 0.06 * size);
    // The smile folds start at the nose tip, their soft ends a pixel above it.
    box.top = std::min(lf[30].y, lg[30].y) - 0.02 * size;
    auto diff = count_differences(render(f, size), render(g, size), box);
    EXPECT_EQ(diff.outside, 0) << "face " << i;
    EXPECT_GT(diff.inside, 10) << "face " << i;
  }
}

TEST(SynthFace, LandmarksAreInsideAndInAnatomicalOrder) {
  for (int i = 0; i < 30; ++i) {
    FaceParams f = sample_face(kSeed, i);
    const int size = 64;
    auto l = landmarks(f, size);
    for (int k = 0; k < kLandmarkCount; ++k) {
      // Pixel centres are at integers: the picture spans -0.5 .. size - 0.5.
      EXPECT_GE(l[k].x, -0.5);
      EXPECT_GE(l[k].y, -0.5);
      EXPECT_LE(l[k].x, size - 0.5);
      EXPECT_LE(l[k].y, size - 0.5);
    }
    Point2 left_eye = mean_of(l, 36, 41), right_eye = mean_of(l, 42, 47);
    Point2 left_brow = mean_of(l, 17, 21), right_brow = mean_of(l, 22, 26);
    Point2 mouth = mean_of(l, 48, 59);
    EXPECT_LT(left_eye.x, right_eye.x);
    EXPECT_LT(left_brow.y, left_eye.y);
    EXPECT_LT(right_brow.y, right_eye.y);
    EXPECT_LT(left_eye.y, l[30].y);
    EXPECT_LT(l[30].y, mouth.y);
    EXPECT_LT(mouth.y, l[8].y);
    EXPECT_LT(l[0].x, left_eye.x);
    EXPECT_GT(l[16].x, right_eye.x);
    EXPECT_LT(l[36].x, l[39].x);
    EXPECT_LT(l[39].x, l[42].x);
    EXPECT_LT(l[42].x, l[45].x);
    EXPECT_LT(l[48].x, l[54].x);
    EXPECT_LT(l[31].x, l[35].x);
    EXPECT_LE(l[51].y, l[62].y);
    EXPECT_LE(l[66].y, l[57].y);
    for (int k = 1; k <= 8; ++k) EXPECT_GT(l[k].y, l[k - 1].y - 0.5) << "jaw " << k;  // down to the chin
  }
}

TEST(SynthFace, LandmarksScaleWithSizeAndSitOnTheRenderedEyes) {
  FaceParams f = sample_face(kSeed, 2);
  auto a = landmarks(f, 64), b = landmarks(f, 128);
  for (int k = 0; k < kLandmarkCount; ++k) {
    EXPECT_NEAR(b[k].x, 2 * a[k].x + 0.5, 1e-9);
    EXPECT_NEAR(b[k].y, 2 * a[k].y + 0.5, 1e-9);
  }
  // The pupils are at the eye landmarks' centres: darker than the skin between the eyes.
  for (int i = 0; i < 8; ++i) {
    FaceParams g = sample_face(kSeed, i);
    Rgb8 img = render(g, 128);
    auto l = landmarks(g, 128);
    // Darkest luma within 2 px (the pupil is ~2 px wide at 128 px).
    auto luma = [&img](Point2 p) {
      double darkest = 255;
      for (int dy = -2; dy <= 2; ++dy)
        for (int dx = -2; dx <= 2; ++dx) {
          int x = int(std::lround(p.x)) + dx, y = int(std::lround(p.y)) + dy;
          darkest = std::min(darkest, 0.3 * img.at(x, y, 0) + 0.59 * img.at(x, y, 1) + 0.11 * img.at(x, y, 2));
        }
      return darkest;
    };
    Point2 bridge = l[28];
    EXPECT_LT(luma(mean_of(l, 36, 41)), luma(bridge) - 20) << "face " << i;
    EXPECT_LT(luma(mean_of(l, 42, 47)), luma(bridge) - 20) << "face " << i;
  }
}

TEST(SynthFace, TalkingHeadSpeaksBlinksAndMovesSmoothly) {
  FaceParams base = sample_face(kSeed, 5);
  double min_eye = 1, max_open = 0, max_step = 0;
  Landmarks previous{};
  for (int k = 0; k < 250; ++k) {  // ten seconds at 25 fps
    FaceParams f = at_time(base, k / 25.0, 9);
    min_eye = std::min(min_eye, f.eye_open);
    max_open = std::max(max_open, f.speech_open);
    auto l = landmarks(f, 128);
    if (k)
      for (int j = 0; j < kLandmarkCount; ++j)
        max_step = std::max(max_step, std::hypot(l[j].x - previous[j].x, l[j].y - previous[j].y));
    previous = l;
  }
  EXPECT_LT(min_eye, 0.2);   // at least one blink
  EXPECT_GT(max_open, 0.5);  // the mouth opens
  EXPECT_LT(max_step, 3.0);  // no landmark jumps between frames at 128 px
  EXPECT_EQ(render(at_time(base, 1.0, 9), 64), render(at_time(base, 1.0, 9), 64));
  EXPECT_NE(render(at_time(base, 1.0, 9), 64), render(at_time(base, 1.04, 9), 64));
  EXPECT_NE(at_time(base, 1.0, 9).roll, at_time(base, 1.0, 10).roll);
}

// The faces must look like faces to a real detector: the poisoning tool finds faces
// with dlib before it does anything else.
TEST(SynthFace, DlibFindsTheFacesAndItsLandmarksAgreeWithOurs) {
  FaceDetector detector;
  const int size = 256, n = 8;
  int found = 0;
  double sum = 0;
  int counted = 0;
  for (int i = 0; i < n; ++i) {
    FaceParams f = sample_face(kSeed, i);
    auto faces = detector.detect(render(f, size));
    if (faces.empty()) continue;
    ++found;
    auto ours = landmarks(f, size);
    const auto& theirs = faces[0].landmarks;
    Point2 le = mean_of(ours, 36, 41), re = mean_of(ours, 42, 47);
    double iod = std::hypot(re.x - le.x, re.y - le.y);
    double face_sum = 0;
    for (int k = 0; k < kLandmarkCount; ++k) face_sum += std::hypot(ours[k].x - theirs[k].x, ours[k].y - theirs[k].y);
    sum += face_sum / kLandmarkCount / iod;
    ++counted;
  }
  double mean = counted ? sum / counted : 1e9;
  RecordProperty("dlib_found", found);
  RecordProperty("mean_landmark_error_iod", std::to_string(mean));
  std::printf("dlib found %d of %d synthetic faces at %d px; mean landmark distance %.3f inter-ocular distances\n",
              found, n, size, mean);
  EXPECT_GE(found, n * 3 / 4);
  EXPECT_LT(mean, 0.15);
}

}  // namespace
}  // namespace idef::synth
