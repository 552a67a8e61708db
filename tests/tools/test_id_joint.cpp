// id-joint: two generators (attribute, then reenactment) on the padded talking head through
// pipes and files. The untrained test generators saturate at ε = 1, so each stage changes
// pixels by its full τ and the cap on the sum is what limits the output.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "io/image.h"
#include "model/editor_model.h"
#include "poison_test.h"

namespace fs = std::filesystem;
using idef::test::ffmpeg_rgb24;
using idef::test::has;
using idef::test::kHeight;
using idef::test::kWidth;
using idef::test::make_talking_y4m;
using idef::test::q;
using idef::test::read_y4m;
using idef::test::run_command;
using idef::test::run_tool;
using idef::test::ScratchDir;
using idef::test::tool;

namespace {

// The two generators: ε 1 and τ 0.05 (6 levels) each, in the model files themselves.
struct JointModels {
  std::string attr, reenact;
};

JointModels write_models(const ScratchDir& dir) {
  JointModels m{dir / "attr.idm", dir / "reenact.idm"};
  idef::PerturbationModel attr = idef::test::small_generator("unet64", 4, 64, 5);
  idef::PerturbationModel reenact = idef::test::small_generator("unet64", 4, 64, 9);
  for (auto* g : {&attr, &reenact}) g->epsilon = 1, g->tau = 0.05;
  reenact.task = "reenact";
  idef::save_perturbation_model(m.attr, attr);
  idef::save_perturbation_model(m.reenact, reenact);
  return m;
}

std::string joint(const JointModels& m, const std::string& args) {
  return "'" + tool("id-joint") + "' --attr-model " + q(m.attr) + " --reenact-model " + q(m.reenact) +
         " --threads 1 " + args;
}

// The report's max_change_levels column, one value per line after the header.
std::vector<int> report_levels(const std::string& csv) {
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "input,frame,faces,max_change_levels,max_change");
  std::vector<int> levels;
  while (std::getline(in, line)) {
    std::stringstream fields(line);
    std::string input, frame, faces, level;
    std::getline(fields, input, ',');
    std::getline(fields, frame, ',');
    std::getline(fields, faces, ',');
    std::getline(fields, level, ',');
    EXPECT_EQ(std::stoi(frame), static_cast<int>(levels.size()));
    levels.push_back(std::stoi(level));
  }
  return levels;
}

}  // namespace

// Raw rgb24 (no colour conversion, so the caps hold exactly): both stages act (the change
// exceeds one stage's τ of 6 somewhere), --max-epsilon caps the sum in every frame, and the
// report says each frame's change as it is measured on the output.
TEST(IdJoint, CapHoldsOnTheSumOfBothGenerators) {
  ScratchDir dir;
  const JointModels m = write_models(dir);
  std::string in = make_talking_y4m(dir, "yuv444p");
  auto decode = run_command("ffmpeg -v error -i " + q(in) + " -f rawvideo -pix_fmt rgb24 " + q(dir / "in.rgb"));
  ASSERT_EQ(decode.exit_code, 0) << decode.err;
  const auto before = idef::test::rgb24_frames(idef::read_all(dir / "in.rgb"));

  auto both = run_command(joint(m, "--size 224x160 --report " + q(dir / "both.csv") + " - < ") + q(dir / "in.rgb") +
                          " > " + q(dir / "both.rgb"));
  ASSERT_EQ(both.exit_code, 0) << both.err;
  auto capped = run_command(joint(m, "--size 224x160 --max-epsilon 0.03 --report " + q(dir / "capped.csv") +
                                         " - < ") + q(dir / "in.rgb") + " > " + q(dir / "capped.rgb"));
  ASSERT_EQ(capped.exit_code, 0) << capped.err;

  const auto after = idef::test::rgb24_frames(idef::read_all(dir / "both.rgb"));
  const auto after_capped = idef::test::rgb24_frames(idef::read_all(dir / "capped.rgb"));
  const auto levels = report_levels(dir / "both.csv"), capped_levels = report_levels(dir / "capped.csv");
  ASSERT_EQ(after.size(), before.size());
  ASSERT_EQ(after_capped.size(), before.size());
  ASSERT_EQ(levels.size(), before.size());
  ASSERT_EQ(capped_levels.size(), before.size());
  int most = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    const int change = idef::test::max_abs_diff(before[i], after[i]);
    EXPECT_EQ(levels[i], change) << "frame " << i;
    EXPECT_LE(change, 12) << "frame " << i;  // each stage's own τ
    most = std::max(most, change);
    const int capped_change = idef::test::max_abs_diff(before[i], after_capped[i]);
    EXPECT_EQ(capped_levels[i], capped_change) << "frame " << i;
    EXPECT_GT(capped_change, 0) << "frame " << i;
    EXPECT_LE(capped_change, 4) << "frame " << i;  // round(0.03 · 127.5)
  }
  EXPECT_GT(most, 6) << "the second generator added nothing to the first";
  EXPECT_TRUE(has(both.err, "changed a pixel by at most " + std::to_string(most) + " levels")) << both.err;
}

