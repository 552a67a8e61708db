// id-forge on real files: training, editing, and its errors.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "core/atomic_file.h"
#include "data/face_dataset.h"
#include "io/image.h"
#include "io/tensor_image.h"
#include "io/y4m.h"
#include "model/editor_model.h"
#include "model/model_file.h"
#include "model/translator_model.h"
#include "tool_test.h"

namespace fs = std::filesystem;
using idef::test::run_tool;
using idef::test::ScratchDir;

namespace {
const char* kTiny = "--arch cnet --width 4 --d-width 4 --image-size 16 --batch 4 --n-critic 2 --threads 1 --quiet ";

// Ten 16 px faces with two attributes in DIR/faces and a tiny editor trained on them, DIR/m.idm.
idef::test::CommandResult train_tiny_editor(const ScratchDir& dir) {
  idef::test::write_tiny_celeba(dir.path() / "faces", 10, 16, 2);
  return run_tool("id-forge", std::string("train-editor ") + kTiny + "--data '" + dir / "faces" +
                                  "' --attributes A0,A1 --iterations 4 --decay-iterations 2 --output '" + dir / "m.idm" +
                                  "'");
}
}

TEST(IdForge, TrainsThenEditsImagesAndFolders) {
  ScratchDir dir;
  auto r = train_tiny_editor(dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  auto model = idef::load_editor_model(dir / "m.idm");
  EXPECT_EQ(model.attributes, (std::vector<std::string>{"A0", "A1"}));

  // A folder id-poison has worked in holds its hidden lock and record: they are not images to edit.
  idef::write_all(dir / "faces/img_align_celeba/.id-poison.lock", "");
  idef::write_all(dir / "faces/img_align_celeba/.id-poison.done", "");
  auto e = run_tool("id-forge", "edit --editor '" + dir / "m.idm" + "' --output '" + dir / "edits" + "' '" +
                                    dir / "faces/img_align_celeba" + "' --attributes A1 --quiet");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  EXPECT_TRUE(fs::exists(dir / "edits/000001.A1.png"));
  EXPECT_FALSE(fs::exists(dir / "edits/000001.A0.png"));

  // stdin to stdout: a PNG comes out.
  auto s = idef::test::run_command("'" + idef::test::tool("id-forge") + "' edit --editor '" + dir / "m.idm" +
                                   "' --attributes A0 - < '" + dir / "faces/img_align_celeba/000002.png" + "'");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_EQ(s.out.substr(1, 3), "PNG");
}

// Two ranks of train-editor, started as torchrun starts them (RANK in the environment) or
// with --rank, meet through a file; each trains on its share, rank 0 alone writes the model.
TEST(IdForge, TrainsDataParallelOverTwoRanks) {
  ScratchDir dir;
  idef::test::write_tiny_celeba(dir.path() / "faces", 10, 16, 2);
  const std::string args = std::string(" train-editor ") + kTiny + "--data '" + dir / "faces" +
                           "' --attributes A0,A1 --iterations 4 --decay-iterations 2 --output '" + dir / "m.idm" +
                           "' --world-size 2 --rendezvous-file '" + dir / "meet" + "'";
  const std::string forge = idef::test::q(idef::test::tool("id-forge"));
  auto r = idef::test::run_command("RANK=1 " + forge + args + " 2> '" + dir / "rank1.err" + "' & " + forge +
                                   " --rank 0" + args + "; zero=$?; wait $!; echo $zero $?");
  EXPECT_EQ(r.out, "0 0\n") << r.err << idef::read_all(dir / "rank1.err");
  ASSERT_TRUE(fs::exists(dir / "m.idm"));
  EXPECT_EQ(idef::ModelFile::load(dir / "m.idm").meta.get_int("training.world_size"), 2);

  auto bad = run_tool("id-forge", "train-editor --rank 2 --world-size 2 --data x --output y.idm");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(idef::test::has(bad.err, "--rank")) << bad.err;
  auto elsewhere = run_tool("id-forge", "eval --world-size 2 --editor x.idm --data x");
  EXPECT_EQ(elsewhere.exit_code, 2);
  EXPECT_TRUE(idef::test::has(elsewhere.err, "only train-editor")) << elsewhere.err;
}

// With the faces' own attributes named, each edit is StarGAN's target from them (one attribute
// flipped, the others kept); without them, each domain is that one attribute on.
TEST(IdForge, EditFromSourceAttributesChangesOneAttributeFromThem) {
  ScratchDir dir;
  ASSERT_EQ(train_tiny_editor(dir).exit_code, 0);
  auto model = idef::load_editor_model(dir / "m.idm");
  const std::string face = dir / "faces/img_align_celeba/000001.png";
  auto edit = [&](const std::string& out, const std::string& extra) {
    return run_tool("id-forge", "edit --editor '" + dir / "m.idm" + "' --output '" + dir / out + "' '" + face +
                                    "' --quiet " + extra);
  };
  ASSERT_EQ(edit("known", "--source-attributes A0").exit_code, 0);
  ASSERT_EQ(edit("none", "--source-attributes none").exit_code, 0);
  ASSERT_EQ(edit("unknown", "").exit_code, 0);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = idef::rgb8_to_tensor(idef::prepare_face(idef::Image::load(face).rgb(), 0, 16));
  auto expect_edit = [&](const std::string& file, const std::vector<float>& labels) {
    idef::Rgb8 want = idef::tensor_to_rgb8(model.editor->forward(x, torch::tensor(labels).reshape({1, 2})));
    EXPECT_EQ(idef::Image::load(dir / file).rgb().pixels, want.pixels) << file;
  };
  expect_edit("known/000001.A0.png", {0, 0});  // A0 flipped off
  expect_edit("known/000001.A1.png", {1, 1});  // A1 flipped on, A0 kept
  expect_edit("none/000001.A0.png", {1, 0});
  expect_edit("unknown/000001.A1.png", {0, 1});
  // The tiny editor's output depends on the labels, so the checks above tell the two modes apart.
  EXPECT_NE(idef::Image::load(dir / "known/000001.A1.png").rgb().pixels,
            idef::Image::load(dir / "unknown/000001.A1.png").rgb().pixels);

  auto bad = edit("bad", "--source-attributes A0,A7");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("no domain 'A7'"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(dir / "bad"));
}

TEST(IdForge, MalformedAttributeFileNamesFileAndLineAndWritesNothing) {
  ScratchDir dir;
  idef::test::write_tiny_celeba(dir.path() / "faces", 4, 16, 2);
  idef::write_all(dir / "faces/list_attr_celeba.txt", "4\nA0 A1\n000001.png 1 -1\n000002.png 1\n");
  auto r = run_tool("id-forge", std::string("train-editor ") + kTiny + "--data '" + dir / "faces" +
                                    "' --attributes A0 --iterations 2 --output '" + dir / "m.idm" + "'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("list_attr_celeba.txt': line 4"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir / "m.idm"));
}

TEST(IdForge, UnreadableImagesAreSkippedWithAWarning) {
  ScratchDir dir;
  idef::test::write_tiny_celeba(dir.path() / "faces", 6, 16, 1);
  idef::write_all(dir / "faces/img_align_celeba/000003.png", "garbage");
  auto r = run_tool("id-forge", "train-editor --arch cnet --width 4 --d-width 4 --image-size 16 --batch 2 --threads 1 "
                                "--data '" + dir / "faces" + "' --attributes A0 --iterations 2 --output '" +
                                    dir / "m.idm" + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("000003.png"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("skipped"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(dir / "m.idm"));
}

TEST(IdForge, UsageErrorsExitTwoBeforeReadingData) {
  ScratchDir dir;
  auto verb = run_tool("id-forge", "frobnicate");
  EXPECT_EQ(verb.exit_code, 2);
  EXPECT_NE(verb.err.find("unknown verb 'frobnicate'"), std::string::npos);
  auto size = run_tool("id-forge", "train-editor --arch unet64 --image-size 48 --data /nonexistent --output x.idm");
  EXPECT_EQ(size.exit_code, 2) << size.err;
  EXPECT_NE(size.err.find("48"), std::string::npos) << size.err;
  auto warmup = run_tool("id-forge", "train-editor --iterations 10 --warmup-iterations 10 --data /nonexistent --output x.idm");
  EXPECT_EQ(warmup.exit_code, 2) << warmup.err;
  EXPECT_NE(warmup.err.find("--warmup-iterations"), std::string::npos) << warmup.err;
  auto warmup_decay = run_tool("id-forge", "train-editor --iterations 10 --warmup-iterations 4 "
                                           "--warmup-decay-iterations 5 --data /nonexistent --output x.idm");
  EXPECT_EQ(warmup_decay.exit_code, 2) << warmup_decay.err;
  EXPECT_NE(warmup_decay.err.find("--warmup-decay-iterations"), std::string::npos) << warmup_decay.err;
  // The old name of train-editor still works, with a note.
  auto old = run_tool("id-forge", "train-attr --data /nonexistent");
  EXPECT_EQ(old.exit_code, 2) << old.err;
  EXPECT_NE(old.err.find("train-attr is deprecated: use train-editor"), std::string::npos) << old.err;
  EXPECT_NE(old.err.find("train-editor needs --data and --output"), std::string::npos) << old.err;
  auto model = run_tool("id-forge", "eval --editor '" + dir / "missing.idm" + "' --data /nonexistent");
  EXPECT_EQ(model.exit_code, 1);
  EXPECT_NE(model.err.find("missing.idm"), std::string::npos);
}

// eval on synthetic faces: per-attribute figures against the true counterfactuals.
TEST(IdForge, EvalScoresAgainstCounterfactuals) {
  ScratchDir dir;
  auto s = run_tool("id-synth", "faces --count 30 --size 32 --seed 3 --counterfactuals --attributes "
                                "Black_Hair,Blond_Hair,Male --quiet '" + dir / "faces" + "'");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  auto t = run_tool("id-forge", "train-editor --arch cnet --width 4 --d-width 4 --image-size 32 --batch 4 --n-critic 2 "
                                "--threads 1 --quiet --data '" + dir / "faces" +
                                    "' --attributes Black_Hair,Blond_Hair,Male --iterations 2 --output '" +
                                    dir / "m.idm" + "'");
  ASSERT_EQ(t.exit_code, 0) << t.err;
  auto e = run_tool("id-forge", "eval --json --split all --editor '" + dir / "m.idm" + "' --data '" + dir / "faces" + "'");
  ASSERT_EQ(e.exit_code, 0) << e.err;
  const auto report = nlohmann::json::parse(e.out);
  ASSERT_EQ(report["attributes"].size(), 3u) << e.out;
  EXPECT_EQ(report["attributes"][0]["attribute"], "Black_Hair");
  const auto& male = report["attributes"][2];
  EXPECT_EQ(male["attribute"], "Male");
  for (const char* key : {"l1_edit", "l1_nothing", "l1_reconstruction", "l1_change", "l1_change_inside",
                          "l1_change_outside", "to_on", "to_off"})
    EXPECT_TRUE(male.contains(key)) << key << " in " << e.out;
  EXPECT_TRUE(report["mean"].contains("reduction")) << e.out;
  EXPECT_TRUE(report.contains("mean_reduction")) << e.out;
  // Every face gets a Male counterfactual; hair colours skip faces that already have it;
  // a hair colour is only ever set.
  EXPECT_EQ(male["count"], 30) << e.out;
  EXPECT_EQ(report["attributes"][0]["to_off"]["count"], 0) << e.out;
  // A model path with a quote in it still makes valid JSON.
  std::filesystem::copy_file(dir.path() / "m.idm", dir.path() / "m\"q.idm");
  auto quoted = run_tool("id-forge", "eval --json --split all --editor '" + dir / "m\"q.idm" + "' --data '" +
                                         dir / "faces" + "'");
  ASSERT_EQ(quoted.exit_code, 0) << quoted.err;
  EXPECT_EQ(nlohmann::json::parse(quoted.out)["model"], dir / "m\"q.idm");
  auto table = run_tool("id-forge", "eval --split all --editor '" + dir / "m.idm" + "' --data '" + dir / "faces" + "'");
  EXPECT_NE(table.out.find("reduction"), std::string::npos);
  // A dataset without the counterfactuals of a domain is a clear error.
  std::filesystem::remove_all(dir.path() / "faces/counterfactuals/Male");
  auto missing = run_tool("id-forge", "eval --editor '" + dir / "m.idm" + "' --data '" + dir / "faces" + "'");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("counterfactuals/Male"), std::string::npos) << missing.err;
}

// A training checkpoint can be scored like a model (its generator): training in progress
// can be judged. At the last iteration it is the final editor exactly.
TEST(IdForge, CheckpointsLoadAsEditors) {
  ScratchDir dir;
  auto r = train_tiny_editor(dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto model = idef::load_editor_model(dir / "m.idm");
  auto ckpt = idef::load_editor_model(dir / "m.idm.ckpt");
  EXPECT_EQ(ckpt.attributes, model.attributes);
  auto a = model.editor->parameters(), b = ckpt.editor->parameters();
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::equal(a[i], b[i]));
}

// The forger's reenactment side end to end: a model of the person in a synthetic talking head,
// then that person driven by another video's landmarks.
TEST(IdForge, TrainsAReenactorOnAVideoAndDrivesIt) {
  ScratchDir dir;
  auto video = run_tool("id-synth", "video --frames 6 --size 128 --seed 4 --quiet '" + dir / "person.y4m" + "'");
  ASSERT_EQ(video.exit_code, 0) << video.err;
  auto driver = run_tool("id-synth", "video --frames 4 --size 128 --seed 5 --quiet '" + dir / "driver.y4m" + "'");
  ASSERT_EQ(driver.exit_code, 0) << driver.err;
  auto train = run_tool("id-forge", "train-reenact --arch cnet --width 4 --d-width 4 --image-size 32 --iterations 3 "
                                    "--threads 1 --quiet --output '" + dir / "person.idm" + "' '" + dir / "person.y4m" + "'");
  ASSERT_EQ(train.exit_code, 0) << train.err;
  auto model = idef::load_reenactor_model(dir / "person.idm");
  EXPECT_EQ(model->config().image_size, 32);

  auto drive = run_tool("id-forge", "reenact --compare --threads 1 --quiet --reenactor '" + dir / "person.idm" +
                                    "' --output '" + dir / "fake.y4m" + "' '" + dir / "driver.y4m" + "'");
  ASSERT_EQ(drive.exit_code, 0) << drive.err;
  idef::Y4mReader fake(dir / "fake.y4m");
  EXPECT_EQ(fake.header().width, 96);  // sketch | reenactment | driving face
  EXPECT_EQ(fake.header().height, 32);
  idef::VideoFrame frame;
  int frames = 0;
  while (fake.read(frame)) ++frames;
  EXPECT_EQ(frames, 4);

  // id-score reenact: a model against itself is never disrupted; against one of another seed it
  // differs on every frame by the threshold 0 (and the report has a row per frame).
  auto same = run_tool("id-score", "reenact --json --quiet --forger '" + dir / "person.idm" + "' --poisoned '" +
                                       dir / "person.idm" + "' '" + dir / "driver.y4m" + "'");
  ASSERT_EQ(same.exit_code, 0) << same.err;
  auto same_json = nlohmann::json::parse(same.out);
  EXPECT_EQ(same_json["frames"], 4);
  EXPECT_EQ(same_json["disrupted"], 0);
  EXPECT_EQ(same_json["l1"], 0.0);
  auto other = run_tool("id-forge", "train-reenact --arch cnet --width 4 --d-width 4 --image-size 32 --iterations 3 "
                                    "--seed 2 --threads 1 --quiet --output '" + dir / "other.idm" + "' '" +
                                    dir / "person.y4m" + "'");
  ASSERT_EQ(other.exit_code, 0) << other.err;
  auto differ = run_tool("id-score", "reenact --json --quiet --threshold 0 --report '" + dir / "report" + "' --forger '" +
                                         dir / "person.idm" + "' --poisoned '" + dir / "other.idm" + "' '" +
                                         dir / "driver.y4m" + "'");
  ASSERT_EQ(differ.exit_code, 0) << differ.err;
  auto differ_json = nlohmann::json::parse(differ.out);
  EXPECT_EQ(differ_json["disrupted"], 4);
  EXPECT_GT(differ_json["l1"].get<double>(), 0.0);
  EXPECT_TRUE(fs::exists(dir / "report/sheet.png"));
  std::string csv = idef::read_all(dir / "report/frames.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);  // header and 4 frames

  // id-score video: a video against itself is identical; against another of a different length, an error.
  auto video_same = run_tool("id-score", "video --json '" + dir / "driver.y4m" + "' '" + dir / "driver.y4m" + "'");
  ASSERT_EQ(video_same.exit_code, 0) << video_same.err;
  EXPECT_EQ(nlohmann::json::parse(video_same.out)["summary"]["count"], 4);
  EXPECT_EQ(nlohmann::json::parse(video_same.out)["verb"], "video");
  auto video_other = run_tool("id-score", "video '" + dir / "driver.y4m" + "' '" + dir / "person.y4m" + "'");
  EXPECT_EQ(video_other.exit_code, 1) << video_other.err;
  EXPECT_NE(video_other.err.find("ends after 4 frames"), std::string::npos) << video_other.err;
  // --face-crop: the aligned faces a forger would train on; of different videos they differ,
  // and videos of different lengths compare on the frames both have a face in.
  auto faces_same = run_tool("id-score", "video --face-crop 32 --json --quiet '" + dir / "driver.y4m" + "' '" +
                                             dir / "driver.y4m" + "'");
  ASSERT_EQ(faces_same.exit_code, 0) << faces_same.err;
  auto faces_json = nlohmann::json::parse(faces_same.out);
  EXPECT_EQ(faces_json["summary"]["count"], 4);
  EXPECT_EQ(faces_json["summary"]["l1"].get<double>(), 0.0);
  auto faces_other = run_tool("id-score", "video --face-crop 32 --json '" + dir / "driver.y4m" + "' '" +
                                              dir / "person.y4m" + "'");
  ASSERT_EQ(faces_other.exit_code, 0) << faces_other.err;
  EXPECT_GT(nlohmann::json::parse(faces_other.out)["summary"]["l1"].get<double>(), 0.0);
  EXPECT_NE(faces_other.err.find("in one video only"), std::string::npos) << faces_other.err;

  // An editor is not a reenactor; a missing input is a usage error; nothing is written.
  train_tiny_editor(dir);
  auto wrong = run_tool("id-forge", "reenact --reenactor '" + dir / "m.idm" + "' --output '" + dir / "x.y4m" + "' '" +
                                    dir / "driver.y4m" + "'");
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  EXPECT_NE(wrong.err.find("m.idm"), std::string::npos) << wrong.err;
  EXPECT_FALSE(fs::exists(dir / "x.y4m"));
  auto none = run_tool("id-forge", "train-reenact --output '" + dir / "y.idm" + "'");
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_NE(none.err.find("train-reenact takes one video"), std::string::npos) << none.err;
}
