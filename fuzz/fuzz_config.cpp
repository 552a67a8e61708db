// --config FILE.toml: every kind of option a tool has, ranges, lists, choices, aliases,
// a table of the tool's own, includes (which name files that mostly do not exist).
#include "cli/command.h"
#include "core/error.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = idef::fuzz::as_file(idef::fuzz::bytes_of(data, size), ".toml");
  bool flag = false;
  int count = 1;
  std::int64_t big = 0;
  double number = 0.5;
  std::string text, choice = "a";
  std::vector<std::string> list, inputs;
  idef::cli::Command cmd("id-fuzz", "fuzzes the config loader");
  cmd.flag("flag", &flag, "a flag")
      .option("count", &count, "N", "an integer")
      .range(1, 100)
      .option("big", &big, "N", "a 64-bit integer")
      .option("number", &number, "X", "a number")
      .range(0, 1, true)
      .alias("old-number")
      .option("text", &text, "T", "text")
      .list("list", &list, "LIST", "a list")
      .choice("choice", &choice, {"a", "b"}, "a choice")
      .positional("INPUT", &inputs, "inputs", false);
  const char* argv[] = {"id-fuzz", "--config", path.c_str()};
  try {
    cmd.read_arguments(3, argv);  // not parse: a fuzzed `threads = 200` would resize this process's pools
  } catch (const idef::Error&) {
  } catch (const idef::UsageError&) {
  }
  return 0;
}
