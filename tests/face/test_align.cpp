#include "face/align.h"

#include <gtest/gtest.h>

#include <cmath>

#include "face/detector.h"
#include "io/image.h"
#include "test_util.h"

namespace idef {
namespace {

using test::testdata;

// A similarity given by where crop pixels land in the image, for a size×size crop.
FaceAlignment alignment_from_image_from_crop(const Affine2x3& image_from_crop, int size) {
  Affine2x3 unit_from_pixels;  // crop pixel j covers [j, j+1)/size
  unit_from_pixels.a = unit_from_pixels.e = 1.0 / size;
  unit_from_pixels.c = unit_from_pixels.f = 0.5 / size;
  FaceAlignment alignment;
  alignment.unit_from_image = unit_from_pixels.after(image_from_crop.inverse());
  return alignment;
}

TEST(Affine, InverseAndComposition) {
  Affine2x3 m{1.2, -0.4, 30, 0.4, 1.2, -7};
  Affine2x3 id = m.inverse().after(m);
  for (Point2 p : {Point2{0, 0}, Point2{13.5, -2}, Point2{400, 300}}) {
    Point2 q = id(p);
    EXPECT_NEAR(q.x, p.x, 1e-9);
    EXPECT_NEAR(q.y, p.y, 1e-9);
  }
  Affine2x3 shift{1, 0, 5, 0, 1, 0}, twice{2, 0, 0, 0, 2, 0};
  Point2 p = twice.after(shift)({1, 1});  // shift first, then scale
  EXPECT_DOUBLE_EQ(p.x, 12);
  EXPECT_DOUBLE_EQ(p.y, 2);
}

TEST(Affine, FitSimilarityRecoversAKnownTransform) {
  double angle = 0.3, scale = 0.7;
  Affine2x3 truth{scale * std::cos(angle), -scale * std::sin(angle), 12, scale * std::sin(angle),
                  scale * std::cos(angle), -4};
  std::vector<Point2> from = {{10, 20}, {50, 22}, {31, 60}, {15, 80}, {48, 79}}, to;
  for (auto p : from) to.push_back(truth(p));
  Affine2x3 fit = fit_similarity(from, to);
  EXPECT_NEAR(fit.a, truth.a, 1e-9);
  EXPECT_NEAR(fit.b, truth.b, 1e-9);
  EXPECT_NEAR(fit.c, truth.c, 1e-9);
  EXPECT_NEAR(fit.d, truth.d, 1e-9);
  EXPECT_NEAR(fit.e, truth.e, 1e-9);
  EXPECT_NEAR(fit.f, truth.f, 1e-9);
  // A mirror image cannot be fitted by a similarity: no reflection sneaks in.
  std::vector<Point2> mirrored;
  for (auto p : to) mirrored.push_back({-p.x, p.y});
  Affine2x3 m = fit_similarity(from, mirrored);
  EXPECT_GE(m.a * m.e - m.b * m.d, 0.0);
}

TEST(ExtractCrop, SamplesASyntheticImageBilinearly) {
  // Red = x, green = y: bilinear sampling reproduces linear ramps exactly.
  Rgb8 image(200, 120);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x) {
      image.at(x, y, 0) = std::uint8_t(x);
      image.at(x, y, 1) = std::uint8_t(y);
      image.at(x, y, 2) = 77;
    }
  const int size = 32;
  // Crop pixel (i, j) comes from image (100 − 1.5 j, 10 + 1.5 i): scale 1.5, rotated 90°.
  Affine2x3 image_from_crop{0, -1.5, 100, 1.5, 0, 10};
  FaceAlignment alignment = alignment_from_image_from_crop(image_from_crop, size);
  Rgb8 crop = extract_crop(image, alignment, size);
  ASSERT_EQ(crop.width, size);
  ASSERT_EQ(crop.height, size);
  for (int j = 0; j < size; ++j)
    for (int i = 0; i < size; ++i) {
      ASSERT_EQ(crop.at(i, j, 0), std::lround(100 - 1.5 * j)) << i << "," << j;
      ASSERT_EQ(crop.at(i, j, 1), std::lround(10 + 1.5 * i)) << i << "," << j;
      ASSERT_EQ(crop.at(i, j, 2), 77);
    }
  // Outside the image the edge repeats.
  Affine2x3 off_left{1, 0, -50, 0, 1, 0};
  Rgb8 edge = extract_crop(image, alignment_from_image_from_crop(off_left, size), size);
  EXPECT_EQ(edge.at(0, 5, 0), 0);
  EXPECT_EQ(edge.at(0, 5, 1), 5);
}

// The predictor takes a second or two to read: once for the whole suite.
class AlignAstronautTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    detector_ = new FaceDetector();
    astronaut_ = new Rgb8(Image::load(testdata("astronaut.png")).rgb());
    auto faces = detector_->detect(*astronaut_);
    ASSERT_EQ(faces.size(), 1u);
    face_ = new Face(faces[0]);
  }
  static void TearDownTestSuite() {
    delete detector_;
    delete astronaut_;
    delete face_;
  }
  static FaceDetector* detector_;
  static Rgb8* astronaut_;
  static Face* face_;
};
FaceDetector* AlignAstronautTest::detector_ = nullptr;
Rgb8* AlignAstronautTest::astronaut_ = nullptr;
Face* AlignAstronautTest::face_ = nullptr;

