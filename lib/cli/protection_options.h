// The command line of the tools that protect inputs (id-poison, id-joint): the option block
// they share (where outputs go, faces, files and streams, work), bound to the library's
// ProtectionRunSettings, and the run itself with the tool's log, progress and summary.
#pragma once
#include <cstdint>
#include <string>

#include "cli/command.h"
#include "defence/protection_run.h"

namespace idef::cli {

// The values of the shared block that need parsing after the command line is read.
struct RunOptions {
  std::string shard = "1/1", size, rate = "25", video_codec = "h264", no_face = "fail";
  std::int64_t max_pixels = 100'000'000;
};

// INPUT and the shared options, after the tool's own (its models and methods).
void add_run_options(Command& cmd, ProtectionRunSettings& run, RunOptions& o);
// Parses what add_run_options left as text into `run`; UsageError for bad values or
// combinations.
void finish_run_options(const Command& cmd, const RunOptions& o, ProtectionRunSettings& run);

// A model shipped in models/ (e.g. "default.idm"), found relative to the built or installed
// binary; "" when there is none.
std::string shipped_model(const std::string& file);

// Runs the protection with the tool's log lines, --progress and the closing summary;
// returns the exit status (1 when an input failed).
int run_protection_command(const Command& cmd, const ProtectionRunSettings& run);

}  // namespace idef::cli
