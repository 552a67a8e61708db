#include "cli/command.h"

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "io/byte_stream.h"
#include "test_util.h"

using idef::cli::Command;
using idef::test::ScratchDir;

namespace {

// A tool's option struct, as the real tools have them.
struct ToolOptions {
  double epsilon = 0.05;
  int batch = 16;
  std::string model = "default.idm";
  std::string method = "pg";
  bool in_place = false;
  std::vector<std::string> domains{"Black_Hair"};
  std::vector<std::string> inputs;
};

void define(Command& cmd, ToolOptions& o) {
  cmd.description("Protects images.")
      .example("id-demo a.png", "protect a.png")
      .option("epsilon", &o.epsilon, "E", "perturbation intensity")
      .option("batch", &o.batch, "N", "batch size")
      .option("model", &o.model, "FILE", "model file", idef::cli::ValueKind::File, 'm')
      .choice("method", &o.method, {"pg", "pgd", "noise"}, "how to perturb")
      .flag("in-place", &o.in_place, "modify inputs")
      .list("domains", &o.domains, "LIST", "target domains")
      .positional("INPUT", &o.inputs, "images");
}

bool parse(Command& cmd, std::vector<std::string> args) {
  std::vector<const char*> argv{"id-demo"};
  for (auto& a : args) argv.push_back(a.c_str());
  return cmd.parse(static_cast<int>(argv.size()), argv.data());
}

std::string usage_error(std::vector<std::string> args) {
  Command cmd("id-demo", "demo");
  ToolOptions o;
  define(cmd, o);
  try {
    parse(cmd, args);
  } catch (const idef::UsageError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(Command, FillsTheStructFromTheCommandLine) {
  Command cmd("id-demo", "demo");
  ToolOptions o;
  define(cmd, o);
  ASSERT_TRUE(parse(cmd, {"--epsilon", "0.03", "--batch=4", "-m", "x.idm", "--method", "pgd", "--in-place",
                          "--domains", "Blond_Hair,Gray_Hair", "a.png", "b.png", "--threads", "1"}));
  EXPECT_DOUBLE_EQ(o.epsilon, 0.03);
  EXPECT_EQ(o.batch, 4);
  EXPECT_EQ(o.model, "x.idm");
  EXPECT_EQ(o.method, "pgd");
  EXPECT_TRUE(o.in_place);
  EXPECT_EQ(o.domains, (std::vector<std::string>{"Blond_Hair", "Gray_Hair"}));
  EXPECT_EQ(o.inputs, (std::vector<std::string>{"a.png", "b.png"}));
  EXPECT_EQ(cmd.common().threads, 1);
  EXPECT_TRUE(cmd.given("epsilon"));
  EXPECT_FALSE(cmd.given("quiet"));
}

TEST(Command, DefaultsStayWhenNotGiven) {
  Command cmd("id-demo", "demo");
  ToolOptions o;
  define(cmd, o);
  ASSERT_TRUE(parse(cmd, {"a.png"}));
  EXPECT_DOUBLE_EQ(o.epsilon, 0.05);
  EXPECT_EQ(o.domains, std::vector<std::string>{"Black_Hair"});
  EXPECT_EQ(cmd.common().device, "cpu");
}

TEST(Command, ConfigFileSetsKeysAndTheCommandLineWins) {
  ScratchDir dir;
  idef::write_all(dir / "c.toml",
                  "epsilon = 0.02\nbatch = 8\nin-place = true\ndomains = ['Pale_Skin', 'Male']\n"
                  "[id-demo]\nmethod = 'noise'\n[id-other]\nwhatever = 1\n");
  Command cmd("id-demo", "demo");
  ToolOptions o;
  define(cmd, o);
  ASSERT_TRUE(parse(cmd, {"--config", dir / "c.toml", "--batch", "2", "a.png"}));
  EXPECT_DOUBLE_EQ(o.epsilon, 0.02);
  EXPECT_EQ(o.batch, 2);
  EXPECT_TRUE(o.in_place);
  EXPECT_EQ(o.method, "noise");
  EXPECT_EQ(o.domains, (std::vector<std::string>{"Pale_Skin", "Male"}));
}

// A config that includes another overrides its keys; the include is relative to the file.
TEST(Command, ConfigIncludeReadsTheOtherFileFirst) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path() / "sub");
  idef::write_all(dir / "sub/base.toml", "epsilon = 0.02\nbatch = 8\n[id-demo]\nmethod = 'noise'\n");
  idef::write_all(dir / "top.toml", "include = 'sub/base.toml'\nbatch = 4\n");
  Command cmd("id-demo", "demo");
  ToolOptions o;
  define(cmd, o);
  ASSERT_TRUE(parse(cmd, {"--config", dir / "top.toml", "--epsilon", "0.04", "a.png"}));
  EXPECT_DOUBLE_EQ(o.epsilon, 0.04);
  EXPECT_EQ(o.batch, 4);
  EXPECT_EQ(o.method, "noise");

  idef::write_all(dir / "loop.toml", "include = 'loop.toml'\n");
  EXPECT_NE(usage_error({"--config", dir / "loop.toml", "a.png"}).find("nest more than 8 deep"), std::string::npos);
  idef::write_all(dir / "lost.toml", "include = 'nowhere.toml'\n");
  EXPECT_NE(usage_error({"--config", dir / "lost.toml", "a.png"}).find("nowhere.toml"), std::string::npos);
  idef::write_all(dir / "number.toml", "include = 3\n");
  EXPECT_NE(usage_error({"--config", dir / "number.toml", "a.png"}).find("include must be a file name"),
            std::string::npos);
}

TEST(Command, ConfigErrorsNameTheFileAndKey) {
  ScratchDir dir;
  idef::write_all(dir / "bad.toml", "epsilom = 0.02\n");
  idef::write_all(dir / "broken.toml", "epsilon = = 3\n");
  std::string unknown = usage_error({"--config", dir / "bad.toml", "a.png"});
  EXPECT_NE(unknown.find("unknown key 'epsilom'"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("bad.toml"), std::string::npos) << unknown;
  std::string broken = usage_error({"--config", dir / "broken.toml", "a.png"});
  EXPECT_NE(broken.find("broken.toml"), std::string::npos) << broken;
  EXPECT_NE(broken.find("line 1"), std::string::npos) << broken;
}

// Found by fuzz_config: `batch = []` reached the option's setter with no value (undefined
// behaviour, a crash). An option of one value refuses an array; a list takes an empty one.
TEST(Command, ConfigArraysOnlyForLists) {
  ScratchDir dir;
  for (const char* text : {"batch = []\n", "in-place = []\n", "epsilon = [0.1, 0.2]\n"}) {
    idef::write_all(dir / "array.toml", text);
    std::string error = usage_error({"--config", dir / "array.toml", "a.png"});
    EXPECT_NE(error.find("takes one value, not an array"), std::string::npos) << text << ": " << error;
  }
  idef::write_all(dir / "list.toml", "domains = []\n");
  Command cmd("id-demo", "demo");
  ToolOptions o;
  define(cmd, o);
  ASSERT_TRUE(parse(cmd, {"--config", dir / "list.toml", "a.png"}));
  EXPECT_TRUE(o.domains.empty());
}

TEST(Command, BadUsageIsAUsageError) {
  EXPECT_NE(usage_error({"--epsilon", "abc", "a.png"}).find("'abc' is not a finite number"), std::string::npos);
  EXPECT_NE(usage_error({"--method", "magic", "a.png"}).find("not one of pg, pgd, noise"), std::string::npos);
  EXPECT_NE(usage_error({"--frobnicate", "a.png"}).find("frobnicate"), std::string::npos);
  EXPECT_NE(usage_error({}).find("missing INPUT"), std::string::npos);
  EXPECT_NE(usage_error({"--batch", "1", "--batch", "2", "a"}).find("more than once"), std::string::npos);
  // Debian's LibTorch has no CUDA: asking for it must be refused before any work.
  if (!torch::cuda::is_available())
    EXPECT_NE(usage_error({"--device", "cuda", "a.png"}).find("no CUDA device"), std::string::npos);
}

TEST(Command, HelpManAndCompletionsCoverEveryOption) {
  Command cmd("id-demo", "demo");
  ToolOptions o;
  define(cmd, o);
  std::string help = cmd.help_text(), man = cmd.man_page();
  std::string bash = cmd.completion("bash"), zsh = cmd.completion("zsh"), fish = cmd.completion("fish");
  for (const auto& spec : cmd.options()) {
    EXPECT_NE(help.find("--" + spec.name), std::string::npos) << spec.name;
    std::string roff_name;
    for (char c : spec.name) roff_name += c == '-' ? std::string("\\-") : std::string(1, c);
    EXPECT_NE(man.find("\\-\\-" + roff_name), std::string::npos) << spec.name;
    EXPECT_NE(bash.find("--" + spec.name), std::string::npos) << spec.name;
    EXPECT_NE(zsh.find("--" + spec.name), std::string::npos) << spec.name;
    EXPECT_NE(fish.find("-l " + spec.name), std::string::npos) << spec.name;
  }
  EXPECT_NE(help.find("[default: 0.05]"), std::string::npos);
  EXPECT_NE(bash.find("pg pgd noise"), std::string::npos);
  EXPECT_EQ(man.rfind(".TH ID-DEMO 1", 0), 0u);
}

TEST(Command, GeneratedCompletionsAreValidShell) {
  ScratchDir dir;
  Command cmd("id-demo", "demo");
  ToolOptions o;
  define(cmd, o);
  idef::write_all(dir / "c.bash", cmd.completion("bash"));
  auto r = idef::test::run_command("bash -n '" + dir / "c.bash" + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  idef::write_all(dir / "page.1", cmd.man_page());
  auto man = idef::test::run_command("command -v groff >/dev/null || exit 77; groff -man -Tutf8 -ww -z '" +
                                     dir / "page.1" + "'");
  if (man.exit_code != 77) EXPECT_EQ(man.err, "") << "troff warnings in the man page";
}

TEST(RunTool, MapsErrorsToExitCodes) {
  testing::internal::CaptureStderr();
  int usage = idef::cli::run_tool("id-demo", [] () -> int { throw idef::UsageError("bad option"); });
  std::string usage_text = testing::internal::GetCapturedStderr();
  EXPECT_EQ(usage, 2);
  EXPECT_NE(usage_text.find("id-demo: bad option"), std::string::npos);
  EXPECT_NE(usage_text.find("Try 'id-demo --help'"), std::string::npos);

  testing::internal::CaptureStderr();
  int failure = idef::cli::run_tool("id-demo", [] () -> int { throw idef::InputError("x.jpg", "not a JPEG file"); });
  EXPECT_EQ(failure, 1);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "id-demo: cannot read 'x.jpg': not a JPEG file\n");
  EXPECT_EQ(idef::cli::run_tool("id-demo", [] { return 0; }), 0);
  testing::internal::CaptureStderr();
  EXPECT_EQ(idef::cli::run_tool("id-demo", [] () -> int { throw idef::BrokenPipe("<stdout>"); }), 1);
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "id-demo: cannot write to standard output: its reader closed the pipe; the output is incomplete\n");
}

// An old spelling still works, on the command line and in a config file, with a note; the
// help names it; giving both spellings is an error.
TEST(Command, AliasesKeepOldSpellingsWorking) {
  ScratchDir dir;
  idef::write_all(dir / "old.toml", "intensity = 0.02\n");
  auto define_with_alias = [](Command& cmd, ToolOptions& o) {
    cmd.option("epsilon", &o.epsilon, "E", "perturbation intensity").alias("intensity").positional("INPUT", &o.inputs, "images");
  };
  for (const std::vector<std::string>& args : {std::vector<std::string>{"--intensity", "0.02", "a.png"},
                                               std::vector<std::string>{"--config", dir / "old.toml", "a.png"}}) {
    Command cmd("id-demo", "demo");
    ToolOptions o;
    define_with_alias(cmd, o);
    testing::internal::CaptureStderr();
    ASSERT_TRUE(parse(cmd, args));
    const std::string note = testing::internal::GetCapturedStderr();
    EXPECT_DOUBLE_EQ(o.epsilon, 0.02);
    EXPECT_TRUE(cmd.given("epsilon"));
    EXPECT_NE(note.find("intensity is deprecated: use"), std::string::npos) << note;
    EXPECT_NE(cmd.help_text().find("(formerly --intensity)"), std::string::npos);
  }
  Command cmd("id-demo", "demo");
  ToolOptions o;
  define_with_alias(cmd, o);
  EXPECT_THROW(parse(cmd, {"--intensity", "0.02", "--epsilon", "0.03", "a.png"}), idef::UsageError);
}