TEST_F(AlignAstronautTest, FacePointsLandNearTheTemplateAndMapBack) {
  FaceAlignment alignment = align_face(face_->landmarks);
  auto points = face_points(face_->landmarks);
  const auto& canonical = canonical_face_points();
  for (int k = 0; k < 5; ++k) {
    Point2 u = alignment.unit_from_image(points[k]);
    EXPECT_NEAR(u.x, canonical[k].x, 0.04) << "point " << k;
    EXPECT_NEAR(u.y, canonical[k].y, 0.04) << "point " << k;
  }
  const int size = 128;
  Affine2x3 to_crop = alignment.crop_from_image(size), to_image = alignment.image_from_crop(size);
  for (const Point2& p : face_->landmarks) {
    Point2 q = to_crop(p);
    EXPECT_GT(q.x, -0.5);  // the whole face is in the crop
    EXPECT_LT(q.x, size - 0.5);
    EXPECT_GT(q.y, -0.5);
    EXPECT_LT(q.y, size - 0.5);
    Point2 back = to_image(q);
    EXPECT_NEAR(back.x, p.x, 1e-6);
    EXPECT_NEAR(back.y, p.y, 1e-6);
  }
  EXPECT_GT(alignment.crop_side_in_image(), face_->box.width());
}

TEST_F(AlignAstronautTest, LandmarksFoundOnTheCropMapBackWithinAPixelOrTwo) {
  FaceAlignment alignment = align_face(face_->landmarks);
  const int size = 256;
  Rgb8 crop = extract_crop(*astronaut_, alignment, size);
  // The detector's box, carried into the crop, for the predictor to work in.
  Affine2x3 to_crop = alignment.crop_from_image(size), to_image = alignment.image_from_crop(size);
  Point2 a = to_crop({face_->box.left, face_->box.top}), b = to_crop({face_->box.right, face_->box.bottom});
  Point2 c = to_crop({face_->box.left, face_->box.bottom}), d = to_crop({face_->box.right, face_->box.top});
  FaceBox box{std::min({a.x, b.x, c.x, d.x}), std::min({a.y, b.y, c.y, d.y}), std::max({a.x, b.x, c.x, d.x}),
              std::max({a.y, b.y, c.y, d.y})};
  Face on_crop = detector_->locate_landmarks(crop, box);
  double total = 0;
  for (int i = 0; i < kLandmarkCount; ++i) {
    Point2 p = to_image(on_crop.landmarks[i]);
    total += std::hypot(p.x - face_->landmarks[i].x, p.y - face_->landmarks[i].y);
  }
  EXPECT_LT(total / kLandmarkCount, 2.5);
}

