// The command-line framework every id-* tool uses (docs/architecture.md#conventions): options bound to the
// fields of a plain struct, the same keys from `--config FILE.toml` (the command line
// wins), --help, --version, common options, and man page / completion generation from the
// one option table so they cannot drift.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace idef::cli {

// Options every tool has.
struct CommonOptions {
  std::string config;    // --config FILE.toml
  bool quiet = false;    // --quiet: only errors on stderr
  bool verbose = false;  // --verbose: also the libraries' own messages (libav, libvips)
  std::string progress;  // --progress FILE|-: machine-readable key=value blocks
  int threads = 0;       // --threads N (0: the libraries' defaults)
  std::string device = "cpu";  // --device cpu|cuda
};

// What an option's value is, for help text and shell completion.
enum class ValueKind { Flag, Integer, Number, Text, File, Directory, Choice };

struct OptionSpec {
  std::string name;        // long name, and the key in a TOML config
  char short_name = 0;
  ValueKind kind = ValueKind::Flag;
  std::string value_name;  // "FILE", "N", ...
  std::string help;
  std::string default_text;  // shown in help; empty for none
  std::vector<std::string> choices;
  bool multiple = false;   // may be given several times / holds a list
  bool common = false;     // one of CommonOptions
};

struct PositionalSpec {
  std::string name;  // "INPUT"
  std::string help;
  bool multiple = false;
  bool required = true;
};

class Command {
 public:
  Command(std::string program, std::string summary);
  ~Command();
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;

  // Longer text for --help and the man page's DESCRIPTION; examples for EXAMPLES.
  Command& description(std::string text);
  Command& example(std::string command, std::string explanation);
  // An environment variable the tool reads, for the man page's ENVIRONMENT section.
  Command& environment(std::string variable, std::string explanation);
  // Subcommand-style tools (id-forge train-attr ...) document their verbs here.
  Command& synopsis(std::string line);

  // Options, bound to fields that hold the default value beforehand.
  Command& flag(const std::string& name, bool* target, const std::string& help, char short_name = 0);
  Command& option(const std::string& name, int* target, const std::string& value_name, const std::string& help);
  Command& option(const std::string& name, std::int64_t* target, const std::string& value_name,
                  const std::string& help);
  Command& option(const std::string& name, double* target, const std::string& value_name, const std::string& help);
  // The values the numeric option defined last accepts, low to high (low itself excluded
  // when low_open); anything else, NaN and infinities always, is a usage error (exit 2).
  Command& range(double low, double high, bool low_open = false);
  Command& option(const std::string& name, std::string* target, const std::string& value_name,
                  const std::string& help, ValueKind kind = ValueKind::Text, char short_name = 0);
  Command& list(const std::string& name, std::vector<std::string>* target, const std::string& value_name,
                const std::string& help, ValueKind kind = ValueKind::Text);
  Command& choice(const std::string& name, std::string* target, std::vector<std::string> choices,
                  const std::string& help);
  Command& positional(const std::string& name, std::vector<std::string>* target, const std::string& help,
                      bool required = true);
  // The option defined last has no fixed default (e.g. "the model's own"): help shows none.
  Command& no_default();
  // An old spelling of the option defined last, still accepted (command line and config
  // file) with a deprecation note on standard error.
  Command& alias(const std::string& old_name);

  // Parses argv and the config file. Returns false when the run is already complete
  // (--help, --version, --generate-doc printed): the tool then exits 0. Throws
  // UsageError for anything wrong, before any input is read.
  bool parse(int argc, const char* const* argv);
  // parse without applying the common options to the process (thread pools, library
  // messages): for the config fuzzer, whose fuzzed `threads = 200` would otherwise grow
  // its own pools.
  bool read_arguments(int argc, const char* const* argv);

  const CommonOptions& common() const { return common_; }
  const std::string& program() const { return program_; }
  // True when the option was set on the command line or in the config file.
  bool given(const std::string& name) const;

  // Generated documents (also printed by the hidden --generate-doc=man|bash|zsh|fish).
  std::string help_text() const;
  std::string man_page() const;
  std::string completion(const std::string& shell) const;

  const std::vector<OptionSpec>& options() const { return specs_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string program_, summary_, description_;
  std::vector<std::string> synopses_;
  std::vector<std::pair<std::string, std::string>> examples_;
  std::vector<std::pair<std::string, std::string>> environment_;
  std::vector<OptionSpec> specs_;
  std::vector<PositionalSpec> positionals_;
  CommonOptions common_;
  void add(OptionSpec spec);
};

// Runs a tool's body with the error conventions: UsageError → "prog: msg" + "Try 'prog
// --help'." and exit 2; a reader closing our output pipe early → "the output is
// incomplete" and exit 1 (no SIGPIPE death, no hang); any other error → "prog: msg", exit 1.
int run_tool(const std::string& program, const std::function<int()>& body);

}  // namespace idef::cli
