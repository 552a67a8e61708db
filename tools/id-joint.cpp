// id-joint: protects a video (or photos) against attribute editing and reenactment at once.
// Each face gets the attribute generator's perturbation, then the reenactment generator's on
// that result (or the other order), the total change reported per frame and capped.
#include "cli/command.h"
#include "cli/protection_options.h"
#include "core/error.h"

using namespace idef;

namespace {

struct Options {
  ProtectionRunSettings run;
  cli::RunOptions io;
  std::string attr_model, reenact_model, order = "attr-first";
  double attr_epsilon = 0.05, reenact_epsilon = 0.02, max_epsilon = 0.07;
};

void describe(cli::Command& cmd) {
  cmd.description(
         "A forger may train a reenactment model (Face2Face-style) on a published video and also edit the "
         "attributes of its single frames (StarGAN-style). id-joint applies both trained generators to every "
         "face: the attribute generator's perturbation first, then the reenactment generator's, computed on "
         "the attribute-protected face (--order reenact-first swaps them). Each keeps its own cap, and the "
         "total change of every pixel is capped by --max-epsilon (default: the sum of the two); --report "
         "writes the total per frame. Inputs, outputs, faces, streams and video files are handled exactly "
         "as by id-poison: y4m and raw rgb24 streams from standard input to standard output with constant "
         "memory (header kept, whole frames only), video files with their audio copied, photos and folders "
         "of photos; frames without a face pass unchanged. Without --attr-model and --reenact-model the "
         "shipped models/default.idm and models/reenact.idm are used.")
      .example("ffmpeg -i talk.mp4 -f yuv4mpegpipe - | id-joint - | ffmpeg -i - -c:v libx264 -crf 12 out.mp4",
               "protect a video through pipes with the shipped models")
      .example("id-joint --attr-model attr.idm --reenact-model reenact.idm --report changes.csv talk.mp4",
               "writes talk.protected.mp4 (audio copied) and the change of every frame")
      .example("id-joint --max-epsilon 0.05 --output protected/ photos/", "a folder of photos, total change "
                                                                            "at most 0.05 (6.4 levels)");
}

void define(cli::Command& cmd, Options& o) {
  describe(cmd);
  cmd.option("attr-model", &o.attr_model, "FILE", "the attribute defence's generator (id-train-attr; default: "
                                                  "the shipped models/default.idm)",
             cli::ValueKind::File)
      .option("reenact-model", &o.reenact_model, "FILE", "the reenactment defence's generator (id-train-reenact; "
                                                         "default: the shipped models/reenact.idm)",
              cli::ValueKind::File)
      .option("attr-epsilon", &o.attr_epsilon, "E", "the attribute generator's intensity on the [-1,1] scale "
                                                    "(default: the model's own)")
      .range(0, 1, true)
      .no_default()
      .option("reenact-epsilon", &o.reenact_epsilon, "E", "the reenactment generator's intensity (default: the "
                                                          "model's own)")
      .range(0, 1, true)
      .no_default()
      .option("max-epsilon", &o.max_epsilon, "E", "cap of the total change |x' - x| on the [-1,1] scale "
                                                  "(default: the sum of the two generators' caps)")
      .range(0, 1, true)
      .no_default()
      .choice("order", &o.order, {"attr-first", "reenact-first"},
              "which generator perturbs the face first; the second sees the first one's output");
  cli::add_run_options(cmd, o.run, o.io);
}

// One of the two generators: its file (or the shipped one), its task, its intensity.
ProtectionStage stage(const cli::Command& cmd, const std::string& option, const std::string& model,
                      const std::string& shipped, const std::string& task, double epsilon) {
  ProtectionStage s;
  s.protection.method = "pg";
  s.task = task;
  s.model_option = "--" + option;
  s.model = model.empty() ? cli::shipped_model(shipped) : model;
  if (s.model.empty())
    throw UsageError("no --" + option + " given and no shipped models/" + shipped + " is installed");
  if (cmd.given(task + "-epsilon")) s.protection.epsilon = epsilon;
  return s;
}

int run(const cli::Command& cmd, Options& o) {
  cli::finish_run_options(cmd, o.io, o.run);
  ProtectionStage attr = stage(cmd, "attr-model", o.attr_model, "default.idm", "attr", o.attr_epsilon);
  ProtectionStage reenact = stage(cmd, "reenact-model", o.reenact_model, "reenact.idm", "reenact", o.reenact_epsilon);
  o.run.stages = o.order == "attr-first" ? std::vector<ProtectionStage>{attr, reenact}
                                         : std::vector<ProtectionStage>{reenact, attr};
  if (cmd.given("max-epsilon")) o.run.max_tau = o.max_epsilon;
  return cli::run_protection_command(cmd, o.run);
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run_tool("id-joint", [&] {
    cli::Command cmd("id-joint", "protect a video against attribute editing and reenactment at once");
    Options o;
    define(cmd, o);
    if (!cmd.parse(argc, argv)) return 0;
    return run(cmd, o);
  });
}
