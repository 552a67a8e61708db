#include "metrics/image_pairs.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/atomic_file.h"
#include "core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;
using idef::test::ScratchDir;

namespace {

void touch(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  idef::write_all(path, "x");  // matching looks at names only
}

}  // namespace

TEST(ImagePairs, FoldersPairByRelativePathAndReportOneSidedFiles) {
  ScratchDir dir;
  for (const char* f : {"A/x.png", "B/x.png", "A/sub/y.JPG", "B/sub/y.JPG", "A/only_a.webp", "B/only_b.png",
                        "A/notes.txt", "B/notes.txt", "A/.hidden.png", "B/.id-poison.lock"})
    touch(dir / f);
  const idef::PairList list = idef::match_image_pairs(dir / "A", dir / "B");
  ASSERT_EQ(list.pairs.size(), 2u);
  EXPECT_EQ(list.pairs[0].name, "sub/y.JPG");
  EXPECT_EQ(list.pairs[0].b, (fs::path(dir / "B") / "sub/y.JPG").string());
  EXPECT_EQ(list.pairs[1].name, "x.png");
  ASSERT_EQ(list.problems.size(), 2u);
  EXPECT_EQ(list.problems[0].name, "only_a.webp");
  EXPECT_NE(list.problems[0].message.find("is missing"), std::string::npos) << list.problems[0].message;
  EXPECT_EQ(list.problems[1].name, "only_b.png");
}

TEST(ImagePairs, TwoFilesAreOnePairAndMismatchesAreRefused) {
  ScratchDir dir;
  touch(dir / "a.png");
  touch(dir / "b.png");
  fs::create_directories(dir.path() / "folder");
  const idef::PairList one = idef::match_image_pairs(dir / "a.png", dir / "b.png");
  ASSERT_EQ(one.pairs.size(), 1u);
  EXPECT_EQ(one.pairs[0].a, dir / "a.png");
  EXPECT_THROW(idef::match_image_pairs(dir / "a.png", dir / "folder"), idef::UsageError);
  EXPECT_THROW(idef::match_image_pairs("-", "-"), idef::UsageError);
  EXPECT_THROW(idef::match_image_pairs(dir / "a.png", dir / "missing.png"), idef::InputError);
}
