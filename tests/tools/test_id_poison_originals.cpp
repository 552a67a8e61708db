// id-poison keeps the user's originals safe: outputs never land on inputs or on each other,
// the output tree is not read back, in place keeps mode, owner and links and knows what it
// did, bad numbers are refused, killed runs leave nothing behind.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/atomic_file.h"
#include "defence/photo_batch.h"
#include "io/image.h"
#include "poison_test.h"

namespace fs = std::filesystem;
using idef::test::has;
using idef::test::poison_aligned;
using idef::test::q;
using idef::test::run_command;
using idef::test::run_tool;
using idef::test::ScratchDir;
using idef::test::write_pg_model;

namespace {

void put_photo(const fs::path& path) {
  fs::create_directories(path.parent_path());
  idef::Rgb8 face(64, 64);
  for (std::size_t i = 0; i < face.pixels.size(); ++i) face.pixels[i] = static_cast<std::uint8_t>(60 + i % 97);
  idef::save_rgb8(path.string(), face);
}

// Files a user sees (the tool's hidden lock and records left out).
std::size_t count_files(const fs::path& root) {
  std::size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(root))
    n += e.is_regular_file() && e.path().filename().string()[0] != '.';
  return n;
}

}  // namespace

TEST(IdPoisonOriginals, OutputFolderOfTheInputIsRefusedBeforeWriting) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  put_photo(dir.path() / "s/a.png");
  const std::string before = idef::read_all(dir / "s/a.png");
  auto r = run_tool("id-poison", poison_aligned(model, "--output " + q(dir / "s") + " " + q(dir / "s/a.png")));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "over the input")) << r.err;
  EXPECT_EQ(idef::read_all(dir / "s/a.png"), before);

  // The same through "." from the photo's folder.
  auto here = run_command("cd " + q(dir / "s") + " && " + q(idef::test::tool("id-poison")) + " " +
                          poison_aligned(model, "--output . a.png"));
  EXPECT_EQ(here.exit_code, 2) << here.err;
  EXPECT_EQ(idef::read_all(dir / "s/a.png"), before);

  // And a folder given as its own output.
  auto folder = run_tool("id-poison", poison_aligned(model, "--output " + q(dir / "s") + " " + q(dir / "s")));
  EXPECT_EQ(folder.exit_code, 2) << folder.err;
  EXPECT_EQ(idef::read_all(dir / "s/a.png"), before);
  EXPECT_EQ(count_files(dir.path() / "s"), 1u);
}

TEST(IdPoisonOriginals, SameNamedInputsAreRefusedBeforeWriting) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  put_photo(dir.path() / "d1/a.png");
  put_photo(dir.path() / "d2/a.png");
  auto r = run_tool("id-poison", poison_aligned(model, "--output " + q(dir / "o") + " " + q(dir / "d1/a.png") + " " +
                                                   q(dir / "d2/a.png")));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(has(r.err, "would both be written to")) << r.err;
  EXPECT_FALSE(fs::exists(dir / "o/a.png"));

  // An output that is another input's original.
  auto over = run_tool("id-poison", poison_aligned(model, "--output " + q(dir / "d2") + " " + q(dir / "d1/a.png") + " " +
                                                      q(dir / "d2/a.png")));
  EXPECT_EQ(over.exit_code, 2) << over.err;
}

TEST(IdPoisonOriginals, OutputTreeInsideTheInputIsNotReadBack) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  put_photo(dir.path() / "in/a.png");
  put_photo(dir.path() / "in/sub/b.png");
  const std::string args = "--skip-existing --output " + q(dir / "in/prot") + " " + q(dir / "in");
  auto first = run_tool("id-poison", poison_aligned(model, args));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_TRUE(has(first.err, "protected 2 of 2")) << first.err;
  auto second = run_tool("id-poison", poison_aligned(model, args));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(has(second.err, "protected 0 of 0 inputs, 2 already done")) << second.err;
  EXPECT_FALSE(fs::exists(dir / "in/prot/prot"));
  EXPECT_EQ(count_files(dir.path() / "in/prot"), 2u);  // a.png, sub/b.png
}

