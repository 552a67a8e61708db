// id-score attr and sweep on real files: tiny editors and a perturbation generator made
// here, faces in the CelebA layout and in plain folders, the report folder, and errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "core/atomic_file.h"
#include "defence/perturbation_model.h"
#include "io/image.h"
#include "io/tensor_image.h"
#include "model/editor_model.h"
#include "tool_test.h"

namespace fs = std::filesystem;
using idef::Rgb8;
using idef::test::has;
using idef::test::q;
using idef::test::run_tool;
using idef::test::ScratchDir;

namespace {

int lines(const std::string& text) { return static_cast<int>(std::count(text.begin(), text.end(), '\n')); }

void write_editor(const std::string& path, int size, std::uint64_t seed) {
  torch::manual_seed(seed);
  idef::nets::EditorConfig c;
  c.arch = "cnet";
  c.width = 4;
  c.c_dim = 2;
  c.image_size = size;
  idef::EditorModel m{idef::nets::make_editor(c), {"A0", "A1"}};
  idef::save_editor_model(path, m);
}

void write_generator(const std::string& path) {
  idef::save_perturbation_model(path, idef::test::small_generator("cnet", 4, 16, 9));
}

Rgb8 pattern(int size, int seed) {
  Rgb8 im(size, size);
  for (int y = 0; y < size; ++y)
    for (int x = 0; x < size; ++x)
      for (int c = 0; c < 3; ++c) im.at(x, y, c) = static_cast<std::uint8_t>((x * 11 + y * 5 + c * 70 + seed * 29) % 200 + 20);
  return im;
}

// A picture a person could read: the expected size and many distinct colours.
void expect_picture(const std::string& path, int min_w, int min_h) {
  ASSERT_TRUE(fs::exists(path)) << path;
  idef::Image im = idef::Image::load(path);
  EXPECT_GE(im.width(), min_w) << path;
  EXPECT_GE(im.height(), min_h) << path;
  std::set<int> colours;
  const Rgb8& rgb = im.rgb();
  for (std::size_t i = 0; i + 2 < rgb.pixels.size(); i += 3)
    colours.insert(rgb.pixels[i] << 16 | rgb.pixels[i + 1] << 8 | rgb.pixels[i + 2]);
  EXPECT_GT(colours.size(), 20u) << path << " looks blank";
}

struct Fixture {
  ScratchDir dir;
  Fixture() {
    idef::test::write_tiny_celeba(dir.path() / "faces", 6, 16, 2);
    write_editor(dir / "m16.idm", 16, 1);
    write_editor(dir / "m32.idm", 32, 2);  // another size: faces are resized for it
    write_generator(dir / "pg.idm");
  }
};

}  // namespace

