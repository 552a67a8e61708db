#include "face/dlib_models.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "face/detector.h"
#include "io/image.h"
#include "test_util.h"

namespace idef {
namespace {

using test::ScratchDir;
using test::testdata;

// Points the model cache at a folder for one test.
class CacheDir {
 public:
  explicit CacheDir(const std::string& dir) {
    if (const char* old = std::getenv("IDEF_CACHE_DIR")) old_ = old, had_ = true;
    setenv("IDEF_CACHE_DIR", dir.c_str(), 1);
  }
  ~CacheDir() { had_ ? setenv("IDEF_CACHE_DIR", old_.c_str(), 1) : unsetenv("IDEF_CACHE_DIR"); }

 private:
  std::string old_;
  bool had_ = false;
};

std::vector<std::string> files_in(const std::string& dir, const std::string& prefix) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path().string());
  return out;
}

dlib::matrix<dlib::rgb_pixel> astronaut() {
  Rgb8 rgb = Image::load(testdata("astronaut.png")).rgb();
  dlib::matrix<dlib::rgb_pixel> out(rgb.height, rgb.width);
  for (int y = 0; y < rgb.height; ++y)
    for (int x = 0; x < rgb.width; ++x) out(y, x) = dlib::rgb_pixel(rgb.at(x, y, 0), rgb.at(x, y, 1), rgb.at(x, y, 2));
  return out;
}

