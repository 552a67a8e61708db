#include "cli/progress.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/atomic_file.h"
#include "test_util.h"

using idef::cli::Progress;

TEST(Progress, MachineBlocksAreKeyValueAndEndWithEnd) {
  idef::test::ScratchDir dir;
  std::string path = dir / "progress.txt";
  std::FILE* f = std::fopen(path.c_str(), "w");
  {
    Progress p(nullptr, f, "train", 10);
    p.update(3, {{"loss", "0.5"}}, true);
    p.update(4);  // within the second: not written
    p.finish({{"loss", "0.25"}});
  }
  std::fclose(f);
  std::string text = idef::read_all(path);
  EXPECT_NE(text.find("task=train\ndone=3\ntotal=10\n"), std::string::npos) << text;
  EXPECT_NE(text.find("loss=0.5\nprogress=continue\n"), std::string::npos) << text;
  // update(4) came within a second of the last block, so only finish() reports it.
  std::size_t blocks = 0;
  for (std::size_t at = text.find("task=train"); at != std::string::npos; at = text.find("task=train", at + 1)) ++blocks;
  EXPECT_EQ(blocks, 2u) << text;
  EXPECT_NE(text.find("done=4\ntotal=10\n"), std::string::npos) << text;
  EXPECT_NE(text.find("loss=0.25\nprogress=end\n"), std::string::npos) << text;
}

TEST(Progress, TerminalBarShowsCountRateAndEta) {
  idef::test::ScratchDir dir;
  std::string path = dir / "bar.txt";
  std::FILE* f = std::fopen(path.c_str(), "w");
  {
    Progress p(f, nullptr, "protect", 4);
    p.update(2, {}, true);
    p.update(4);  // within 0.2 s of the last draw: not drawn, but finish() shows it
    p.finish();
  }
  std::fclose(f);
  std::string text = idef::read_all(path);
  EXPECT_NE(text.find("\rprotect [############            ] 2/4"), std::string::npos) << text;
  EXPECT_NE(text.find("ETA"), std::string::npos);
  EXPECT_NE(text.find("4/4"), std::string::npos);
  EXPECT_EQ(text.back(), '\n');
}

TEST(Progress, DurationFormat) {
  EXPECT_EQ(Progress::format_duration(0), "0:00");
  EXPECT_EQ(Progress::format_duration(125), "2:05");
  EXPECT_EQ(Progress::format_duration(3725), "1:02:05");
  EXPECT_EQ(Progress::format_duration(-1), "--:--");
}

// A resumed training reports from its checkpoint's iteration on: the rate must count only
// the iterations of this run, or the ETA comes out far too short.
TEST(Progress, ResumedRunRatesOnlyItsOwnUnits) {
  idef::test::ScratchDir dir;
  std::string path = dir / "progress.txt";
  std::FILE* f = std::fopen(path.c_str(), "w");
  {
    Progress p(nullptr, f, "train", 1000);
    // Long enough that the printed elapsed_s and eta_s are not rounded to zero.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    p.update(901, {}, true);
    p.update(902, {}, true);
  }
  std::fclose(f);
  std::string text = idef::read_all(path);
  auto last = [&](const std::string& key) {
    std::size_t at = text.rfind(key + "=");
    EXPECT_NE(at, std::string::npos) << text;
    return std::stod(text.substr(at + key.size() + 1));
  };
  // Two of this run's iterations took elapsed_s; 98 remain: the ETA is ~49 times elapsed_s
  // (counting the 902 as this run's would make it ~0.1 times).
  EXPECT_GT(last("eta_s"), 10 * last("elapsed_s")) << text;
}