TEST(IdScoreAttr, NoiseOnCelebaWritesTableJsonCsvAndContactSheets) {
  Fixture f;
  const std::string common = "attr --threads 1 --quiet --data " + q(f.dir / "faces") + " --split all --forger " +
                             q(f.dir / "m16.idm") + " --forger " + q(f.dir / "m32.idm") + " --method noise ";
  auto r = run_tool("id-score", common + "--report " + q(f.dir / "R") + " --sheet-count 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_TRUE(has(r.out, "forger  images   pairs  disrupted   DSR(%)")) << r.out;
  EXPECT_TRUE(has(r.out, "\nm16 ")) << r.out;
  EXPECT_TRUE(has(r.out, "\nm32 ")) << r.out;
  EXPECT_EQ(lines(r.out), 3);

  // 6 faces × 2 forgers × 2 target domains.
  std::string items = idef::read_all(f.dir / "R/items.csv");
  EXPECT_EQ(lines(items), 1 + 24) << items;
  EXPECT_TRUE(has(items, "image,forger,domain,l1,l2,disrupted,psnr,ssim\n000001.png,m16,A0,")) << items;
  std::string summary = idef::read_all(f.dir / "R/summary.csv");
  EXPECT_EQ(lines(summary), 3) << summary;
  EXPECT_TRUE(has(summary, "\nm16,6,12,")) << summary;
  // 2 faces × 2 domains = 4 rows of 16 px cells enlarged to 96 px, 7 columns; m32's at 32 → 96.
  expect_picture(f.dir / "R/sheet-m16.png", 7 * 96, 4 * 96);
  expect_picture(f.dir / "R/sheet-m32.png", 7 * 96, 4 * 96);

  auto j = run_tool("id-score", common + "--json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto report = nlohmann::json::parse(j.out);
  EXPECT_EQ(report["verb"], "attr");
  EXPECT_EQ(report["threshold"], 0.05);
  EXPECT_EQ(report["protection"], (nlohmann::json{{"method", "noise"}, {"epsilon", 0.05}}));
  const auto& m16 = report["forgers"][0];
  EXPECT_EQ(m16["forger"], "m16");
  EXPECT_EQ(m16["images"], 6);
  EXPECT_EQ(m16["pairs"], 12);
  for (const char* key : {"disrupted", "dsr", "psnr", "ssim", "path", "input_l2", "gain"})
    EXPECT_TRUE(m16.contains(key)) << key << " in " << j.out;
  EXPECT_EQ(report["errors"], nlohmann::json::array());
  EXPECT_EQ(report["summary"], (nlohmann::json{{"faces", 6}, {"scored", 6}, {"failed", 0}}));
  // A threshold no distance reaches gives 0 disrupted pairs; -- of the same run.
  auto none = run_tool("id-score", common + "--json --threshold 4");  // the largest L2 on [-1, 1]
  const auto none_report = nlohmann::json::parse(none.out);
  EXPECT_EQ(none_report["forgers"][0]["disrupted"], 0) << none.out;
  EXPECT_EQ(none_report["forgers"][0]["dsr"], 0.0) << none.out;
}

TEST(IdScoreAttr, ProtectedFolderMatchesAnIndependentComputationAndReportsMissingCounterparts) {
  ScratchDir dir;
  write_editor(dir / "m16.idm", 16, 1);
  for (int i = 0; i < 3; ++i) {
    const std::string name = std::string(1, static_cast<char>('a' + i)) + ".png";
    fs::create_directories(dir.path() / "clean/sub");
    fs::create_directories(dir.path() / "prot/sub");
    Rgb8 clean = pattern(16, i), prot = clean;
    for (auto& v : prot.pixels) v = static_cast<std::uint8_t>(v + 12);
    idef::save_rgb8(dir / ("clean/sub/" + name), clean);
    if (i != 2) idef::save_rgb8(dir / ("prot/sub/" + name), prot);  // c.png has no counterpart
  }
  auto r = run_tool("id-score", "attr --threads 1 --quiet --forger " + q(dir / "m16.idm") + " --protected " +
                                    q(dir / "prot") + " --report " + q(dir / "R") + " " + q(dir / "clean"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_TRUE(has(r.err, "cannot read '" + dir / "prot/sub/c.png" + "': missing (counterpart of '" +
                             dir / "clean/sub/c.png" + "')")) << r.err;
  EXPECT_TRUE(has(r.err, "1 of 3 inputs failed")) << r.err;
  EXPECT_TRUE(has(r.out, "m16")) << r.out;
  std::string items = idef::read_all(dir / "R/items.csv");
  EXPECT_EQ(lines(items), 1 + 2 * 2) << items;
  EXPECT_FALSE(has(items, "c.png"));

  // The first pair recomputed here: the editor on both pictures, domain A0 alone (no labels).
  auto model = idef::load_editor_model(dir / "m16.idm");
  torch::NoGradGuard no_grad;
  Rgb8 clean = pattern(16, 0), prot = clean;
  for (auto& v : prot.pixels) v = static_cast<std::uint8_t>(v + 12);
  torch::Tensor c = idef::single_attribute_domain(2, 0);
  torch::Tensor y = model.editor->forward(idef::rgb8_to_tensor(clean), c);
  torch::Tensor yp = model.editor->forward(idef::rgb8_to_tensor(prot), c);
  const double l1 = (yp - y).abs().mean().item<double>(), l2 = (yp - y).pow(2).mean().item<double>();
  std::istringstream rows(items);
  std::string header, first;
  std::getline(rows, header);
  std::getline(rows, first);
  std::vector<std::string> cells;
  std::stringstream cs(first);
  for (std::string cell; std::getline(cs, cell, ',');) cells.push_back(cell);
  ASSERT_EQ(cells.size(), 8u) << first;
  EXPECT_EQ(cells[0], "sub/a.png");
  EXPECT_EQ(cells[2], "A0");
  EXPECT_NEAR(std::stod(cells[3]), l1, 1e-6);
  EXPECT_NEAR(std::stod(cells[4]), l2, 1e-6);
  EXPECT_EQ(cells[5], l2 > 0.05 ? "1" : "0");
  EXPECT_NEAR(std::stod(cells[6]), 20 * std::log10(255.0 / 12), 1e-6);  // PSNR of a uniform +12
}

// --labels gives photos their own attributes, so that each domain is StarGAN's target (one
// attribute flipped, the rest kept; recomputed here); a photo without a row is named in a
// warning and keeps one attribute on per domain; a list that lacks a column the forger edits is
// refused before any work, naming the file.
TEST(IdScoreAttr, LabelsGivePhotosStarGanTargets) {
  ScratchDir dir;
  write_editor(dir / "m16.idm", 16, 1);
  fs::create_directories(dir.path() / "clean");
  fs::create_directories(dir.path() / "prot");
  std::map<std::string, std::pair<Rgb8, Rgb8>> pictures;
  for (int i = 0; i < 2; ++i) {
    Rgb8 clean = pattern(16, i), prot = clean;
    for (auto& v : prot.pixels) v = static_cast<std::uint8_t>(v + 12);
    const std::string name = i == 0 ? "a.png" : "b.png";
    idef::save_rgb8(dir / ("clean/" + name), clean);
    idef::save_rgb8(dir / ("prot/" + name), prot);
    pictures[name] = {clean, prot};
  }
  idef::write_all(dir / "labels.txt", "1\nA0 Other A1\na.png 1 1 -1\n");
  const std::string base = "attr --threads 1 --forger " + q(dir / "m16.idm") + " --protected " + q(dir / "prot");
  auto r = run_tool("id-score", base + " --labels " + q(dir / "labels.txt") + " --report " + q(dir / "R") + " " +
                                    q(dir / "clean"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(has(r.err, "no row for 'b.png'")) << r.err;

  auto model = idef::load_editor_model(dir / "m16.idm");
  torch::NoGradGuard no_grad;
  auto l2_for = [&](const std::string& name, std::vector<float> labels) {
    torch::Tensor c = torch::tensor(labels).reshape({1, 2});
    torch::Tensor y = model.editor->forward(idef::rgb8_to_tensor(pictures[name].first), c);
    torch::Tensor yp = model.editor->forward(idef::rgb8_to_tensor(pictures[name].second), c);
    return (yp - y).pow(2).mean().item<double>();
  };
  const std::map<std::string, std::vector<float>> domains{
      {"a.png,A0", {0, 0}}, {"a.png,A1", {1, 1}},  // a.png is A0: each domain flips one attribute
      {"b.png,A0", {1, 0}}, {"b.png,A1", {0, 1}}};  // b.png has no row: one attribute on
  std::istringstream rows(idef::read_all(dir / "R/items.csv"));
  std::string row;
  std::getline(rows, row);
  int checked = 0;
  while (std::getline(rows, row)) {
    std::vector<std::string> cells;
    std::stringstream cs(row);
    for (std::string cell; std::getline(cs, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 8u) << row;
    const auto it = domains.find(cells[0] + "," + cells[2]);
    ASSERT_NE(it, domains.end()) << row;
    EXPECT_NEAR(std::stod(cells[4]), l2_for(cells[0], it->second), 1e-6) << row;
    ++checked;
  }
  EXPECT_EQ(checked, 4);
  // The labelled face's domains differ from the one-attribute ones, so the check above has teeth.
  EXPECT_GT(std::abs(l2_for("a.png", {0, 0}) - l2_for("a.png", {1, 0})), 1e-9);

  idef::write_all(dir / "short.txt", "1\nA0 Other\na.png 1 1\n");
  auto bad = run_tool("id-score", base + " --labels " + q(dir / "short.txt") + " --report " + q(dir / "S") + " " +
                                      q(dir / "clean"));
  EXPECT_EQ(bad.exit_code, 1) << bad.err;
  EXPECT_TRUE(has(bad.err, "short.txt") && has(bad.err, "no column 'A1'")) << bad.err;
  EXPECT_FALSE(fs::exists(dir / "S"));
}

TEST(IdScoreAttr, AnotherTasksModelAsForgerIsAnErrorBeforeAnyWork) {
  Fixture f;
  // The data folder does not exist: the model is refused first.
  auto r = run_tool("id-score", "attr --forger " + q(f.dir / "pg.idm") + " --method noise --data " +
                                    q(f.dir / "nowhere"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(has(r.err, "id-score: cannot read '" + f.dir / "pg.idm" + "': model task is 'attr', this needs 'editor'"))
      << r.err;
  auto missing = run_tool("id-score", "attr --forger " + q(f.dir / "none.idm") + " --method noise --data " +
                                          q(f.dir / "faces"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_TRUE(has(missing.err, "cannot read '" + f.dir / "none.idm" + "'")) << missing.err;
}

TEST(IdScoreAttr, UsageErrorsExitTwoWithNothingOnStdout) {
  Fixture f;
  const std::string m = " --forger " + q(f.dir / "m16.idm") + " --data " + q(f.dir / "faces");
  for (const std::string& args :
       {"attr" + m, "attr --method noise --protected " + q(f.dir / "faces") + m, "attr --method pgd" + m,
        "attr --method pg" + m, "attr --method noise --data " + q(f.dir / "faces"),
        "attr --method noise" + m + " " + q(f.dir / "faces"), "attr --method noise --epsilon 2" + m,
        "attr --method noise --epsilons 0.1" + m, "sweep --methods noise --epsilons 0.1,x" + m,
        "sweep --methods noise,pgd --epsilons 0.1" + m, "sweep --methods noise --method noise" + m,
        "sweep --methods blur" + m, "attr --method noise --labels " + q(f.dir / "faces/list_attr_celeba.txt") + m}) {
    auto r = run_tool("id-score", args);
    EXPECT_EQ(r.exit_code, 2) << args << ": " << r.err;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_TRUE(has(r.err, "id-score --help")) << args << ": " << r.err;
  }
}

TEST(IdScoreSweep, WritesSweepCsvAndReadablePlots) {
  Fixture f;
  auto r = run_tool("id-score", "sweep --threads 1 --quiet --data " + q(f.dir / "faces") + " --split all --limit 3 " +
                                    "--forger " + q(f.dir / "m16.idm") + "," + q(f.dir / "m32.idm") +
                                    " --methods noise,fgsm,pg --target " + q(f.dir / "m16.idm") +
                                    " --model " + q(f.dir / "pg.idm") + " --epsilons 0.02,0.05 --report " +
                                    q(f.dir / "R"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 3 methods × 2 ε × 2 forgers.
  EXPECT_EQ(lines(r.out), 1 + 12) << r.out;
  EXPECT_TRUE(has(r.out, "fgsm     0.0500  m32")) << r.out;
  std::string csv = idef::read_all(f.dir / "R/sweep.csv");
  EXPECT_EQ(lines(csv), 1 + 12) << csv;
  EXPECT_TRUE(has(csv, "method,epsilon,forger,images,pairs,psnr,ssim,l1,l2,dsr\nnoise,0.02,m16,3,6,")) << csv;
  EXPECT_TRUE(has(csv, "\npg,0.05,m32,3,6,")) << csv;
  for (const char* png : {"R/psnr-vs-epsilon.png", "R/dsr-vs-epsilon-m16.png", "R/dsr-vs-epsilon-m32.png",
                          "R/l2-vs-epsilon-m16.png", "R/l2-vs-epsilon-m32.png"}) {
    expect_picture(f.dir / png, 720, 440);
    EXPECT_EQ(idef::Image::load(f.dir / png).width(), 720);
    EXPECT_EQ(idef::Image::load(f.dir / png).height(), 440);
  }
  auto j = run_tool("id-score", "sweep --threads 1 --quiet --json --data " + q(f.dir / "faces") +
                                    " --split all --limit 2 --forger " + q(f.dir / "m16.idm") +
                                    " --methods noise --epsilons 0.05");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto sweep = nlohmann::json::parse(j.out);
  EXPECT_EQ(sweep["verb"], "sweep");
  EXPECT_EQ(sweep["threshold"], 0.05);
  const auto& row = sweep["rows"][0];
  EXPECT_EQ(row["method"], "noise");
  EXPECT_EQ(row["epsilon"], 0.05);
  EXPECT_EQ(row["forger"], "m16");
  EXPECT_EQ(row["images"], 2);
  EXPECT_EQ(row["pairs"], 4) << j.out;
}

// --align: a real portrait is scored on the face crop a forger would cut, and its protected
// counterpart (id-poison's output, perturbed only around the face) is cut alike.
TEST(IdScoreAttr, AlignScoresTheFaceCropOfPhotos) {
  ScratchDir dir;
  write_editor(dir / "ed.idm", 32, 1);
  fs::create_directories(dir / "clean");
  fs::create_directories(dir / "prot");
  fs::copy_file(idef::test::testdata("astronaut.png"), dir / "clean/astronaut.png");
  // A protected stand-in: the photo with a bright square over the face region only.
  idef::Image photo = idef::Image::load(dir / "clean/astronaut.png");
  Rgb8 prot = photo.rgb();
  for (int y = 80; y < 260; ++y)
    for (int x = 160; x < 330; ++x)
      for (int c = 0; c < 3; ++c) prot.at(x, y, c) = static_cast<std::uint8_t>(std::min(255, prot.at(x, y, c) + 40));
  idef::save_rgb8(dir / "prot/astronaut.png", prot);
  idef::save_rgb8(dir / "clean/blank.png", pattern(64, 3));  // no face in it

  auto r = run_tool("id-score", "attr --align --json --forger " + q(dir / "ed.idm") + " --protected " +
                                    q(dir / "prot") + " " + q(dir / "clean"));
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the blank picture has no face
  EXPECT_TRUE(has(r.err, "blank.png': no face found")) << r.err;
  const auto aligned = nlohmann::json::parse(r.out)["forgers"][0];
  EXPECT_EQ(aligned["images"], 1) << r.out;
  // The aligned crop of the brightened face differs: a finite PSNR well below identity.
  ASSERT_TRUE(aligned["psnr"].is_number()) << r.out;
  double psnr = aligned["psnr"];
  EXPECT_LT(psnr, 30.0) << r.out;

  // Without --align the whole picture is resized instead: a much smaller share changes.
  auto whole = run_tool("id-score", "attr --json --forger " + q(dir / "ed.idm") + " --protected " + q(dir / "prot") +
                                        " " + q(dir / "clean/astronaut.png"));
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  double psnr_whole = nlohmann::json::parse(whole.out)["forgers"][0]["psnr"];
  EXPECT_GT(psnr_whole, psnr);

  auto bad = run_tool("id-score", "attr --align --data " + q(dir.path().string()) + " --forger " + q(dir / "ed.idm") + " --method noise");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
}

// What id-score measures on the fly is what id-poison writes: for every method, the scores
// of id-poison's files (--protected) equal those of id-score's own protection, seed for seed.
TEST(IdScoreAttr, OnTheFlyProtectionScoresExactlyWhatIdPoisonWrites) {
  Fixture f;
  fs::create_directories(f.dir / "clean");
  for (int i = 0; i < 3; ++i) idef::save_rgb8(f.dir / ("clean/f" + std::to_string(i) + ".png"), pattern(16, i));
  const std::string forger = " --forger " + q(f.dir / "m16.idm") + " ";
  const std::map<std::string, std::string> models{{"pg", "--model " + q(f.dir / "pg.idm")},
                                                  {"noise", ""},
                                                  {"pgd", "--target " + q(f.dir / "m16.idm")}};
  for (const auto& [method, model] : models) {
    const std::string settings = " --method " + method + " " + model + " --seed 7 --threads 1 --quiet ";
    const fs::path out = f.dir / ("poisoned-" + method);
    auto poison = run_tool("id-poison", "--aligned" + settings + "--output " + q(out) + " " + q(f.dir / "clean"));
    ASSERT_EQ(poison.exit_code, 0) << method << ": " << poison.err;
    auto written = run_tool("id-score", "attr --json --threads 1 --quiet" + forger + "--protected " + q(out) + " " +
                                            q(f.dir / "clean"));
    auto on_the_fly = run_tool("id-score", "attr --json" + forger + settings + q(f.dir / "clean"));
    ASSERT_EQ(written.exit_code, 0) << method << ": " << written.err;
    ASSERT_EQ(on_the_fly.exit_code, 0) << method << ": " << on_the_fly.err;
    const auto a = nlohmann::json::parse(written.out)["forgers"][0];
    const auto b = nlohmann::json::parse(on_the_fly.out)["forgers"][0];
    EXPECT_GT(a["input_l2"].get<double>(), 0) << method;
    for (const char* key : {"l1", "l2", "psnr", "ssim", "input_l2", "disrupted"})
      EXPECT_EQ(a[key], b[key]) << method << " " << key << ": " << written.out << " vs " << on_the_fly.out;
  }
}
