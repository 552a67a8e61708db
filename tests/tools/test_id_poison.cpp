// id-poison on real photos.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/atomic_file.h"
#include "io/image.h"
#include "poison_test.h"

namespace fs = std::filesystem;
using idef::test::run_tool;
using idef::test::ScratchDir;

using idef::test::kStrong;
using idef::test::max_abs_diff;
using idef::test::write_pg_model;

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
