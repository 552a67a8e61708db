// Fault injection (docs/batch-safety.md): id-poison killed mid-batch, a disk that fills
// up, two cron runs on one folder. Whatever happens, every output file is whole, no
// temporary outlives the next run, and the originals are untouched.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/atomic_file.h"
#include "io/image.h"
#include "poison_test.h"

extern char** environ;

namespace fs = std::filesystem;
using idef::test::has;
using idef::test::poison_aligned;
using idef::test::q;
using idef::test::run_command;
using idef::test::run_tool;
using idef::test::ScratchDir;
using idef::test::write_pg_model;

namespace {

// A square face crop; `noisy` ones compress badly (a large PNG), flat ones well.
void put_photo(const fs::path& path, bool noisy = false, int side = 64) {
  fs::create_directories(path.parent_path());
  idef::Rgb8 face(side, side);
  std::uint32_t state = 12345;
  for (std::size_t i = 0; i < face.pixels.size(); ++i) {
    state = state * 1664525u + 1013904223u;
    face.pixels[i] = static_cast<std::uint8_t>(noisy ? state >> 24 : 60 + i % 97);
  }
  idef::save_rgb8(path.string(), face);
}

struct Listing {
  std::vector<fs::path> outputs;      // files a user sees
  std::vector<fs::path> temporaries;  // AtomicFile's hidden ones
};

Listing list(const fs::path& root) {
  Listing l;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string name = it->path().filename().string();
    if (idef::is_atomic_temporary(name)) l.temporaries.push_back(it->path());
    else if (name[0] != '.') l.outputs.push_back(it->path());
  }
  return l;
}

// Every output decodes as a whole picture (a cut PNG does not).
void expect_whole(const Listing& l) {
  for (const auto& path : l.outputs) {
    try {
      auto image = idef::Image::load(path.string());
      EXPECT_EQ(image.width(), image.height()) << path;
    } catch (const std::exception& e) {
      ADD_FAILURE() << path << " is not a whole image: " << e.what();
    }
  }
}

// Starts `command` under sh; its pid is the tool's (the shell execs it).
pid_t start(const std::string& command) {
  pid_t pid = 0;
  const std::string line = "exec " + command;
  const char* argv[] = {"sh", "-c", line.c_str(), nullptr};
  if (posix_spawnp(&pid, "sh", nullptr, nullptr, const_cast<char* const*>(argv), environ) != 0) return -1;
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

// SIGKILL gives no chance to clean up: after the k-th output appears the run is killed.
// What is there must be whole; the rerun with --skip-existing does the rest and removes
// the dead run's temporaries.
TEST(IdPoisonFaults, SigkillMidBatchLeavesWholeFilesAndARerunFinishes) {
  ScratchDir dir;
  const std::string model = write_pg_model(dir);
  constexpr int kPhotos = 10;
  for (int i = 0; i < kPhotos; ++i) put_photo(dir.path() / "in" / ("p" + std::to_string(i) + ".png"));
  for (const std::size_t kill_after : {std::size_t{1}, std::size_t{4}}) {
    SCOPED_TRACE("killed after " + std::to_string(kill_after) + " outputs");
    const fs::path out = dir.path() / ("out" + std::to_string(kill_after));
    const pid_t pid = start(q(idef::test::tool("id-poison")) + " " +
                            poison_aligned(model, "--quiet --jobs 2 --output " + q(out.string()) + " " + q(dir / "in")));
    ASSERT_GT(pid, 0);
    // Bounded wait for the condition (not for a time): the outputs to appear.
    for (int i = 0; i < 1200 && list(out).outputs.size() < kill_after; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    ::kill(pid, SIGKILL);
    wait_exit(pid);
    const Listing killed = list(out);
    expect_whole(killed);

    auto rerun = run_tool("id-poison", poison_aligned(model, "--skip-existing --output " + q(out.string()) + " " + q(dir / "in")));
    EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
    const Listing finished = list(out);
    EXPECT_EQ(finished.outputs.size(), std::size_t{kPhotos});
    EXPECT_TRUE(finished.temporaries.empty());
    expect_whole(finished);
  }
}

// ENOSPC through an LD_PRELOAD shim: a file may not grow past 32 KB. The small photos'
// PNGs fit, the large noisy one's does not: it alone fails, named, with the reason, the
// batch goes on, and nothing half-written stays behind.
TEST(IdPoisonFaults, AFullDiskFailsOneOutputCleanlyAndTheBatchGoesOn) {
  ScratchDir dir;
  const std::string model = write_pg_model(dir);
  put_photo(dir.path() / "in/a.png");
  put_photo(dir.path() / "in/b.png", true, 192);
  put_photo(dir.path() / "in/c.png");
  const std::string noisy = idef::read_all(dir / "in/b.png");
  ASSERT_GT(noisy.size(), 65536u);
  auto r = run_command("ID_WRITE_LIMIT=32768 LD_PRELOAD=" + q(ID_WRITE_LIMIT_SHIM) + " " +
                       q(idef::test::tool("id-poison")) + " " +
                       poison_aligned(model, "--output " + q(dir / "out") + " " + q(dir / "in")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "b.png")) << r.err;
  EXPECT_TRUE(has(r.err, "cannot write '" + dir / "out/b.png" + "': write error; unix error: No space left on device"))
      << r.err;
  EXPECT_TRUE(has(r.err, "protected 2 of 3 inputs")) << r.err;
  const Listing l = list(dir.path() / "out");
  EXPECT_EQ(l.outputs.size(), 2u);
  EXPECT_FALSE(fs::exists(dir.path() / "out/b.png"));
  EXPECT_TRUE(l.temporaries.empty());
  expect_whole(l);
  EXPECT_EQ(idef::read_all(dir / "in/b.png"), noisy);
}

// Two cron runs start together on one output folder: the lock lets one write at a time.
// Either the second found the folder locked and said so, or it came after the first; the
// outputs are whole either way.
TEST(IdPoisonFaults, TwoConcurrentRunsOnOneFolderNeitherCorruptsTheOther) {
  ScratchDir dir;
  const std::string model = write_pg_model(dir);
  for (int i = 0; i < 6; ++i) put_photo(dir.path() / "in" / ("p" + std::to_string(i) + ".png"));
  const std::string command = q(idef::test::tool("id-poison")) + " " +
                              poison_aligned(model, "--quiet --skip-existing --output " + q(dir / "out") + " " + q(dir / "in"));
  const pid_t first = start(command + " 2> " + q(dir / "err1"));
  const pid_t second = start(command + " 2> " + q(dir / "err2"));
  ASSERT_GT(first, 0);
  ASSERT_GT(second, 0);
  const int a = wait_exit(first), b = wait_exit(second);
  const std::string errors = idef::read_all(dir / "err1") + idef::read_all(dir / "err2");
  EXPECT_TRUE((a == 0 && b == 0) || (a + b == 1 && has(errors, "another id-poison run"))) << a << " " << b << ": "
                                                                                         << errors;
  const Listing l = list(dir.path() / "out");
  EXPECT_EQ(l.outputs.size(), 6u);
  EXPECT_TRUE(l.temporaries.empty());
  expect_whole(l);
}