// The cached copies give exactly the faces and landmarks of the first load; a damaged copy is
// rebuilt, and the landmarks match dlib's own reading of the model file.
TEST(DlibModelCache, CachedModelsFindTheSameFacesAndADamagedCopyIsRebuilt) {
  ScratchDir dir;
  CacheDir cache(dir.path().string());
  const auto image = astronaut();

  dlib::frontal_face_detector first = load_frontal_face_detector();
  ASSERT_EQ(files_in(dir.path().string(), "frontal-face-detector-").size(), 1u);
  dlib::frontal_face_detector cached = load_frontal_face_detector();
  const auto boxes = first(image), boxes_cached = cached(image);
  ASSERT_EQ(boxes.size(), 1u);
  ASSERT_EQ(boxes_cached.size(), 1u);
  EXPECT_EQ(boxes[0], boxes_cached[0]);

  const Rgb8 rgb = Image::load(testdata("astronaut.png")).rgb();
  const std::string model = default_landmark_model();
  std::ofstream(dir.path() / "shape-predictor-0123456789abcdef.raw") << "the earlier cache form";
  const LandmarkPredictor built = load_landmark_predictor(model);
  const auto raw = files_in(dir.path().string(), "landmark-predictor-");
  ASSERT_EQ(raw.size(), 1u);
  EXPECT_TRUE(files_in(dir.path().string(), "shape-predictor-").empty());  // replaced, not left behind
  const LandmarkPredictor from_cache = load_landmark_predictor(model);
  dlib::shape_predictor dlibs;
  dlib::deserialize(model) >> dlibs;
  const auto a = built(rgb, boxes[0]), b = from_cache(rgb, boxes[0]), c = dlibs(image, boxes[0]);
  for (unsigned long i = 0; i < a.num_parts(); ++i) {
    EXPECT_EQ(a.part(i), b.part(i)) << i;
    EXPECT_LE(std::abs(a.part(i).x() - c.part(i).x()) + std::abs(a.part(i).y() - c.part(i).y()), 1) << i;
  }

  // One flipped byte in the middle of the leaves: refused by its checksum, read again from
  // the model file and written whole again.
  auto bytes_of = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  const std::string whole = bytes_of(raw[0]);
  const auto size = whole.size();
  {
    std::fstream f(raw[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put(static_cast<char>(whole[size / 2] ^ 0x5a));
  }
  const LandmarkPredictor rebuilt = load_landmark_predictor(model);
  const auto d = rebuilt(rgb, boxes[0]);
  for (unsigned long i = 0; i < a.num_parts(); ++i) EXPECT_EQ(a.part(i), d.part(i)) << i;
  EXPECT_TRUE(bytes_of(raw[0]) == whole);
  // A cut file is refused too.
  std::filesystem::resize_file(raw[0], size - 100);
  const auto e = load_landmark_predictor(model)(rgb, boxes[0]);
  for (unsigned long i = 0; i < a.num_parts(); ++i) EXPECT_EQ(a.part(i), e.part(i)) << i;
  EXPECT_TRUE(bytes_of(raw[0]) == whole);
}

// Without a cache folder (IDEF_CACHE_DIR=none) the models load as before and nothing is written.
TEST(DlibModelCache, NoneTurnsTheCacheOff) {
  ScratchDir dir;
  CacheDir cache("none");
  EXPECT_EQ(model_cache_dir(), "");
  const LandmarkPredictor predictor = load_landmark_predictor(default_landmark_model());
  const Rgb8 rgb = Image::load(testdata("astronaut.png")).rgb();
  const auto faces = load_frontal_face_detector()(astronaut());
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_EQ(predictor(rgb, faces[0]).num_parts(), 68u);
}

// The predictor laid out for speed gives dlib's predictor's landmarks to the bit: on the
// astronaut's face, on boxes moved and scaled around it (as a tracker hands them), and on a
// box partly outside the image.
TEST(LandmarkPredictor, GivesDlibsLandmarksExactly) {
  const Rgb8 rgb = Image::load(testdata("astronaut.png")).rgb();
  const auto image = astronaut();
  const dlib::shape_predictor reference = load_shape_predictor(default_landmark_model());
  const LandmarkPredictor fast = load_landmark_predictor(default_landmark_model());
  const auto faces = dlib::get_frontal_face_detector()(image);
  ASSERT_EQ(faces.size(), 1u);
  const dlib::rectangle face = faces[0];
  for (const dlib::rectangle& box :
       {face, dlib::translate_rect(face, 7, -5), dlib::grow_rect(face, 12), dlib::shrink_rect(face, 9),
        dlib::translate_rect(face, -face.left() - face.width() / 2, 0)}) {
    const auto a = reference(image, box), b = fast(rgb, box);
    ASSERT_EQ(a.num_parts(), 68u);
    ASSERT_EQ(b.num_parts(), 68u);
    for (unsigned long i = 0; i < a.num_parts(); ++i) EXPECT_EQ(a.part(i), b.part(i)) << box << " part " << i;
  }
}

// The white-box push stays within its levels, touches few pixels, and moves the landmarks the
// way it was asked to: right, then left (so the motion is the search's, not chance's).
TEST(LandmarkPredictor, PushMovesTheLandmarksWithinItsLevels) {
  const Rgb8 rgb = Image::load(testdata("astronaut.png")).rgb();
  const LandmarkPredictor predictor = load_landmark_predictor(default_landmark_model());
  const auto faces = dlib::get_frontal_face_detector()(astronaut());
  ASSERT_EQ(faces.size(), 1u);
  auto mean_x = [&](const Rgb8& image) {
    const auto shape = predictor(image, faces[0]);
    double sum = 0;
    for (unsigned long i = 0; i < shape.num_parts(); ++i) sum += shape.part(i).x();
    return sum / shape.num_parts();
  };
  const double before = mean_x(rgb);
  double moved[2];
  for (int side = 0; side < 2; ++side) {
    std::vector<float> direction(136, 0.f);
    for (int k = 0; k < 68; ++k) direction[2 * k] = side == 0 ? 1.f : -1.f;
    const Rgb8 pushed = predictor.push(rgb, faces[0], direction, 2);
    ASSERT_EQ(pushed.pixels.size(), rgb.pixels.size());
    std::size_t changed = 0;
    for (std::size_t i = 0; i < rgb.pixels.size(); ++i) {
      const int d = int(pushed.pixels[i]) - int(rgb.pixels[i]);
      ASSERT_LE(std::abs(d), 2);
      changed += d != 0;
    }
    EXPECT_GT(changed, 0u);
    EXPECT_LT(changed, rgb.pixels.size() / 4);  // the pixels the trees read, not the picture
    moved[side] = mean_x(pushed) - before;
  }
  EXPECT_GT(moved[0], 0.1);
  EXPECT_LT(moved[1], -0.1);
}

// The versions form picks, per pixel, one of the images it is given (as a video frame's luma
// moved and decoded again): with only the unchanged image it changes nothing; with a
// brighter one it takes some pixels from it, and the landmarks follow; versions of another
// size are refused.
TEST(LandmarkPredictor, PushChoosesAmongTheVersionsItIsGiven) {
  const Rgb8 rgb = Image::load(testdata("astronaut.png")).rgb();
  const LandmarkPredictor predictor = load_landmark_predictor(default_landmark_model());
  const auto faces = dlib::get_frontal_face_detector()(astronaut());
  ASSERT_EQ(faces.size(), 1u);
  std::vector<float> right(136, 0.f);
  for (int k = 0; k < 68; ++k) right[2 * k] = 1.f;
  for (std::uint8_t c : predictor.push({&rgb}, faces[0], right)) ASSERT_EQ(c, 0);

  Rgb8 brighter = rgb;
  for (auto& v : brighter.pixels) v = std::uint8_t(std::min(255, v + 3));
  const std::vector<std::uint8_t> choice = predictor.push({&rgb, &brighter}, faces[0], right);
  ASSERT_EQ(choice.size(), std::size_t(rgb.width) * rgb.height);
  Rgb8 chosen = rgb;
  std::size_t taken = 0;
  for (std::size_t at = 0; at < choice.size(); ++at) {
    ASSERT_LE(choice[at], 1);
    if (choice[at]) ++taken, std::copy_n(brighter.pixels.begin() + at * 3, 3, chosen.pixels.begin() + at * 3);
  }
  EXPECT_GT(taken, 0u);
  const auto before = predictor(rgb, faces[0]), after = predictor(chosen, faces[0]);
  double moved = 0;
  for (unsigned long i = 0; i < before.num_parts(); ++i) moved += after.part(i).x() - before.part(i).x();
  EXPECT_GT(moved / before.num_parts(), 0.1);

  const Rgb8 small(8, 8);
  EXPECT_THROW(predictor.push({&rgb, &small}, faces[0], right), std::invalid_argument);
}

}  // namespace
}  // namespace idef
