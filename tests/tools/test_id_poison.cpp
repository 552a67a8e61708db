// id-poison on real photos.
#include <gtest/gtest.h>

#include <filesystem>

#include <vips/vips8>

#include "core/atomic_file.h"
#include "face/detector.h"
#include "io/image.h"
#include "poison_test.h"

namespace fs = std::filesystem;
using idef::test::q;
using idef::test::run_tool;
using idef::test::ScratchDir;

using idef::test::kStrong;
using idef::test::max_abs_diff;
using idef::test::write_pg_model;
using idef::test::kStrongCap;

namespace {

// The faces as id-poison's detector sees them.
std::vector<idef::FaceBox> faces_in(const idef::Rgb8& rgb) {
  idef::FaceDetector detector;
  std::vector<idef::FaceBox> boxes;
  for (const auto& f : detector.detect(rgb)) boxes.push_back(f.box);
  return boxes;
}

// Every face box has a changed pixel; every pixel farther than a box side from every box
// is unchanged; nothing moved by more than the cap.
void expect_faces_only(const idef::Rgb8& in, const idef::Rgb8& out, const std::vector<idef::FaceBox>& boxes) {
  ASSERT_EQ(in.width, out.width);
  ASSERT_EQ(in.height, out.height);
  EXPECT_LE(max_abs_diff(in, out), kStrongCap);
  for (const auto& b : boxes) {
    bool changed = false;
    for (int y = std::max(0, int(b.top)); y < std::min(in.height, int(b.bottom)) && !changed; ++y)
      for (int x = std::max(0, int(b.left)); x < std::min(in.width, int(b.right)) && !changed; ++x)
        for (int c = 0; c < 3; ++c) changed = changed || in.at(x, y, c) != out.at(x, y, c);
    EXPECT_TRUE(changed) << "face at " << b.left << "," << b.top << " unchanged";
  }
  for (int y = 0; y < in.height; ++y)
    for (int x = 0; x < in.width; ++x) {
      bool near = false;
      for (const auto& b : boxes) {
        const double side = b.width();
        near = near || (x > b.left - side && x < b.right + side && y > b.top - side && y < b.bottom + side);
      }
      if (near) continue;
      for (int c = 0; c < 3; ++c) ASSERT_EQ(in.at(x, y, c), out.at(x, y, c)) << "pixel " << x << "," << y;
    }
}

}  // namespace

TEST(IdPoison, ProtectsAPortraitBesideItWithinTau) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  fs::copy_file(idef::test::testdata("astronaut.png"), dir / "astronaut.png");
  auto r = run_tool("id-poison", "--model '" + model + "'" + kStrong + "'" + dir / "astronaut.png" + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  auto in = idef::Image::load(dir / "astronaut.png");
  auto out = idef::Image::load(dir / "astronaut.protected.png");
  EXPECT_EQ(out.width(), in.width());
  EXPECT_EQ(out.loader(), in.loader());
  int diff = max_abs_diff(in.rgb(), out.rgb());
  EXPECT_GT(diff, 0);
  EXPECT_LE(diff, 6);
  // The bottom rows (the suit, far below the face) are untouched.
  for (int y = in.height() - 40; y < in.height(); ++y)
    for (int x = 0; x < in.width(); ++x)
      for (int c = 0; c < 3; ++c) ASSERT_EQ(in.rgb().at(x, y, c), out.rgb().at(x, y, c));
}

