// id-score on real files: two pictures, two folders with problems, JSON/CSV, LPIPS weights.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "core/atomic_file.h"
#include "io/image.h"
#include "metrics/perceptual.h"
#include "tool_test.h"

namespace fs = std::filesystem;
using idef::Rgb8;
using idef::test::has;
using idef::test::q;
using idef::test::run_tool;
using idef::test::ScratchDir;

namespace {

Rgb8 flat(int w, int h, std::uint8_t v) {
  Rgb8 im(w, h);
  std::fill(im.pixels.begin(), im.pixels.end(), v);
  return im;
}

void write_png(const std::string& path, const Rgb8& im) {
  fs::create_directories(fs::path(path).parent_path());
  idef::save_rgb8(path, im);
}

}  // namespace

TEST(IdScore, TwoPicturesTableAndJson) {
  ScratchDir dir;
  write_png(dir / "a.png", flat(16, 16, 100));
  write_png(dir / "b.png", flat(16, 16, 110));
  auto r = run_tool("id-score", "image " + q(dir / "a.png") + " " + q(dir / "b.png"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // PSNR 20·log10(25.5) = 28.13 dB; L1 = 10/127.5; SSIM of flat greys by the formula.
  EXPECT_TRUE(has(r.out, "PSNR(dB)")) << r.out;
  EXPECT_TRUE(has(r.out, "28.13")) << r.out;
  EXPECT_TRUE(has(r.out, "0.078431")) << r.out;
  EXPECT_TRUE(has(r.out, "0.9955")) << r.out;
  EXPECT_TRUE(has(r.out, "n/a")) << r.out;  // LPIPS without weights
  EXPECT_TRUE(has(r.out, "mean (1)")) << r.out;

  auto j = run_tool("id-score", "image --json " + q(dir / "a.png") + " " + q(dir / "b.png"));
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto report = nlohmann::json::parse(j.out);
  const auto& item = report["items"][0];
  EXPECT_NEAR(item["psnr"].get<double>(), 28.13, 0.005) << j.out;
  EXPECT_NEAR(item["l1"].get<double>(), 0.0784, 0.00005) << j.out;
  EXPECT_TRUE(item["ssim"].is_number() && item["l2"].is_number()) << j.out;
  EXPECT_TRUE(item["lpips"].is_null()) << j.out;
  EXPECT_EQ(report["summary"]["count"], 1) << j.out;

  // Identical pictures: PSNR is +inf, "inf" in text and null in JSON.
  auto same = run_tool("id-score", "image " + q(dir / "a.png") + " " + q(dir / "a.png"));
  ASSERT_EQ(same.exit_code, 0) << same.err;
  EXPECT_TRUE(has(same.out, " inf ")) << same.out;
  auto same_json = run_tool("id-score", "image --json " + q(dir / "a.png") + " " + q(dir / "a.png"));
  const auto same_item = nlohmann::json::parse(same_json.out)["items"][0];
  EXPECT_TRUE(same_item["psnr"].is_null()) << same_json.out;
  EXPECT_EQ(same_item["ssim"], 1.0) << same_json.out;
}

TEST(IdScore, FoldersReportMissingCounterpartsAndSizeMismatchesAndScoreTheRest) {
  ScratchDir dir;
  const std::string a = dir / "A", b = dir / "B";
  write_png(a + "/x.png", flat(16, 16, 100));
  write_png(b + "/x.png", flat(16, 16, 120));
  write_png(a + "/sub/y.png", flat(16, 16, 50));
  write_png(b + "/sub/y.png", flat(16, 16, 50));
  write_png(a + "/z.png", flat(16, 16, 10));
  write_png(b + "/z.png", flat(20, 16, 10));
  write_png(a + "/only_a.png", flat(16, 16, 10));
  write_png(b + "/only_b.png", flat(16, 16, 10));
  idef::write_all(a + "/notes.txt", "not an image: ignored");
  auto r = run_tool("id-score", "image --csv " + q(dir / "s.csv") + " " + q(a) + " " + q(b));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  // The good pairs are still reported.
  EXPECT_TRUE(has(r.out, "x.png")) << r.out;
  EXPECT_TRUE(has(r.out, "sub/y.png")) << r.out;
  EXPECT_TRUE(has(r.out, "mean (2)")) << r.out;
  EXPECT_FALSE(has(r.out, "z.png")) << r.out;
  EXPECT_FALSE(has(r.out, "only_")) << r.out;
  // Each problem is named on stderr.
  EXPECT_TRUE(has(r.err, "'" + b + "/only_a.png' is missing (counterpart of '" + a + "/only_a.png')")) << r.err;
  EXPECT_TRUE(has(r.err, "'" + a + "/only_b.png' is missing")) << r.err;
  EXPECT_TRUE(has(r.err, "size mismatch: '" + a + "/z.png' is 16x16, '" + b + "/z.png' is 20x16")) << r.err;
  EXPECT_TRUE(has(r.err, "3 of 5 items failed")) << r.err;
  EXPECT_FALSE(has(r.err, "notes.txt")) << r.err;
  // Per-item CSV of the scored pairs.
  std::string csv = idef::read_all(dir / "s.csv");
  EXPECT_TRUE(has(csv, "item,psnr,ssim,l1,l2,lpips\n")) << csv;
  EXPECT_TRUE(has(csv, "sub/y.png,inf,1,0,0,n/a\n")) << csv;
  EXPECT_TRUE(has(csv, "\nx.png,")) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3) << csv;

  // JSON lists the errors too.
  auto j = run_tool("id-score", "image --json " + q(a) + " " + q(b));
  EXPECT_EQ(j.exit_code, 1);
  const auto with_errors = nlohmann::json::parse(j.out);
  EXPECT_EQ(with_errors["summary"]["failed"], 3) << j.out;
  EXPECT_EQ(with_errors["errors"][0]["item"], "only_a.png") << j.out;
}

TEST(IdScore, UnreadableFilesAreReportedAndTheRestScored) {
  ScratchDir dir;
  write_png(dir / "A/good.png", flat(16, 16, 1));
  write_png(dir / "B/good.png", flat(16, 16, 2));
  fs::create_directories(dir / "A");
  idef::write_all(dir / "A/bad.png", "garbage");
  write_png(dir / "B/bad.png", flat(16, 16, 2));
  auto r = run_tool("id-score", "image " + q(dir / "A") + " " + q(dir / "B"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "cannot read '" + dir / "A/bad.png" + "'")) << r.err;
  EXPECT_TRUE(has(r.out, "good.png")) << r.out;
  EXPECT_TRUE(has(r.err, "1 of 2 items failed")) << r.err;
}

TEST(IdScore, UsageErrorsExitTwoWithNothingOnStdout) {
  ScratchDir dir;
  write_png(dir / "a.png", flat(16, 16, 1));
  fs::create_directories(dir / "D");
  for (const std::string& args : {std::string("frobnicate"), std::string("image ") + q(dir / "a.png"),
                                  "image " + q(dir / "a.png") + " " + q(dir / "D"),
                                  "image --json --csv - " + q(dir / "a.png") + " " + q(dir / "a.png"),
                                  std::string("image - -")}) {
    auto r = run_tool("id-score", args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_TRUE(has(r.err, "id-score --help")) << r.err;
  }
  auto missing = run_tool("id-score", "image " + q(dir / "a.png") + " " + q(dir / "nope.png"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.out, "");
  EXPECT_TRUE(has(missing.err, "nope.png")) << missing.err;
}

TEST(IdScore, LpipsColumnFromAWeightsFile) {
  ScratchDir dir;
  torch::manual_seed(1);
  idef::PerceptualNet net("alex");
  idef::save_perceptual_weights(dir / "alex.idm", net);
  Rgb8 a = flat(32, 32, 90), b = flat(32, 32, 90);
  for (int y = 0; y < 32; ++y)
    for (int x = 0; x < 32; ++x) b.at(x, y, (x + y) % 3) = static_cast<std::uint8_t>((x * 7 + y * 13) % 256);
  write_png(dir / "a.png", a);
  write_png(dir / "b.png", b);
  auto r = run_tool("id-score", "image --json --lpips-weights " + q(dir / "alex.idm") + " " + q(dir / "a.png") +
                                    " " + q(dir / "b.png"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto with_lpips = nlohmann::json::parse(r.out);
  EXPECT_EQ(with_lpips["lpips_net"], "alex") << r.out;
  EXPECT_TRUE(with_lpips["items"][0]["lpips"].is_number()) << r.out;
  auto t = run_tool("id-score", "image --lpips-weights " + q(dir / "alex.idm") + " " + q(dir / "a.png") + " " +
                                    q(dir / "a.png"));
  ASSERT_EQ(t.exit_code, 0) << t.err;
  EXPECT_TRUE(has(t.out, "LPIPS-alex")) << t.out;
  EXPECT_TRUE(has(t.out, "0.0000")) << t.out;  // identical pictures

  auto bad = run_tool("id-score", "image --lpips-weights " + q(dir / "none.idm") + " " + q(dir / "a.png") + " " +
                                      q(dir / "b.png"));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.out, "");
  EXPECT_TRUE(has(bad.err, "none.idm")) << bad.err;
}
