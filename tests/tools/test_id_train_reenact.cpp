// id-train-reenact on a real (synthetic) video: a tiny run whose model id-poison takes as it
// is, the ablation switches, resume, and errors.
#include <gtest/gtest.h>

#include <filesystem>

#include "defence/perturbation_model.h"
#include "io/y4m.h"
#include "model/model_file.h"
#include "model/translator_model.h"
#include "tool_test.h"

namespace fs = std::filesystem;
using idef::test::run_tool;
using idef::test::ScratchDir;

namespace {
const char* kTiny =
    "--image-size 32 --surrogate-arch cnet --surrogate-width 4 --d-width 4 --pg-arch unet5-bn --pg-width 4 "
    "--db-width 4 --validation-frames 3 --validate-every 2 --threads 1 --quiet ";

std::string synth_video(const ScratchDir& dir, int frames) {
  const std::string path = dir / "person.y4m";
  auto r = run_tool("id-synth", "video --frames " + std::to_string(frames) + " --size 128 --seed 6 --quiet '" + path + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return path;
}
}  // namespace

// Two ranks, as torchrun starts them, each on every other training frame, then the forger's
// train-reenact likewise; rank 0 writes each model.
TEST(IdTrainReenact, TrainsDataParallelOverTwoRanks) {
  ScratchDir dir;
  const std::string video = synth_video(dir, 9);
  auto both = [&](const std::string& tool, const std::string& args, const std::string& meet) {
    const std::string common = " " + args + " --world-size 2 --rendezvous-file '" + dir / meet + "'";
    const std::string bin = idef::test::q(idef::test::tool(tool));
    return idef::test::run_command("RANK=1 " + bin + common + " 2> '" + dir / (meet + ".err") + "' & " + bin +
                                   " --rank 0" + common + "; zero=$?; wait $!; echo $zero $?");
  };
  auto r = both("id-train-reenact", std::string(kTiny) + "--iterations 3 --output '" + dir / "pg.idm" + "' '" +
                                        video + "'", "meet-defence");
  EXPECT_EQ(r.out, "0 0\n") << r.err;
  ASSERT_TRUE(fs::exists(dir / "pg.idm"));
  EXPECT_EQ(idef::ModelFile::load(dir / "pg.idm").meta.get_int("training.world_size"), 2);

  auto f = both("id-forge", "train-reenact --arch cnet --width 4 --d-width 4 --image-size 32 --iterations 3 "
                            "--threads 1 --quiet --output '" + dir / "m.idm" + "' '" + video + "'", "meet-forger");
  EXPECT_EQ(f.out, "0 0\n") << f.err;
  ASSERT_TRUE(fs::exists(dir / "m.idm"));
  EXPECT_EQ(idef::ModelFile::load(dir / "m.idm").meta.get_int("training.world_size"), 2);
}

TEST(IdTrainReenact, TrainsAModelThatIdPoisonUsesOnTheVideo) {
  ScratchDir dir;
  const std::string video = synth_video(dir, 8);
  auto r = run_tool("id-train-reenact", std::string(kTiny) + "--iterations 3 --epsilon 0.02 --samples '" +
                                            dir / "samples" + "' --sample-every 2 --surrogate-output '" +
                                            dir / "sm.idm" + "' --output '" + dir / "pg.idm" + "' '" + video + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  auto pg = idef::load_perturbation_model(dir / "pg.idm");
  EXPECT_EQ(pg.task, "reenact");
  EXPECT_EQ(pg.generator->config().image_size, 32);
  EXPECT_DOUBLE_EQ(pg.epsilon, 0.02);
  EXPECT_TRUE(fs::exists(dir / "samples/iter-00000002.png"));
  EXPECT_EQ(idef::load_reenactor_model(dir / "sm.idm")->config().arch, "cnet");
  auto model = idef::ModelFile::load(dir / "pg.idm");
  EXPECT_EQ(model.meta.get_int("training.frames"), 5);  // 8 frames, 3 held out

  // The protected video: same size and frame count, changed within epsilon (8-bit rounding aside).
  auto p = run_tool("id-poison", "--model '" + dir / "pg.idm" + "' --quiet --output '" + dir / "out" + "' '" +
                                     video + "'");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  idef::Y4mReader original(video), protected_video(dir / "out/person.y4m");
  EXPECT_EQ(protected_video.header().width, 128);
  idef::VideoFrame a, b;
  int frames = 0;
  while (original.read(a)) {
    ASSERT_TRUE(protected_video.read(b));
    ++frames;
  }
  EXPECT_EQ(frames, 8);
}

// A pix2pix generator and PatchGAN imported from PyTorch (id-forge import) start the surrogate.
TEST(IdTrainReenact, SurrogateStartsFromAnImportedPix2PixModel) {
  ScratchDir dir;
  const std::string video = synth_video(dir, 8);
  const std::string fixtures = std::string(ID_SOURCE_DIR) + "/tests/model/pytorch/";
  auto i = run_tool("id-forge", "import --image-size 64 --quiet --discriminator '" + fixtures +
                                    "pix2pix-patch.pth' --output '" + dir / "p2p.idm" + "' '" + fixtures +
                                    "pix2pix-unet-instance.pth'");
  ASSERT_EQ(i.exit_code, 0) << i.err;
  const std::string sizes = "--image-size 64 --surrogate-arch unet64 --d-width 2 --pg-arch unet64 --pg-width 2 "
                            "--db-width 2 --validation-frames 3 --validate-every 2 --threads 1 ";
  auto r = run_tool("id-train-reenact", sizes + "--surrogate-width 2 --iterations 2 --surrogate-init '" + dir / "p2p.idm" +
                                            "' --output '" + dir / "pg.idm" + "' '" + video + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("surrogate initialised from"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("with its discriminator"), std::string::npos) << r.err;
  auto wrong = run_tool("id-train-reenact", sizes + "--quiet --iterations 2 --surrogate-width 4 --surrogate-init '" +
                                                dir / "p2p.idm" + "' --output '" + dir / "pg2.idm" + "' '" + video + "'");
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_NE(wrong.err.find("not the surrogate's unet64 of width 4"), std::string::npos) << wrong.err;
  EXPECT_FALSE(fs::exists(dir / "pg2.idm"));
}

TEST(IdTrainReenact, AblationsAndResume) {
  ScratchDir dir;
  const std::string video = synth_video(dir, 7);
  // --no-alternate: SM first (2 iterations), then PG (2): 4 in all, resumable from the checkpoint.
  auto r = run_tool("id-train-reenact", std::string(kTiny) + "--no-alternate --surrogate-iterations 2 --iterations 2 "
                                            "--no-mask --unroll-steps 2 --inner-loss smooth-l1 --output '" +
                                            dir / "pg.idm" + "' '" + video + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto ckpt = idef::ModelFile::load(dir / "pg.idm.ckpt");
  EXPECT_EQ(ckpt.meta.get_int("training.iteration"), 4);
  EXPECT_FALSE(ckpt.meta.get_bool("training.mask"));
  // Resuming with other settings is refused, naming the setting.
  auto other = run_tool("id-train-reenact", std::string(kTiny) + "--resume --iterations 2 --output '" + dir / "pg.idm" +
                                                "' '" + video + "'");
  EXPECT_EQ(other.exit_code, 1) << other.err;
  EXPECT_NE(other.err.find("training.alternate"), std::string::npos) << other.err;
}

TEST(IdTrainReenact, UsageAndInputErrors) {
  ScratchDir dir;
  auto none = run_tool("id-train-reenact", "--output '" + dir / "pg.idm" + "'");
  EXPECT_EQ(none.exit_code, 2) << none.err;
  auto loss = run_tool("id-train-reenact", "--inner-loss l1 --output '" + dir / "pg.idm" + "' x.mp4");
  EXPECT_EQ(loss.exit_code, 2) << loss.err;
  auto missing = run_tool("id-train-reenact", std::string(kTiny) + "--output '" + dir / "pg.idm" + "' '" +
                                                  dir / "missing.mp4" + "'");
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_NE(missing.err.find("missing.mp4"), std::string::npos) << missing.err;
  // Too few frames for the held-out set.
  const std::string video = synth_video(dir, 3);
  auto few = run_tool("id-train-reenact", std::string(kTiny) + "--output '" + dir / "pg.idm" + "' '" + video + "'");
  EXPECT_EQ(few.exit_code, 1) << few.err;
  EXPECT_NE(few.err.find("held out"), std::string::npos) << few.err;
  EXPECT_FALSE(fs::exists(dir / "pg.idm"));
}
