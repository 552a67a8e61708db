// Batch planning: the in-place record and the plan's refusals.
#include "defence/photo_batch.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

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