TEST(IdPoison, FolderBatchGoesOnPastBadFilesAndMirrorsTheTree) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  fs::create_directories(dir.path() / "in/sub");
  fs::copy_file(idef::test::testdata("astronaut.png"), dir / "in/sub/a.png");
  idef::write_all(dir / "in/broken.jpg", "not a jpeg");
  idef::Rgb8 flat(80, 60);
  std::fill(flat.pixels.begin(), flat.pixels.end(), 90);
  idef::save_rgb8(dir / "in/noface.png", flat);
  auto r = run_tool("id-poison", "--model '" + model + "'" + kStrong + "--output '" + dir / "out" + "' '" +
                                     dir / "in" + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("broken.jpg"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("noface.png': no face found"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("cannot read '" + dir / "in/noface.png"), std::string::npos) << r.err;  // it was read
  EXPECT_NE(r.err.find("protected 1 of 3 inputs"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir / "out/sub/a.png"));
  EXPECT_FALSE(fs::exists(dir / "out/noface.png"));
  EXPECT_FALSE(fs::exists(dir / "out/broken.jpg"));
  EXPECT_EQ(idef::read_all(dir / "in/broken.jpg"), "not a jpeg");  // inputs untouched

  // A rerun over the grown archive does only the new photo.
  fs::copy_file(idef::test::testdata("astronaut.png"), dir / "in/b.png");
  fs::remove(dir / "in/broken.jpg");
  fs::remove(dir / "in/noface.png");
  auto again = run_tool("id-poison", "--model '" + model + "'" + kStrong + "--skip-existing --output '" +
                                         dir / "out" + "' '" + dir / "in" + "'");
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("protected 1 of 1 inputs (1 faces), 1 already done"), std::string::npos) << again.err;
}

TEST(IdPoison, ShardsSplitTheInputsWithoutOverlap) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  fs::create_directories(dir.path() / "in");
  for (int i = 0; i < 4; ++i)
    fs::copy_file(idef::test::testdata("astronaut.png"), dir / ("in/" + std::to_string(i) + ".png"));
  for (const char* shard : {"1/2", "2/2"}) {
    auto r = run_tool("id-poison", "--aligned --model '" + model + "'" + kStrong + "--shard " + shard +
                                       " --output '" + dir / "out" + "' '" + dir / "in" + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
  }
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(fs::exists(dir / ("out/" + std::to_string(i) + ".png"))) << i;
}

TEST(IdPoison, StdinToStdoutKeepsTheFormatAndAlpha) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  // A grey PNG with alpha (made by ffmpeg) and a WebP: each comes back in its own format,
  // the PNG with its alpha.
  auto made = idef::test::run_command("ffmpeg -v error -i '" + idef::test::testdata("astronaut.png") +
                                      "' -pix_fmt ya8 '" + dir / "grey.png" + "' && ffmpeg -v error -i '" +
                                      idef::test::testdata("astronaut.png") + "' -lossless 1 '" + dir / "a.webp" + "'");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  for (const char* name : {"grey.png", "a.webp"}) {
    std::string out = dir / (std::string("out-") + name);
    auto r = idef::test::run_command("'" + idef::test::tool("id-poison") + "' --model '" + model + "'" + kStrong +
                                     "- < '" + dir / name + "' > '" + out + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto in = idef::Image::load(dir / name);
    auto back = idef::Image::load(out);
    EXPECT_EQ(back.loader(), in.loader()) << name;
    EXPECT_EQ(back.width(), in.width());
    EXPECT_EQ(back.has_alpha(), in.has_alpha()) << name;
    int diff = max_abs_diff(in.rgb(), back.rgb());
    EXPECT_GT(diff, 0) << name;
    EXPECT_LE(diff, 6) << name;
  }
}

TEST(IdPoison, BadModelStopsBeforeAnyOutput) {
  ScratchDir dir;
  idef::write_all(dir / "bad.idm", "IDMODEL1\n5\nxx");
  fs::copy_file(idef::test::testdata("astronaut.png"), dir / "a.png");
  auto r = run_tool("id-poison", "--model '" + dir / "bad.idm" + "' --output '" + dir / "out" + "' '" + dir / "a.png" + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.idm"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "out"));
  idef::write_all(dir / "clip.mp4", "whatever");
  auto video = run_tool("id-poison", "--method noise '" + dir / "clip.mp4" + "'");
  EXPECT_EQ(video.exit_code, 1);
  EXPECT_NE(video.err.find("cannot read '" + dir / "clip.mp4" + "': "), std::string::npos) << video.err;
  EXPECT_FALSE(fs::exists(dir / "clip.protected.mp4"));
  auto usage = run_tool("id-poison", "--method pgd '" + dir / "a.png" + "'");
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("--target"), std::string::npos);
}