// y4m through a pipe: the header and the frame count are kept; a frame without a face comes
// out byte for byte as it went in; a stream cut inside frame 7 gives the six whole frames
// before it, then the error and exit 1.
TEST(IdJoint, Y4mHeaderFramesFacelessFrameAndCutStream) {
  ScratchDir dir;
  const JointModels m = write_models(dir);
  std::string bytes = idef::read_all(make_talking_y4m(dir, "yuv444p"));
  const std::size_t header = bytes.find('\n') + 1, frame = 6 + std::size_t(kWidth) * kHeight * 3;
  // Frame 5, one the detector runs on (--detect-every 5), becomes plain grey: no face in it.
  std::fill(bytes.begin() + header + 5 * frame + 6, bytes.begin() + header + 6 * frame, char(128));
  idef::write_all(dir / "in.y4m", bytes);

  auto r = run_command(joint(m, "--detect-every 5 - < ") + q(dir / "in.y4m") + " > " + q(dir / "out.y4m"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string out = idef::read_all(dir / "out.y4m");
  ASSERT_EQ(out.size(), bytes.size());
  EXPECT_EQ(out.substr(0, header), bytes.substr(0, header));
  EXPECT_EQ(read_y4m(dir / "out.y4m").size(), read_y4m(dir / "in.y4m").size());
  for (int i = 0; i < 8; ++i) {
    const bool same = out.compare(header + i * frame, frame, bytes, header + i * frame, frame) == 0;
    EXPECT_EQ(same, i == 5) << "frame " << i;
  }

  idef::write_all(dir / "cut.y4m", bytes.substr(0, header + 6 * frame + 1000));
  auto cut = run_command(joint(m, "--detect-every 5 - < ") + q(dir / "cut.y4m") + " > " + q(dir / "cut-out.y4m"));
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_TRUE(has(cut.err, "id-joint: cannot read '-': truncated frame 7")) << cut.err;
  EXPECT_EQ(idef::read_all(dir / "cut-out.y4m"), out.substr(0, header + 6 * frame));
  EXPECT_EQ(ffmpeg_rgb24(dir / "cut-out.y4m", dir).size(), 6u);
}

// A generator of the wrong task, in either place, is refused naming the file and the option
// before anything is written; so are a missing model and a bad cap.
TEST(IdJoint, RefusesModelsOfTheWrongTask) {
  ScratchDir dir;
  const JointModels m = write_models(dir);
  idef::Rgb8 face(64, 64);
  idef::save_rgb8(dir / "a.png", face);
  auto swapped = run_tool("id-joint", "--aligned --attr-model " + q(m.reenact) + " --reenact-model " + q(m.attr) +
                                          " " + q(dir / "a.png"));
  EXPECT_EQ(swapped.exit_code, 1);
  EXPECT_TRUE(has(swapped.err, "a generator of the reenact task, not of the attr task (--attr-model)")) << swapped.err;
  EXPECT_FALSE(fs::exists(dir / "a.protected.png"));

  auto missing = run_tool("id-joint", "--aligned --attr-model " + q(dir / "none.idm") + " --reenact-model " +
                                          q(m.reenact) + " " + q(dir / "a.png"));
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_TRUE(has(missing.err, "none.idm")) << missing.err;
  auto cap = run_tool("id-joint", "--max-epsilon 0 " + q(dir / "a.png"));
  EXPECT_EQ(cap.exit_code, 2) << cap.err;
  EXPECT_FALSE(fs::exists(dir / "a.protected.png"));

  // The right order protects the crop, within the sum of the two caps.
  auto ok = run_tool("id-joint", "--aligned --threads 1 --attr-model " + q(m.attr) + " --reenact-model " +
                                     q(m.reenact) + " " + q(dir / "a.png"));
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  const int change = idef::test::max_abs_diff(face, idef::Image::load(dir / "a.protected.png").rgb());
  EXPECT_GT(change, 0);
  EXPECT_LE(change, 12);
}

// id-score joint on a video id-joint protected: the video figures, the attribute forger on the
// faces of every 2nd frame (threshold 0: every pair the perturbation reaches is disrupted), and
// the reenactment forger's two models driven by another clip; a video against itself is
// disrupted nowhere.
TEST(IdScoreJoint, BothThreatsOnAJointVideo) {
  ScratchDir dir;
  const JointModels m = write_models(dir);
  auto video = run_tool("id-synth", "video --frames 6 --size 128 --seed 4 --quiet " + q(dir / "person.y4m"));
  ASSERT_EQ(video.exit_code, 0) << video.err;
  auto driver = run_tool("id-synth", "video --frames 3 --size 128 --seed 5 --quiet " + q(dir / "driver.y4m"));
  ASSERT_EQ(driver.exit_code, 0) << driver.err;
  auto protect = run_command(joint(m, "--quiet --output " + q(dir / "out") + " " + q(dir / "person.y4m")));
  ASSERT_EQ(protect.exit_code, 0) << protect.err;
  const std::string joint_video = dir / "out/person.y4m";
  idef::save_editor_model(dir / "forger.idm", {idef::test::small_editor("res6", 4, 64, 2, 6), {"A", "B"}});
  for (const std::string& name : {"clean", "poisoned"}) {
    auto train = run_tool("id-forge", "train-reenact --arch cnet --width 4 --d-width 4 --image-size 32 --iterations 2 "
                                      "--threads 1 --quiet --output " + q(dir / (name + ".idm")) + " " +
                                      q(name == "clean" ? dir / "person.y4m" : joint_video));
    ASSERT_EQ(train.exit_code, 0) << train.err;
  }

  auto r = run_tool("id-score", "joint --json --quiet --threads 1 --threshold 0 --frame-step 2 --forger " +
                                    q(dir / "forger.idm") + " --reenact-forger " + q(dir / "clean.idm") +
                                    " --poisoned " + q(dir / "poisoned.idm") + " --report " + q(dir / "report") + " " +
                                    q(dir / "person.y4m") + " " + q(joint_video) + " " + q(dir / "driver.y4m"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["verb"], "joint");
  EXPECT_EQ(j["video"]["frames"], 6);
  EXPECT_GT(j["video"]["psnr"].get<double>(), 25.0);
  EXPECT_LT(j["video"]["psnr"].get<double>(), 60.0);
  EXPECT_EQ(j["attr"]["faces"], 3);  // frames 0, 2, 4
  ASSERT_EQ(j["attr"]["forgers"].size(), 1u);
  EXPECT_EQ(j["attr"]["forgers"][0]["pairs"], 6);  // 3 faces × 2 domains
  EXPECT_EQ(j["attr"]["forgers"][0]["disrupted"], 6);
  EXPECT_EQ(j["reenact"]["frames"], 3);
  EXPECT_GT(j["reenact"]["l1"].get<double>(), 0.0);
  for (const char* file : {"video.csv", "items.csv", "summary.csv", "sheet-forger.png", "reenact-frames.csv",
                           "reenact-sheet.png"})
    EXPECT_TRUE(fs::exists(fs::path(dir / "report") / file)) << file;

  // The attribute threat alone, a video against itself: nothing disrupted at the usual threshold.
  auto same = run_tool("id-score", "joint --json --quiet --threads 1 --frame-step 3 --forger " + q(dir / "forger.idm") +
                                       " " + q(dir / "person.y4m") + " " + q(dir / "person.y4m"));
  ASSERT_EQ(same.exit_code, 0) << same.err;
  auto s = nlohmann::json::parse(same.out);
  EXPECT_EQ(s["attr"]["faces"], 2);
  EXPECT_EQ(s["attr"]["forgers"][0]["disrupted"], 0);
  EXPECT_EQ(s["attr"]["forgers"][0]["l2"], 0.0);
  EXPECT_TRUE(s["reenact"].is_null());

  // Usage: no threat, a half-given reenactment threat, a missing driving video.
  for (const std::string& args :
       {"joint " + q(dir / "person.y4m") + " " + q(joint_video),
        "joint --poisoned " + q(dir / "poisoned.idm") + " " + q(dir / "person.y4m") + " " + q(joint_video) + " " +
            q(dir / "driver.y4m"),
        "joint --reenact-forger " + q(dir / "clean.idm") + " --poisoned " + q(dir / "poisoned.idm") + " " +
            q(dir / "person.y4m") + " " + q(joint_video)}) {
    auto bad = run_tool("id-score", args);
    EXPECT_EQ(bad.exit_code, 2) << args << ": " << bad.err;
  }
}
