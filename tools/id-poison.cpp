// id-poison: protects face photos and videos before they are published. Each face is
// perturbed by a trained generator (or, for comparison, by Ruiz et al.'s PGD against an
// editor, or by noise) so that a forger's manipulation model produces broken forgeries from it.
#include "cli/command.h"
#include "cli/protection_options.h"
#include "core/error.h"

using namespace idef;

namespace {

// The command line binds straight to the library's settings; what needs parsing or
// depends on whether an option was given is finished in run().
struct Options {
  ProtectionRunSettings run;
  cli::RunOptions io;
  double epsilon = 0.05, tau = -1;
  std::int64_t seed = 0;
};

// The help's prose and examples.
void describe(cli::Command& cmd) {
  cmd.description(
         "Detects every face in each photo, aligns it to the model's face crop, computes the perturbation "
         "there and warps it back with a soft-edged mask, adding it at full resolution; the rest of the photo "
         "is left exactly as it was. Outputs keep size, alpha, ICC profile, EXIF and format; JPEG output is "
         "lossy and weakens the protection (use PNG, WebP or a high --jpeg-quality). An input in which no face is "
         "found (a photo, or a video in none of its frames) is nothing protected: by default it fails and "
         "nothing is written for it (--no-face copy writes it unchanged, --no-face skip leaves it out, both "
         "with a warning and without failing); the batch goes on. Videos are protected frame by frame with constant "
         "memory: a YUV4MPEG2 (y4m) stream on standard input gives a y4m stream on standard output with the "
         "same header, tags and frame count; raw rgb24 needs --size (and takes --rate); video files (mp4, mkv, "
         "...) give a new video file with the same timestamps and the audio copied (H.264 at --crf, or "
         "lossless). Faces are detected every --detect-every frames and their landmarks re-fitted in between; "
         "frames without a face pass unchanged, and only the pixels around faces change.")
      .example("id-poison --model pg.idm photo.jpg", "writes photo.protected.jpg beside photo.jpg")
      .example("id-poison --model pg.idm --output protected/ --skip-existing archive/",
               "protect a growing archive from cron: only new photos are done")
      .example("cat a.png | id-poison --model pg.idm - > b.png", "standard input to standard output")
      .example("ffmpeg -i in.mp4 -f yuv4mpegpipe - | id-poison --model pg.idm - | ffmpeg -i - out.mp4",
               "protect a video through pipes (add the audio back with ffmpeg's -map)")
      .example("id-poison --model pg.idm talk.mp4", "writes talk.protected.mp4, audio copied");
}

void define(cli::Command& cmd, Options& o) {
  describe(cmd);
  ProtectionStage& stage = o.run.stages[0];
  cmd.option("model", &stage.model, "FILE", "perturbation generator (a model file of the attr or reenact task)",
             cli::ValueKind::File, 'm')
      .choice("method", &stage.protection.method, {"pg", "noise", "pgd", "ifgsm", "fgsm", "push"},
              "pg: the trained generator; pgd/ifgsm/fgsm: Ruiz et al.'s attack against --target; noise: "
              "uniform noise of --epsilon (a control); push: only the landmark push of --push-landmarks, "
              "within --epsilon (against reenactment forgers)")
      .option("target", &stage.target, "FILE", "editor model the pgd/ifgsm/fgsm methods attack", cli::ValueKind::File)
      .option("refine", &stage.protection.refine, "K", "pg: refine the generator's perturbation of each face by K PGD steps "
                                        "against the surrogate editors the model file carries, never leaving the "
                                        "cap --tau (0: the generator alone; each step costs about a forward and "
                                        "backward pass of every surrogate per domain)")
          .range(0, 1000)
      .option("refine-step", &stage.protection.refine_step, "S", "step of each refining PGD step on the [-1,1] scale")
          .range(0, 1, true)
      .list("refine-against", &stage.protection.refine_against, "FILE",
            "pg with --refine: editor models (id-forge's, or imported by id-forge import) to refine against instead "
            "of the surrogates the model carries; each must work at the generator's size", cli::ValueKind::File)
      .option("epsilon", &o.epsilon, "E", "intensity on the [-1,1] scale (0.05 is about 6.4/255)")
          .range(0, 1, true)
      .option("tau", &o.tau, "T", "cap of |protected - original| on the [-1,1] scale (negative: the model's "
                                  "own for pg without --epsilon, else equal to --epsilon)")
          .range(-1, 1)
      .option("seed", &o.seed, "N", "seed of the noise and PGD random starts");
  cli::add_run_options(cmd, o.run, o.io);
}

int run(const cli::Command& cmd, Options& o) {
  ProtectionStage& stage = o.run.stages[0];
  ProtectionSettings& p = stage.protection;
  if (cmd.given("epsilon")) p.epsilon = o.epsilon;
  if (o.tau >= 0) p.tau = o.tau;
  p.seed = static_cast<std::uint64_t>(o.seed);
  if (p.method != "pg" && cmd.given("refine-step")) throw UsageError("--refine and --refine-step are for --method pg");
  const bool push_only = p.method == "push";  // no perturbation stage: the push alone, within the method's cap
  if (push_only) {
    if (!stage.model.empty() || !stage.target.empty() || p.refine != 0)
      throw UsageError("--method push takes no --model, --target or --refine");
    if (p.tau && *p.tau == 0) throw UsageError("--tau must be in (0, 1], not 0");
    o.run.push_landmarks = true;
    o.run.max_tau = p.tau.value_or(p.epsilon.value_or(0.05));
  }
  cli::finish_run_options(cmd, o.io, o.run);
  if (push_only) o.run.stages.clear();
  else if (p.method == "pg" && stage.model.empty()) {
    stage.model = cli::shipped_model("default.idm");
    if (stage.model.empty())
      throw UsageError("no --model given and no shipped default model is installed (models/default.idm)");
  }
  return cli::run_protection_command(cmd, o.run);
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run_tool("id-poison", [&] {
    cli::Command cmd("id-poison", "protect face photos against face manipulation before publishing them");
    Options o;
    define(cmd, o);
    if (!cmd.parse(argc, argv)) return 0;
    return run(cmd, o);
  });
}
