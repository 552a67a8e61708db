#include "core/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;
using idef::test::ScratchDir;

TEST(AtomicFile, NothingAppearsUntilCommit) {
  ScratchDir dir;
  std::string dest = dir / "out.png";
  {
    idef::AtomicFile f(dest);
    EXPECT_EQ(fs::path(f.temp_path()).extension(), ".png");
    std::ofstream(f.temp_path()) << "data";
    EXPECT_FALSE(fs::exists(dest));
  }
  // Destroyed without commit: no file, no temporary left behind.
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

TEST(AtomicFile, CommitReplacesDestination) {
  ScratchDir dir;
  std::string dest = dir / "out.txt";
  idef::write_all(dest, "old");
  idef::write_all(dest, "new");
  EXPECT_EQ(idef::read_all(dest), "new");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()), 1);
}

TEST(AtomicFile, MissingInputNamesTheFile) {
  try {
    idef::read_all("/nonexistent/x.jpg");
    FAIL() << "expected an error";
  } catch (const idef::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'/nonexistent/x.jpg'"), std::string::npos);
  }
}

TEST(AtomicFile, ReplacingKeepsTheFilesPermissions) {
  ScratchDir dir;
  std::string dest = dir / "private.txt";
  idef::write_all(dest, "old");
  fs::permissions(dest, fs::perms::owner_read | fs::perms::owner_write);
  {
    idef::AtomicFile f(dest);
    // The temporary is private while it is written.
    EXPECT_EQ(fs::status(f.temp_path()).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
    std::ofstream(f.temp_path()) << "new";
    f.commit();
  }
  EXPECT_EQ(idef::read_all(dest), "new");
  EXPECT_EQ(fs::status(dest).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST(AtomicFile, TemporaryNamesAreRecognised) {
  ScratchDir dir;
  idef::AtomicFile f(dir / "a.png");
  long pid = 0;
  EXPECT_TRUE(idef::is_atomic_temporary(fs::path(f.temp_path()).filename().string(), &pid));
  EXPECT_EQ(pid, static_cast<long>(::getpid()));
  EXPECT_FALSE(idef::is_atomic_temporary("a.png"));
  EXPECT_FALSE(idef::is_atomic_temporary(".a.tmp-x.png"));
}
