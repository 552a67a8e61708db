// id-train-attr on real files: a tiny run whose model id-poison takes as it is, and errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "core/atomic_file.h"
#include "defence/perturbation_model.h"
#include "model/model_file.h"
#include "tool_test.h"

namespace fs = std::filesystem;
using idef::test::has;
using idef::test::q;
using idef::test::run_tool;
using idef::test::ScratchDir;

namespace {
const char* kTiny =
    "--image-size 64 --surrogate-width 4 --da-width 4 --pg-arch unet64 --pg-width 4 --db-width 4 --batch 2 "
    "--n-critic 2 --validate-every 2 --validation-size 2 --attributes A0,A1 --threads 1 --quiet ";
}

TEST(IdTrainAttr, TrainsAModelThatIdPoisonUses) {
  ScratchDir dir;
  idef::test::write_tiny_celeba(dir.path() / "faces", 20, 64, 2);
  auto r = run_tool("id-train-attr", std::string(kTiny) + "--data '" + dir / "faces" + "' --iterations 3 --epsilon 0.04 " +
                                         "--samples '" + dir / "samples" + "' --sample-every 2 --output '" +
                                         dir / "pg.idm" + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  auto pg = idef::load_perturbation_model(dir / "pg.idm");
  EXPECT_EQ(pg.generator->config().arch, "unet64");
  EXPECT_DOUBLE_EQ(pg.epsilon, 0.04);
  EXPECT_DOUBLE_EQ(pg.tau, 0.04);
  EXPECT_TRUE(fs::exists(dir / "samples/iter-00000002.png"));

  auto p = run_tool("id-poison", "--model '" + dir / "pg.idm" + "' --aligned --quiet --output '" + dir / "out" +
                                     "' '" + dir / "faces/img_align_celeba/000001.png" + "'");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  EXPECT_TRUE(fs::exists(dir / "out/000001.png"));
}

// Two ranks, as torchrun starts them, train on their shares; rank 0 writes the model.
TEST(IdTrainAttr, TrainsDataParallelOverTwoRanks) {
  ScratchDir dir;
  idef::test::write_tiny_celeba(dir.path() / "faces", 20, 64, 2);
  const std::string args = std::string(" ") + kTiny + "--data '" + dir / "faces" + "' --iterations 3 --output '" +
                           dir / "pg.idm" + "' --world-size 2 --rendezvous-file '" + dir / "meet" + "'";
  const std::string tool = q(idef::test::tool("id-train-attr"));
  auto r = idef::test::run_command("RANK=1 " + tool + args + " 2> '" + dir / "rank1.err" + "' & " + tool +
                                   " --rank 0" + args + "; zero=$?; wait $!; echo $zero $?");
  EXPECT_EQ(r.out, "0 0\n") << r.err << idef::read_all(dir / "rank1.err");
  ASSERT_TRUE(fs::exists(dir / "pg.idm"));
  EXPECT_EQ(idef::ModelFile::load(dir / "pg.idm").meta.get_int("training.world_size"), 2);
  EXPECT_NO_THROW(idef::load_perturbation_model(dir / "pg.idm"));
}

TEST(IdTrainAttr, BadSettingsAreUsageErrorsBeforeAnyWork) {
  ScratchDir dir;
  idef::test::write_tiny_celeba(dir.path() / "faces", 20, 64, 2);
  const std::string base = std::string(kTiny) + "--data '" + (dir / "faces") + "' --output '" +
                           (dir / "pg.idm") + "' ";
  for (const char* bad : {"--epsilon 0", "--surrogate-iterations 5", "--pg-arch unet128", "--batch 0"}) {
    auto r = run_tool("id-train-attr", base + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.err.find("id-train-attr:"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "pg.idm"));
  }
}

TEST(IdTrainAttr, MissingDataFolderIsAClearError) {
  ScratchDir dir;
  auto r = run_tool("id-train-attr", std::string(kTiny) + "--data '" + dir / "nowhere" + "' --output '" +
                                         dir / "pg.idm" + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nowhere"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "pg.idm"));
}

// SIGKILL leaves no chance to write a checkpoint: --resume continues from the last periodic
// one (written atomically), losing at most one interval. The run is killed as soon as its
// first checkpoint exists; it is far too long to have finished by then on any machine, and
// the resume is told to stop a few iterations later.
TEST(IdTrainAttr, ResumesAfterSigkillFromTheLastCheckpoint) {
  ScratchDir dir;
  idef::test::write_tiny_celeba(dir.path() / "faces", 20, 64, 2);
  const std::string common = std::string(kTiny) + "--data '" + (dir / "faces") + "' --checkpoint-every 1 --output '" +
                             (dir / "pg.idm") + "'";
  const std::string ckpt = dir / "pg.idm.ckpt";
  auto killed = idef::test::run_command("'" + idef::test::tool("id-train-attr") + "' " + common +
                                        " --iterations 1000000 & pid=$!; " +
                                        "for i in $(seq 600); do [ -f '" + ckpt + "' ] && break; sleep 0.1; done; " +
                                        "kill -9 $pid; wait $pid; echo killed=$?");
  ASSERT_NE(killed.out.find("killed=137"), std::string::npos) << killed.out << killed.err;
  ASSERT_TRUE(fs::exists(ckpt));
  EXPECT_FALSE(fs::exists(dir / "pg.idm"));
  const auto reached = idef::ModelFile::load(ckpt).meta.get_int("training.iteration");
  EXPECT_GE(reached, 1);

  const std::string until = " --iterations " + std::to_string(reached + 3);
  auto resumed = run_tool("id-train-attr", std::regex_replace(common, std::regex("--quiet "), "") + until + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("at iteration " + std::to_string(reached)), std::string::npos) << resumed.err;
  EXPECT_EQ(idef::ModelFile::load(ckpt).meta.get_int("training.iteration"), reached + 3);
  EXPECT_NO_THROW(idef::load_perturbation_model(dir / "pg.idm"));
}

TEST(IdTrainAttr, NumbersOutOfRangeAreUsageErrorsBeforeAnyWork) {
  ScratchDir dir;
  for (const std::string bad : {"--epsilon nan", "--epsilon 0", "--lr-pg -1e-4", "--lambda-adv inf", "--batch 0",
                                "--iterations -5", "--tau 3", "--pg-width 0"}) {
    auto r = run_tool("id-train-attr", "--data " + q(dir / "none") + " --output " + q(dir / "pg.idm") + " " + bad);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_TRUE(has(r.err, "--" + bad.substr(2, bad.find(' ') - 2) + ":")) << r.err;
    EXPECT_FALSE(fs::exists(dir / "pg.idm"));
  }
}