// A real photo with three faces (opencv-doc): each face is protected and nothing far from
// them changes. PNG, so that every pixel can be compared exactly.
TEST(IdPoison, EachFaceOfARealGroupPhotoIsProtected) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  idef::Image photo = idef::Image::load(idef::test::testdata("opencv-three-faces.jpg"));
  idef::save_rgb8(dir / "three.png", photo.rgb());
  auto boxes = faces_in(photo.rgb());
  ASSERT_EQ(boxes.size(), 3u);
  auto r = run_tool("id-poison", "--model " + q(model) + kStrong + q(dir / "three.png"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("(3 faces)"), std::string::npos) << r.err;
  expect_faces_only(photo.rgb(), idef::Image::load(dir / "three.protected.png").rgb(), boxes);
}

// --jobs: several photos at a time give the very files one job gives.
TEST(IdPoison, JobsProtectABatchExactlyAsOneJobDoes) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  fs::create_directories(dir / "in/sub");
  idef::save_rgb8(dir / "in/grid.png", idef::Image::load(idef::test::testdata("opencv-face-grid.jpg")).rgb());
  idef::save_rgb8(dir / "in/sub/three.png", idef::Image::load(idef::test::testdata("opencv-three-faces.jpg")).rgb());
  fs::copy_file(idef::test::testdata("astronaut.png"), dir / "in/astronaut.png");
  idef::write_all(dir / "in/broken.png", "not a picture");
  auto one = run_tool("id-poison", "--model " + q(model) + kStrong + "--output " + q(dir / "one") + " " + q(dir / "in"));
  auto two = run_tool("id-poison", "--model " + q(model) + kStrong + "--jobs 3 --output " + q(dir / "two") + " " +
                                       q(dir / "in"));
  EXPECT_EQ(one.exit_code, 1);  // the broken file
  EXPECT_EQ(two.exit_code, 1) << two.err;
  EXPECT_NE(two.err.find("protected 3 of 4 inputs"), std::string::npos) << two.err;
  EXPECT_NE(two.err.find("broken.png"), std::string::npos) << two.err;
  for (const char* f : {"grid.png", "sub/three.png", "astronaut.png"})
    EXPECT_EQ(idef::read_all(dir / (std::string("one/") + f)), idef::read_all(dir / (std::string("two/") + f))) << f;
  EXPECT_FALSE(fs::exists(dir / "two/broken.png"));
  // The grid's many faces are all counted: the same total either way.
  auto faces_of = [](const std::string& err) { return err.substr(err.find("inputs (") + 8); };
  EXPECT_EQ(faces_of(one.err).substr(0, 6), faces_of(two.err).substr(0, 6)) << one.err << two.err;
}