// The region form holds exactly the whole image's non-zero part, within its box.
TEST_F(AlignAstronautTest, PasteBackRegionIsTheWholeImagesNonZeroBox) {
  FaceAlignment alignment = align_face(face_->landmarks);
  const int size = 64, w = astronaut_->width, h = astronaut_->height;
  std::vector<float> ramp(size * size * 3);
  for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = float(i % 97) / 97.0f - 0.5f;
  std::vector<float> full = paste_back(ramp, alignment, w, h, 0.1);
  ImageRegion r = paste_back_region(ramp, alignment, w, h, 0.1);
  ASSERT_FALSE(r.empty());
  ASSERT_EQ(r.values.size(), size_t(r.width) * r.height * 3);
  EXPECT_LT(size_t(r.width) * r.height, size_t(w) * h / 2);  // much smaller than the photo
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        const float v = full[(size_t(y) * w + x) * 3 + c];
        const bool inside = x >= r.left && x < r.left + r.width && y >= r.top && y < r.top + r.height;
        if (!inside) ASSERT_EQ(v, 0.0f) << x << "," << y;
        else ASSERT_EQ(v, r.values[(size_t(y - r.top) * r.width + (x - r.left)) * 3 + c]) << x << "," << y;
      }
  // A crop entirely outside the image gives an empty region.
  FaceAlignment away = alignment;
  away.unit_from_image.c -= 100;
  EXPECT_TRUE(paste_back_region(ramp, away, w, h, 0.1).empty());
}

TEST_F(AlignAstronautTest, PasteBackIsZeroAwayFromTheFaceAndFullOnIt) {
  FaceAlignment alignment = align_face(face_->landmarks);
  const int size = 64, w = astronaut_->width, h = astronaut_->height;
  std::vector<float> ones(size * size * 3, 1.0f);
  std::vector<float> full = paste_back(ones, alignment, w, h, 0.1);
  ASSERT_EQ(full.size(), size_t(w) * h * 3);
  auto at = [&](int x, int y, int c) { return full[(size_t(y) * w + x) * 3 + c]; };
  for (auto [x, y] : {std::pair{0, 0}, {w - 1, 0}, {0, h - 1}, {w - 1, h - 1}, {w / 2, h - 1}})
    for (int c = 0; c < 3; ++c) EXPECT_EQ(at(x, y, c), 0.0f) << x << "," << y;
  Point2 nose = face_->landmarks[landmark::kNoseTip];
  EXPECT_FLOAT_EQ(at(int(nose.x), int(nose.y), 0), 1.0f);
  size_t nonzero = 0;
  for (float v : full) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LE(v, 1.0f);
    nonzero += v != 0.0f;
  }
  double side = alignment.crop_side_in_image();
  EXPECT_GT(nonzero / 3.0, 0.8 * side * side);
  EXPECT_LT(nonzero / 3.0, 1.05 * side * side);
  // The mask falls smoothly towards the border: partial weights exist.
  size_t partial = 0;
  for (float v : full) partial += v > 0.0f && v < 1.0f;
  EXPECT_GT(partial, 0u);
}

TEST_F(AlignAstronautTest, PasteBackPutsEachCropValueWhereThatPixelCameFrom) {
  FaceAlignment alignment = align_face(face_->landmarks);
  const int size = 64, w = astronaut_->width, h = astronaut_->height;
  // A ramp over the crop: channel 0 = column, channel 1 = row.
  std::vector<float> ramp(size * size * 3, 0.0f);
  for (int j = 0; j < size; ++j)
    for (int i = 0; i < size; ++i) {
      ramp[(j * size + i) * 3 + 0] = float(i);
      ramp[(j * size + i) * 3 + 1] = float(j);
    }
  std::vector<float> full = paste_back(ramp, alignment, w, h, 0.1);
  Affine2x3 to_crop = alignment.crop_from_image(size);
  for (const Point2& p : face_->landmarks) {
    int x = int(std::lround(p.x)), y = int(std::lround(p.y));
    Point2 q = to_crop({double(x), double(y)});
    Point2 u = alignment.unit_from_image({double(x), double(y)});
    if (std::min({u.x, u.y, 1 - u.x, 1 - u.y}) < 0.1) continue;  // feathered
    EXPECT_NEAR(full[(size_t(y) * w + x) * 3 + 0], q.x, 1e-3);
    EXPECT_NEAR(full[(size_t(y) * w + x) * 3 + 1], q.y, 1e-3);
  }
  EXPECT_THROW(paste_back(std::vector<float>(10, 0.0f), alignment, w, h), std::invalid_argument);
}

}  // namespace
}  // namespace idef
