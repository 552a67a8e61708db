#include "core/folder_walk.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;
using idef::test::ScratchDir;

TEST(FolderWalk, SkipsHiddenEntriesTheExcludedFolderAndLinkedFolders) {
  ScratchDir dir;
  for (const char* f : {"a/x.png", "a/sub/y.png", "a/.hidden.png", "a/.git/z.png", "a/out/w.png", "b/v.png",
                        "a/.id-poison.lock"}) {
    fs::create_directories((dir.path() / f).parent_path());
    idef::write_all(dir / f, "x");
  }
  fs::create_directory_symlink(dir / "b", dir / "a/linked");
  fs::create_directory_symlink(dir / "a", dir / "a/sub/loop");
  EXPECT_EQ(idef::walk_folder(dir / "a", dir / "a/out"), (std::vector<std::string>{"sub/y.png", "x.png"}));
  EXPECT_EQ(idef::walk_folder(dir / "a"), (std::vector<std::string>{"out/w.png", "sub/y.png", "x.png"}));
  EXPECT_THROW(idef::walk_folder(dir / "nowhere"), idef::InputError);
}

TEST(FolderWalk, ResolvedPathsTellWhetherTwoNamesAreOneFile) {
  ScratchDir dir;
  fs::create_directories(dir.path() / "a/b");
  fs::create_directory_symlink(dir / "a", dir / "link");
  EXPECT_EQ(idef::resolved_path(dir / "link/b"), idef::resolved_path(dir / "a/b"));
  EXPECT_EQ(idef::resolved_path(dir / "a/b/../b/."), idef::resolved_path(dir / "a/b"));
  EXPECT_NE(idef::resolved_path(dir / "a"), idef::resolved_path(dir / "a/b"));
  // A path that does not exist yet (an output) resolves as far as it exists.
  EXPECT_EQ(idef::resolved_path(dir / "link/new.png"), idef::resolved_path(dir / "a") / "new.png");
}