// A grey photo with an alpha channel comes out a PNG of the same size with the very same
// alpha, its colour channels within the cap of the grey (the perturbation has colour, so the
// picture becomes RGB); a CMYK JPEG comes out a JPEG of the same size (converted to sRGB).
TEST(IdPoison, GreyAlphaAndCmykPhotosKeepTheirKind) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  const std::string src = idef::test::testdata("opencv-three-faces.jpg");
  idef::ensure_vips();
  vips::VImage photo = vips::VImage::new_from_file(src.c_str());
  vips::VImage grey = photo.colourspace(VIPS_INTERPRETATION_B_W);
  vips::VImage alpha = (grey.extract_band(0) * 0 + 180).cast(VIPS_FORMAT_UCHAR);
  grey.bandjoin(alpha).write_to_file((dir / "grey.png").c_str());
  photo.icc_transform("cmyk").write_to_file((dir / "cmyk.jpg").c_str(), vips::VImage::option()->set("Q", 98));

  auto r = run_tool("id-poison", "--model " + q(model) + kStrong + q(dir / "grey.png") + " " + q(dir / "cmyk.jpg"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  vips::VImage grey_out = vips::VImage::new_from_file((dir / "grey.protected.png").c_str());
  ASSERT_EQ(grey_out.bands(), 4);
  EXPECT_EQ(grey_out.width(), photo.width());
  EXPECT_EQ(grey_out.height(), photo.height());
  vips::VImage grey_in = vips::VImage::new_from_file((dir / "grey.png").c_str());
  EXPECT_EQ(grey_out.extract_band(3).max(), 180);
  EXPECT_EQ(grey_out.extract_band(3).min(), 180);
  vips::VImage change = (grey_out.extract_band(0, vips::VImage::option()->set("n", 3)) - grey_in.extract_band(0)).abs();
  EXPECT_GT(change.max(), 0);  // the faces changed
  EXPECT_LE(change.max(), kStrongCap);

  idef::Image cmyk_out = idef::Image::load(dir / "cmyk.protected.jpg");
  EXPECT_EQ(cmyk_out.loader(), idef::Image::load(dir / "cmyk.jpg").loader());
  EXPECT_EQ(cmyk_out.width(), photo.width());
  EXPECT_EQ(cmyk_out.height(), photo.height());
}

TEST(IdPoison, RefineStaysWithinTauAndNeedsTheModelsSurrogate) {
  ScratchDir dir;
  std::string plain = write_pg_model(dir);  // carries no surrogate
  idef::PerturbationModel m = idef::load_perturbation_model(plain);
  m.surrogates.push_back({idef::test::small_editor("cnet", 4, 64, 2, 5), {"Black_Hair", "Male"}});
  idef::save_perturbation_model(dir / "refinable.idm", m);
  fs::copy_file(idef::test::testdata("astronaut.png"), dir / "a.png");
  const std::string args = "--aligned" + std::string(kStrong) + "--refine 3 ";
  auto refused = run_tool("id-poison", args + "--model " + q(plain) + " " + q(dir / "a.png"));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("no surrogate"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(dir / "a.protected.png"));
  auto r = run_tool("id-poison", args + "--model " + q(dir / "refinable.idm") + " " + q(dir / "a.png"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto in = idef::Image::load(dir / "a.png"), out = idef::Image::load(dir / "a.protected.png");
  EXPECT_GT(max_abs_diff(in.rgb(), out.rgb()), 0);
  EXPECT_LE(max_abs_diff(in.rgb(), out.rgb()), kStrongCap);
  auto noise = run_tool("id-poison", "--method noise --refine 2 " + q(dir / "a.png"));
  EXPECT_EQ(noise.exit_code, 2) << noise.err;
}

// --refine-against: an editor of the user's choice (e.g. one from id-forge import) in place
// of the surrogates the model carries, so a model without any refines too; it needs --refine,
// and an editor of another size than the generator's is refused.
TEST(IdPoison, RefineAgainstAGivenEditorStaysWithinTau) {
  ScratchDir dir;
  std::string plain = write_pg_model(dir);  // carries no surrogate
  idef::save_editor_model(dir / "forger.idm", {idef::test::small_editor("res6", 4, 64, 2, 6), {"A", "B"}});
  idef::save_editor_model(dir / "forger32.idm", {idef::test::small_editor("res6", 4, 32, 2, 6), {"A", "B"}});
  fs::copy_file(idef::test::testdata("astronaut.png"), dir / "a.png");
  const std::string args = "--aligned" + std::string(kStrong) + "--model " + q(plain) + " ";
  auto r = run_tool("id-poison", args + "--refine 2 --refine-against " + q(dir / "forger.idm") + " " + q(dir / "a.png"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto in = idef::Image::load(dir / "a.png"), out = idef::Image::load(dir / "a.protected.png");
  EXPECT_GT(max_abs_diff(in.rgb(), out.rgb()), 0);
  EXPECT_LE(max_abs_diff(in.rgb(), out.rgb()), kStrongCap);
  fs::remove(dir / "a.protected.png");
  auto no_refine = run_tool("id-poison", args + "--refine-against " + q(dir / "forger.idm") + " " + q(dir / "a.png"));
  EXPECT_EQ(no_refine.exit_code, 2) << no_refine.err;
  EXPECT_NE(no_refine.err.find("--refine-against needs --refine"), std::string::npos) << no_refine.err;
  auto other_size =
      run_tool("id-poison", args + "--refine 2 --refine-against " + q(dir / "forger32.idm") + " " + q(dir / "a.png"));
  EXPECT_EQ(other_size.exit_code, 1) << other_size.err;
  EXPECT_NE(other_size.err.find("32 px"), std::string::npos) << other_size.err;
  EXPECT_FALSE(fs::exists(dir / "a.protected.png"));
}

// Whatever one input throws is that input's failure, with one job or several: here a file
// stands where an output folder must go (a filesystem_error, not an InputError), and the
// other inputs are still protected. (With --jobs it once reached std::terminate.)
TEST(IdPoison, AnyErrorOfOneInputLeavesTheOthersProtectedWithAnyJobs) {
  ScratchDir dir;
  fs::create_directories(dir / "in/sub");
  idef::Rgb8 face(32, 32);
  for (std::size_t i = 0; i < face.pixels.size(); ++i) face.pixels[i] = static_cast<std::uint8_t>(50 + i % 150);
  for (const char* f : {"in/a.png", "in/sub/b.png", "in/c.png"}) idef::save_rgb8(dir / f, face);
  for (const char* jobs : {"1", "2"}) {
    const std::string out = dir / (std::string("out") + jobs);
    fs::create_directories(out);
    idef::write_all(out + "/sub", "a file where a folder should go");
    auto r = run_tool("id-poison", std::string("--aligned --method noise --threads 1 --jobs ") + jobs + " --output " +
                                       q(out) + " " + q(dir / "in"));
    EXPECT_EQ(r.exit_code, 1) << jobs << ": " << r.err;
    EXPECT_NE(r.err.find("sub/b.png"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("protected 2 of 3 inputs"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(out + "/a.png")) << jobs;
    EXPECT_TRUE(fs::exists(out + "/c.png")) << jobs;
  }
}

// One rule for an input without a face, whatever its kind (a photo, a y4m file, a stream):
// by default it fails and nothing is written; copy writes it unchanged; skip leaves it out;
// in place the original is never rewritten; frames on standard output always pass.
TEST(IdPoison, AnInputWithoutAFaceFollowsOneRuleForPhotosAndVideos) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  fs::create_directories(dir.path() / "in");
  idef::Rgb8 flat(80, 60);
  std::fill(flat.pixels.begin(), flat.pixels.end(), 90);
  idef::save_rgb8(dir / "in/wall.jpg", flat);
  std::string y4m = "YUV4MPEG2 W64 H48 F25:1 C444\n";
  for (int f = 0; f < 3; ++f) y4m += "FRAME\n" + std::string(64 * 48 * 3, char(100 + f));
  idef::write_all(dir / "in/wall.y4m", y4m);
  const std::string photo_bytes = idef::read_all(dir / "in/wall.jpg");
  const std::string inputs = " " + q(dir / "in/wall.jpg") + " " + q(dir / "in/wall.y4m");
  auto poison = [&](const std::string& args) {
    return run_tool("id-poison", "--model " + q(model) + kStrong + args + inputs);
  };
  auto written = [&](const std::string& folder) {  // what a run left there, but its lock
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir.path() / folder))
      if (e.path().filename() != ".id-poison.lock") names.push_back(e.path().filename().string());
    return names;
  };

  auto failed = poison("--output " + q(dir / "fail"));
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_NE(failed.err.find("wall.jpg': no face found (nothing protected, no output written)"), std::string::npos)
      << failed.err;
  EXPECT_NE(failed.err.find("wall.y4m': no face found in any of its 3 frames (nothing protected, no output written)"),
            std::string::npos)
      << failed.err;
  EXPECT_NE(failed.err.find("protected 0 of 2 inputs (0 faces), 2 failed"), std::string::npos)
      << failed.err;
  EXPECT_TRUE(written("fail").empty());  // no output, no temporary

  auto copied = poison("--no-face copy --output " + q(dir / "copy"));
  EXPECT_EQ(copied.exit_code, 0) << copied.err;
  EXPECT_NE(copied.err.find("wall.jpg': no face found (copied unchanged)"), std::string::npos) << copied.err;
  EXPECT_NE(copied.err.find("protected 0 of 2 inputs (0 faces), 2 without a face"),
            std::string::npos)
      << copied.err;
  EXPECT_EQ(idef::read_all(dir / "copy/wall.jpg"), photo_bytes);  // the file itself, not re-encoded
  EXPECT_EQ(idef::read_all(dir / "copy/wall.y4m"), y4m);

  auto skipped = poison("--no-face skip --output " + q(dir / "skip"));
  EXPECT_EQ(skipped.exit_code, 0) << skipped.err;
  EXPECT_NE(skipped.err.find("wall.y4m': no face found in any of its 3 frames (no output written)"),
            std::string::npos)
      << skipped.err;
  EXPECT_TRUE(written("skip").empty());

  for (const char* rule : {"fail", "copy", "skip"}) {
    auto in_place = poison(std::string("--in-place --no-face ") + rule);
    EXPECT_EQ(in_place.exit_code, std::string(rule) == "fail" ? 1 : 0) << rule << ": " << in_place.err;
    EXPECT_EQ(idef::read_all(dir / "in/wall.jpg"), photo_bytes) << rule;
    EXPECT_EQ(idef::read_all(dir / "in/wall.y4m"), y4m) << rule;
  }

  // A stream cannot hold its frames back: they pass, and the default still fails the run.
  auto piped = idef::test::run_command(q(idef::test::tool("id-poison")) + " --model " + q(model) + kStrong + "- < " +
                           q(dir / "in/wall.y4m") + " > " + q(dir / "piped.y4m"));
  EXPECT_EQ(piped.exit_code, 1);
  EXPECT_NE(piped.err.find("(nothing protected, its frames passed unchanged)"), std::string::npos) << piped.err;
  EXPECT_EQ(idef::read_all(dir / "piped.y4m"), y4m);
}

// --method push: the landmark push alone, within --epsilon's cap (0.02: 3 levels), near the
// face only; it takes no model.
TEST(IdPoison, MethodPushMovesOnlyThePixelsNearTheFaceWithinTheCap) {
  ScratchDir dir;
  fs::copy_file(idef::test::testdata("astronaut.png"), dir / "astronaut.png");
  auto r = run_tool("id-poison", "--method push --epsilon 0.02 --threads 1 --quiet " + q(dir / "astronaut.png"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto in = idef::Image::load(dir / "astronaut.png").rgb();
  auto out = idef::Image::load(dir / "astronaut.protected.png").rgb();
  expect_faces_only(in, out, faces_in(in));
  EXPECT_LE(max_abs_diff(in, out), 3);

  auto refused = run_tool("id-poison", "--method push --model " + q(dir / "astronaut.png") + " " +
                                           q(dir / "astronaut.png"));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--method push takes no --model"), std::string::npos) << refused.err;
  auto aligned = run_tool("id-poison", "--method push --aligned " + q(dir / "astronaut.png"));
  EXPECT_EQ(aligned.exit_code, 2);
  EXPECT_NE(aligned.err.find("the landmark push (--push-landmarks, --method push) needs"), std::string::npos)
      << aligned.err;
}
