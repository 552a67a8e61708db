// id-synth as a user runs it: the real binary on real files.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <vector>

#include "core/atomic_file.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace idef {
namespace {

using test::run_command;
using test::ScratchDir;

const std::string kTool = std::string(ID_BINARY_DIR) + "/id-synth";

int line_count(const std::string& text) {
  int n = 0;
  for (char c : text) n += c == '\n';
  return n;
}

// "key=value" of one ffprobe stream entry.
std::string probe(const std::string& input, const std::string& entry) {
  auto r = run_command("ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=" + entry +
                       " -of default=noprint_wrappers=1:nokey=1 " + input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

TEST(SynthTool, FacesWritesTheCelebALayoutQuietly) {
  ScratchDir dir;
  auto r = run_command(kTool + " faces --count 3 --size 32 --seed 4 --quiet --counterfactuals "
                               "--attributes Eyeglasses,Smiling '" + dir / "set" + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "");
  for (const char* f : {"img_align_celeba/000001.png", "img_align_celeba/000003.png", "list_attr_celeba.txt",
                        "list_eval_partition.txt", "list_landmarks_68.txt", "counterfactuals/Eyeglasses/000002.png",
                        "counterfactuals/Smiling/000003.png"})
    EXPECT_TRUE(fs::exists(dir / ("set/" + std::string(f)))) << f;
  std::string attr = read_all(dir / "set/list_attr_celeba.txt");
  EXPECT_EQ(attr.substr(0, 2), "3\n");
  EXPECT_EQ(line_count(attr), 5);
  // The same command again gives the same bytes.
  auto again = run_command(kTool + " faces --count 3 --size 32 --seed 4 --quiet '" + dir / "again" + "'");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(read_all(dir / "again/img_align_celeba/000002.png"), read_all(dir / "set/img_align_celeba/000002.png"));
}

TEST(SynthTool, VideoIsY4mThatFfmpegReadsWithOneLandmarkLinePerFrame) {
  ScratchDir dir;
  auto r = run_command(kTool + " video --frames 7 --size 64 --fps 25 --quiet --landmarks '" + dir / "lm.txt" +
                       "' '" + dir / "talk.y4m" + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(probe("'" + dir / "talk.y4m" + "'", "nb_read_frames"), "7");
  EXPECT_EQ(probe("'" + dir / "talk.y4m" + "'", "width"), "64");
  std::string lm = read_all(dir / "lm.txt");
  EXPECT_EQ(line_count(lm), 7);
  std::stringstream first(lm.substr(0, lm.find('\n')));
  int words = 0;
  for (std::string w; first >> w;) ++words;
  EXPECT_EQ(words, 1 + 136);
}

TEST(SynthTool, VideoToStandardOutputAndToAVideoFile) {
  ScratchDir dir;
  auto piped = run_command(kTool + " video --frames 4 --size 32 --quiet - > '" + dir / "pipe.y4m" + "'");
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_EQ(read_all(dir / "pipe.y4m").rfind("YUV4MPEG2 W32 H32", 0), 0u);
  EXPECT_EQ(probe("'" + dir / "pipe.y4m" + "'", "nb_read_frames"), "4");
  auto file = run_command(kTool + " video --frames 5 --size 64 --quiet '" + dir / "talk.mkv" + "'");
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_EQ(probe("'" + dir / "talk.mkv" + "'", "nb_read_frames"), "5");
}

TEST(SynthTool, BadUsageExitsTwoAndWritesNothing) {
  ScratchDir dir;
  const std::string out = dir / "out";
  for (const std::string& args : std::vector<std::string>{"faces --frames 3 '" + out + "'", "dance '" + out + "'",
                                 "faces --counterfactuals --attributes Wearing_Hat '" + out + "'",
                                 "faces --split 0.9,0.9,0.1 '" + out + "'", "video --count 3 '" + out + ".y4m'",
                                 "video --size 33 '" + out + ".y4m'", "faces"}) {
    auto r = run_command(kTool + " " + args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.err;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_NE(r.err.find("id-synth: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--help"), std::string::npos) << r.err;
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
  // A video format nobody can write fails without leaving a file.
  auto r = run_command(kTool + " video --frames 2 --size 32 '" + dir / "talk.nosuchformat" + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

}  // namespace
}  // namespace idef