TEST(IdPoisonOriginals, InPlaceKeepsModeAndLinksAndRecordsWhatItDid) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  put_photo(dir.path() / "in/private.png");
  put_photo(dir.path() / "elsewhere/target.png");
  ::chmod((dir / "in/private.png").c_str(), 0600);
  fs::create_symlink(dir / "elsewhere/target.png", dir / "in/link.png");
  const std::string original = idef::read_all(dir / "in/private.png");
  const std::string target = idef::read_all(dir / "elsewhere/target.png");

  const std::string args = "--in-place --skip-existing " + q(dir / "in");
  auto first = run_tool("id-poison", poison_aligned(model, args));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  struct stat st {};
  ASSERT_EQ(::stat((dir / "in/private.png").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_NE(idef::read_all(dir / "in/private.png"), original);
  EXPECT_TRUE(fs::is_symlink(dir / "in/link.png"));  // the link stays; the file it names is protected
  EXPECT_NE(idef::read_all(dir / "elsewhere/target.png"), target);

  // A second run knows both are done; a file edited since is protected again.
  const std::string once = idef::read_all(dir / "in/private.png");
  auto second = run_tool("id-poison", poison_aligned(model, args));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_TRUE(has(second.err, "2 already done")) << second.err;
  EXPECT_EQ(idef::read_all(dir / "in/private.png"), once);
  put_photo(dir.path() / "in/private.png");
  auto third = run_tool("id-poison", poison_aligned(model, args));
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_TRUE(has(third.err, "protected 1 of 1 inputs, 1 already done")) << third.err;
}

TEST(IdPoisonOriginals, InPlaceKeepsTheOwnerWhenRunAsRoot) {
  if (::geteuid() != 0) GTEST_SKIP() << "changing a file's owner needs root";
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  put_photo(dir.path() / "in/a.png");
  ASSERT_EQ(::chown((dir / "in/a.png").c_str(), 65534, 65534), 0);
  auto r = run_tool("id-poison", poison_aligned(model, "--in-place " + q(dir / "in/a.png")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  struct stat st {};
  ASSERT_EQ(::stat((dir / "in/a.png").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_gid, 65534u);
}

TEST(IdPoisonOriginals, InPlaceRunsOnOneFolderExcludeEachOther) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  put_photo(dir.path() / "in/a.png");
  const std::string before = idef::read_all(dir / "in/a.png");
  idef::FolderLock held((dir / "in"));  // another run holds the folder
  auto r = run_tool("id-poison", poison_aligned(model, "--in-place " + q(dir / "in")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "another id-poison run")) << r.err;
  EXPECT_EQ(idef::read_all(dir / "in/a.png"), before);
}

TEST(IdPoisonOriginals, NumbersOutOfRangeAreUsageErrors) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  put_photo(dir.path() / "a.png");
  for (const std::string bad : {"--epsilon nan", "--epsilon inf", "--epsilon -0.1", "--epsilon 2", "--tau nan",
                                "--feather -1", "--jobs 0", "--jobs 99999999999", "--threads 100000000",
                                "--jpeg-quality 0", "--max-pixels 0"}) {
    auto r = run_tool("id-poison", "--model " + q(model) + " " + bad + " " + q(dir / "a.png"));
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_TRUE(has(r.err, "id-poison: --" + bad.substr(2, bad.find(' ') - 2) + ":")) << r.err;
  }
  idef::write_all(dir / "bad.toml", "epsilon = nan\n");
  auto toml = run_tool("id-poison", "--config " + q(dir / "bad.toml") + " --model " + q(model) + " " + q(dir / "a.png"));
  EXPECT_EQ(toml.exit_code, 2) << toml.err;
  auto folder = run_tool("id-poison", "--config " + q(dir.path().string()) + " --model " + q(model) + " " +
                                          q(dir / "a.png"));
  EXPECT_EQ(folder.exit_code, 2) << folder.err;
  EXPECT_FALSE(fs::exists(dir / "a.protected.png"));
}

TEST(IdPoisonOriginals, ModelWithAnImpossibleEpsilonIsRefused) {
  ScratchDir dir;
  idef::PerturbationModel m = idef::test::small_generator("unet64", 4, 64, 5);
  m.epsilon = std::nan("");
  idef::save_perturbation_model(dir / "nan.idm", m);
  put_photo(dir.path() / "a.png");
  auto r = run_tool("id-poison", "--aligned --model " + q(dir / "nan.idm") + " " + q(dir / "a.png"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "defence.epsilon")) << r.err;
  EXPECT_FALSE(fs::exists(dir / "a.protected.png"));
}

TEST(IdPoisonOriginals, StreamsHonourMaxPixels) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  idef::write_all(dir / "huge.y4m", "YUV4MPEG2 W32768 H32768 F25:1 C444\nFRAME\n");
  auto r = run_command(q(idef::test::tool("id-poison")) + " --aligned --model " + q(model) + " - < " +
                       q(dir / "huge.y4m"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "over the limit")) << r.err;
  EXPECT_EQ(r.out, "");
}

TEST(IdPoisonOriginals, StaleTemporariesOfDeadRunsAreRemoved) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  put_photo(dir.path() / "in/a.png");
  // A pid that has certainly exited: a shell that printed its own.
  auto dead = run_command("sh -c 'echo $$'");
  const std::string pid = dead.out.substr(0, dead.out.find('\n'));
  const std::string stale = dir / ("in/.a.protected.tmp-" + pid + "-0badf00d.png");
  idef::write_all(stale, "half a file");
  ASSERT_TRUE(idef::is_atomic_temporary(fs::path(stale).filename().string()));
  auto r = run_tool("id-poison", poison_aligned(model, q(dir / "in/a.png")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(dir / "in/a.protected.png"));
}

TEST(IdPoisonOriginals, SigtermRemovesTheUnfinishedOutput) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  // A y4m file that is a FIFO: id-poison blocks reading it with its output begun.
  const std::string fifo = dir / "in.y4m";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const std::string cmd = q(idef::test::tool("id-poison")) + " " +
                          poison_aligned(model, "--output " + q(dir / "out") + " " + q(fifo)) + " 2> " + q(dir / "err.txt") +
                          " & echo $! > " + q(dir / "pid") + "; wait";
  std::thread runner([&] { std::system(cmd.c_str()); });
  // Open the FIFO once id-poison reads it (bounded wait: a run that failed early never does).
  int feed = -1;
  for (int i = 0; i < 600 && feed < 0; ++i) {
    feed = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (feed < 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (feed < 0) {
    ::kill(static_cast<pid_t>(std::stol(idef::read_all(dir / "pid"))), SIGKILL);
    runner.join();
    FAIL() << "id-poison never opened its input: " << idef::read_all(dir / "err.txt");
  }
  const std::string frame = "YUV4MPEG2 W64 H64 F25:1 C444\nFRAME\n" + std::string(64 * 64 * 3, '\x80');
  for (std::size_t at = 0; at < frame.size();) {  // the pipe holds less than a frame: write as it drains
    ssize_t n = ::write(feed, frame.data() + at, frame.size() - at);
    if (n > 0) at += static_cast<std::size_t>(n);
    else std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Wait (bounded) for the temporary output to appear, then stop the run.
  bool begun = false;
  for (int i = 0; i < 600 && !begun; ++i) {
    std::error_code ec;
    for (fs::directory_iterator it(dir / "out", ec), end; !ec && it != end; it.increment(ec))
      begun = begun || idef::is_atomic_temporary(it->path().filename().string());
    if (!begun) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(begun);
  ::kill(static_cast<pid_t>(std::stol(idef::read_all(dir / "pid"))), SIGTERM);
  ::close(feed);
  runner.join();
  for (const auto& e : fs::directory_iterator(dir / "out"))
    EXPECT_FALSE(idef::is_atomic_temporary(e.path().filename().string())) << e.path();
  EXPECT_FALSE(fs::exists(dir / "out/in.y4m"));
  EXPECT_TRUE(has(idef::read_all(dir / "err.txt"), "stopped by signal 15")) << idef::read_all(dir / "err.txt");
}

// libvips and FFmpeg print their own lines ("VIPS-WARNING **: error in tile ...",
// "[h264 @ 0x...] ..."); they came before the tool's message. Now every line is the tool's,
// and --verbose adds the libraries' own, under the tool's name.
TEST(IdPoisonOriginals, TheToolsLineComesFirstAndLibraryMessagesOnlyWithVerbose) {
  ScratchDir dir;
  std::string model = write_pg_model(dir);
  put_photo(dir.path() / "face.png");
  auto made = run_command("ffmpeg -nostdin -v error -i " + q(dir / "face.png") + " -y " + q(dir / "face.jpg"));
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::string jpeg = idef::read_all(dir / "face.jpg");
  idef::write_all(dir / "cut.jpg", jpeg.substr(0, jpeg.size() * 2 / 3));  // libjpeg warns, per tile
  auto quiet = run_tool("id-poison", poison_aligned(model, q(dir / "cut.jpg")));
  EXPECT_EQ(quiet.exit_code, 1);
  std::istringstream lines(quiet.err);
  for (std::string line; std::getline(lines, line);) EXPECT_EQ(line.rfind("id-poison: ", 0), 0u) << line;
  EXPECT_TRUE(has(quiet.err, "cannot read '" + dir / "cut.jpg" + "'")) << quiet.err;
  EXPECT_FALSE(has(quiet.err, "libvips")) << quiet.err;

  auto verbose = run_tool("id-poison", poison_aligned(model, "--verbose " + q(dir / "cut.jpg")));
  EXPECT_EQ(verbose.exit_code, 1);
  EXPECT_EQ(verbose.err.rfind("id-poison: ", 0), 0u) << verbose.err;
  EXPECT_TRUE(has(verbose.err, "id-poison: libvips: ")) << verbose.err;
}
