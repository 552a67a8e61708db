#include "defence/protection_run.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <stdexcept>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/byte_stream.h"
#include "io/image.h"
#include "test_util.h"

namespace fs = std::filesystem;

namespace {

// Job i throws kind i (0: succeeds).
void throw_kind(std::size_t i) {
  switch (i) {
    case 1: throw idef::InputError("in1.png", "not a PNG file");
    case 2: throw idef::OutputError("out2.png", "disk full");
    case 3: throw fs::filesystem_error("cannot create directories", fs::path("o/x"), std::make_error_code(std::errc::not_a_directory));
    case 4: throw std::invalid_argument("landmarks out of the frame");
    case 5: TORCH_CHECK(false, "tensor shapes differ");
    case 6: throw idef::Error("the model carries no surrogate");
    case 7: throw 42;  // not even a std::exception
    default: return;
  }
}

std::map<std::size_t, std::string> run_all(std::size_t workers) {
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back("job" + std::to_string(i));
  std::map<std::size_t, std::string> outcome;
  idef::run_jobs(names, workers, [](std::size_t i, std::size_t) { throw_kind(i); },
                 [&](std::size_t i, const std::string& error) { outcome[i] = error; });
  return outcome;
}

}  // namespace

TEST(RunJobs, EveryKindOfErrorIsOneJobsFailureAndTheOthersGoOn) {
  for (std::size_t workers : {1u, 3u}) {
    auto outcome = run_all(workers);
    ASSERT_EQ(outcome.size(), 10u) << workers;  // every job reported once
    EXPECT_EQ(outcome[0], "");
    for (std::size_t i = 8; i < 10; ++i) EXPECT_EQ(outcome[i], "") << i;
    EXPECT_EQ(outcome[1], "cannot read 'in1.png': not a PNG file");  // names its file already
    EXPECT_EQ(outcome[2], "cannot write 'out2.png': disk full");
    EXPECT_EQ(outcome[3].rfind("'job3': filesystem error: cannot create directories", 0), 0u) << outcome[3];
    EXPECT_EQ(outcome[4], "'job4': landmarks out of the frame");
    EXPECT_EQ(outcome[5].rfind("'job5': tensor shapes differ", 0), 0u) << outcome[5];
    EXPECT_EQ(outcome[6], "'job6': the model carries no surrogate");
    EXPECT_EQ(outcome[7], "'job7': unknown error");
  }
}

TEST(RunJobs, ABrokenPipeStopsThePoolAndIsRethrown) {
  std::vector<std::string> names(20, "-");
  std::size_t finished = 0;
  EXPECT_THROW(idef::run_jobs(
                   names, 1,
                   [](std::size_t i, std::size_t) {
                     if (i == 2) throw idef::BrokenPipe("-");
                   },
                   [&](std::size_t, const std::string&) { ++finished; }),
               idef::BrokenPipe);
  EXPECT_EQ(finished, 2u);  // jobs 0 and 1; nothing after the pipe closed
}

TEST(RunJobs, WorkersNeverExceedJobsAndEachJobRunsOnce) {
  std::vector<std::string> names(7, "x");
  std::vector<int> runs(7, 0);
  std::size_t max_worker = 0;
  std::mutex m;
  idef::run_jobs(names, 16,
                 [&](std::size_t i, std::size_t w) {
                   std::lock_guard<std::mutex> hold(m);
                   ++runs[i];
                   max_worker = std::max(max_worker, w);
                 },
                 [](std::size_t, const std::string&) {});
  EXPECT_EQ(runs, std::vector<int>(7, 1));
  EXPECT_LT(max_worker, 7u);
}

// The runner on real files: a good face, a file that is no image, and one whose output
// folder cannot be made (a file is in the way: a filesystem_error); every input gets its
// own result and the good ones are written, with one job and with several.
TEST(ProtectionRun, EachInputsFailureIsItsOwnAndTheBatchGoesOn) {
  for (int jobs : {1, 3}) {
    idef::test::ScratchDir dir;
    fs::create_directories(dir / "in/sub");
    idef::Rgb8 face(16, 16);
    for (std::size_t i = 0; i < face.pixels.size(); ++i) face.pixels[i] = static_cast<std::uint8_t>(60 + i % 120);
    idef::save_rgb8(dir / "in/a.png", face);
    idef::save_rgb8(dir / "in/sub/c.png", face);
    idef::write_all(dir / "in/b.png", "not an image");
    fs::create_directories(dir / "out");
    idef::write_all(dir / "out/sub", "a file where a folder should go");

    idef::ProtectionRunSettings s;
    s.inputs = {dir / "in"};
    s.output_dir = dir / "out";
    s.stages[0].protection.method = "noise";
    s.aligned = true;
    s.jobs = jobs;
    std::vector<std::string> errors;
    std::size_t planned = 0, last_done = 0;
    idef::ProtectionRunEvents events;
    events.info = events.warn = [](const std::string&) {};
    events.error = [&](const std::string& m) { errors.push_back(m); };
    events.planned = [&](std::size_t n) { planned = n; };
    events.progress = [&](std::size_t done, int) { last_done = done; };
    idef::ProtectionRunReport report = idef::run_protection(s, torch::kCPU, events);

    EXPECT_EQ(planned, 3u);
    EXPECT_EQ(last_done, 3u);
    ASSERT_EQ(report.results.size(), 3u);
    EXPECT_EQ(report.failed(), 2u);
    EXPECT_EQ(errors.size(), 2u);
    for (const auto& r : report.results) {
      const std::string name = fs::path(r.input).filename();
      if (name == "a.png") {
        EXPECT_TRUE(r.ok) << r.error;
        EXPECT_TRUE(fs::exists(r.output));
      } else {
        EXPECT_FALSE(r.ok) << name;
        EXPECT_NE(r.error.find(name), std::string::npos) << r.error;  // the message names the input
        EXPECT_FALSE(fs::exists(r.output)) << r.output;
      }
    }
    EXPECT_EQ(report.summary(false), "protected 1 of 3 inputs, 2 failed");
  }
}

TEST(ProtectionRun, RefusesBadCombinationsBeforeWritingAnything) {
  idef::test::ScratchDir dir;
  idef::ProtectionRunEvents events;
  events.info = events.warn = events.error = [](const std::string&) {};
  auto refuses = [&](idef::ProtectionRunSettings s) {
    EXPECT_THROW(idef::run_protection(s, torch::kCPU, events), idef::UsageError);
    EXPECT_TRUE(fs::is_empty(dir.path()));
  };
  idef::ProtectionRunSettings s;
  s.stages[0].protection.method = "noise";
  s.aligned = true;
  s.inputs = {"-", dir / "x.png"};
  refuses(s);
  s.inputs = {"-"};
  s.output_dir = dir / "out";
  refuses(s);
  s.inputs = {dir / "x.png"};
  s.in_place = true;
  refuses(s);
  s.output_dir.clear();
  s.in_place = false;
  s.stages[0].protection.method = "pgd";  // no --target
  refuses(s);
  s.stages[0].protection.method = "noise";
  s.raw_input = true;  // raw frames come from standard input only
  refuses(s);
}
