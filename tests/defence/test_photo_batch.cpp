// Batch planning: the in-place record and the plan's refusals.
#include "defence/photo_batch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/atomic_file.h"
#include "core/error.h"
#include "test_util.h"

namespace fs = std::filesystem;
using idef::test::ScratchDir;

TEST(PhotoBatch, InPlaceRecordKnowsUnchangedFilesOnly) {
  ScratchDir dir;
  const std::string record = dir / idef::InPlaceRecord::kFileName;
  idef::write_all(dir / "a.png", "protected bytes");
  idef::write_all(dir / "b.png", "other bytes");
  idef::InPlaceRecord::add(record, "a.png", dir / "a.png");
  idef::InPlaceRecord::add(record, "b.png", dir / "b.png");
  // A line cut short by a killed run is ignored, not misread.
  { std::ofstream(record, std::ios::app) << "0123456789abcdef"; }
  idef::InPlaceRecord read(record);
  EXPECT_TRUE(read.is_done("a.png", dir / "a.png"));
  EXPECT_FALSE(read.is_done("c.png", dir / "a.png"));
  idef::write_all(dir / "b.png", "edited since");
  EXPECT_FALSE(read.is_done("b.png", dir / "b.png"));
}

TEST(PhotoBatch, PlanRefusesOutputsOnInputsOrOnEachOther) {
  ScratchDir dir;
  for (const char* f : {"d1/a.png", "d2/a.png"}) {
    fs::create_directories((dir.path() / f).parent_path());
    idef::write_all(dir / f, "x");
  }
  idef::BatchPlanOptions o;
  o.output_dir = dir / "o";
  EXPECT_THROW(idef::plan_photo_jobs({dir / "d1/a.png", dir / "d2/a.png"}, o), idef::UsageError);
  o.output_dir = dir / "d1";
  EXPECT_THROW(idef::plan_photo_jobs({dir / "d1/a.png"}, o), idef::UsageError);
  EXPECT_THROW(idef::plan_photo_jobs({dir / "d1"}, o), idef::UsageError);
  // The same file named twice is one job.
  o.output_dir = dir / "o";
  auto plan = idef::plan_photo_jobs({dir / "d1/a.png", dir / "d1/../d1/a.png"}, o);
  EXPECT_EQ(plan.jobs.size(), 1u);
  // In place: through a link, the file it names; its folder locked.
  fs::create_symlink(dir / "d2/a.png", dir / "d1/l.png");
  idef::BatchPlanOptions in_place;
  in_place.in_place = true;
  auto p = idef::plan_photo_jobs({dir / "d1/l.png"}, in_place);
  ASSERT_EQ(p.jobs.size(), 1u);
  EXPECT_EQ(fs::path(p.jobs[0].output), fs::canonical(dir / "d2/a.png"));
  EXPECT_EQ(p.lock_dirs, (std::vector<std::string>{dir / "d1"}));
}

TEST(PhotoBatch, ShardsSplitAnArchiveOnceAndStayPutAsItGrows) {
  ScratchDir dir;
  fs::create_directories(dir.path() / "in");
  for (int i = 0; i < 30; ++i) idef::write_all(dir / ("in/p" + std::to_string(i) + ".png"), "x");
  auto shard_of = [&](int count, std::size_t files) {
    std::map<std::string, int> owner;
    for (int k = 1; k <= count; ++k) {
      idef::BatchPlanOptions o;
      o.output_dir = dir / "out";
      o.shard_index = k;
      o.shard_count = count;
      auto plan = idef::plan_photo_jobs({dir / "in"}, o);
      EXPECT_EQ(plan.jobs.size() + plan.other_shards, files);
      for (const auto& job : plan.jobs) EXPECT_TRUE(owner.emplace(job.input, k).second) << job.input << " twice";
    }
    return owner;
  };
  auto before = shard_of(3, 30);
  EXPECT_EQ(before.size(), 30u);  // every file in exactly one shard
  std::map<int, int> sizes;
  for (const auto& [file, k] : before) ++sizes[k];
  EXPECT_EQ(sizes.size(), 3u);  // none of the three is empty
  idef::write_all(dir / "in/new.png", "x");
  auto after = shard_of(3, 31);
  for (const auto& [file, k] : before) EXPECT_EQ(after[file], k) << file << " moved to another shard";

  int index = 0, count = 0;
  idef::parse_shard("2/5", index, count);
  EXPECT_EQ(index, 2);
  EXPECT_EQ(count, 5);
  for (const char* bad : {"0/3", "4/3", "3", "a/b", "1/0", "-1/2", "1/2/3", ""})
    EXPECT_THROW(idef::parse_shard(bad, index, count), idef::UsageError) << bad;
}

TEST(PhotoBatch, SkipExistingLeavesOutWhatIsThereAndCountsIt) {
  ScratchDir dir;
  for (const char* f : {"in/a.png", "in/b.png", "out/a.png"}) {
    fs::create_directories((dir.path() / f).parent_path());
    idef::write_all(dir / f, "x");
  }
  idef::BatchPlanOptions o;
  o.output_dir = dir / "out";
  o.skip_existing = true;
  auto plan = idef::plan_photo_jobs({dir / "in"}, o);
  ASSERT_EQ(plan.jobs.size(), 1u);
  EXPECT_EQ(fs::path(plan.jobs[0].input).filename(), "b.png");
  EXPECT_EQ(plan.skipped_existing, 1u);
  auto missing = idef::plan_photo_jobs({dir / "nothing-here.png", dir / "in/b.png"}, o);
  EXPECT_EQ(missing.missing, std::vector<std::string>{dir / "nothing-here.png"});
}

TEST(PhotoBatch, FolderLockIsExclusiveUntilReleased) {
  ScratchDir dir;
  {
    idef::FolderLock first(dir.path());
    EXPECT_THROW(idef::FolderLock second(dir.path()), idef::Error);
  }
  EXPECT_NO_THROW(idef::FolderLock again(dir.path()));
}

// The shards of one archive run side by side; a whole run, or a second copy of a shard, waits
// its turn.
TEST(PhotoBatch, ShardsShareTheFolderLockAWholeRunDoesNot) {
  ScratchDir dir;
  {
    idef::FolderLock first(dir.path(), 1, 2);
    EXPECT_NO_THROW(idef::FolderLock second(dir.path(), 2, 2));
    EXPECT_THROW(idef::FolderLock again(dir.path(), 1, 2), idef::Error);
    EXPECT_THROW(idef::FolderLock whole(dir.path()), idef::Error);
  }
  idef::FolderLock whole(dir.path());
  EXPECT_THROW(idef::FolderLock shard(dir.path(), 1, 2), idef::Error);
}
