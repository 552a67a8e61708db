// id-train-reenact: trains the perturbation generator PG of the reenactment defence
// (docs/reenactment.md, paper Figure 2 and eq. 11) on one person's video.
#include "cli/command.h"
#include "cli/progress.h"
#include "cli/training_options.h"
#include "cli/video_frames.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "data/talking_head.h"
#include "losses/reenact_defence.h"
#include "nets/translator.h"
#include "training/reenact_defence_training.h"

using namespace idef;

namespace {

struct Options {
  std::vector<std::string> inputs;
  ReenactDefenceOptions train;
  DataParallelOptions parallel;
  std::string inner_loss = "mse";
  std::int64_t max_frames = 0, seed = 1;
  double tau = -1;
  bool no_alternate = false, no_mask = false;
  Options() {
    train.surrogate.arch = "unet128";
    train.surrogate.width = 64;
    train.surrogate.image_size = 128;
    train.generator.arch = "unet128";
    train.generator.width = 32;
  }
};

void describe(cli::Command& cmd) {
  cmd.synopsis("--output MODEL [OPTION]... VIDEO|FRAMES_DIR")
      .description(
          "Trains the perturbation generator PG that protects a person's video against Face2Face-style "
          "reenactment: a forger who trains a model on the protected video (landmark sketch -> face) gets one "
          "that makes broken faces. Each frame's face is aligned to an --image-size crop, its 68 dlib "
          "landmarks drawn as the sketch z. Every iteration alternates stage A, a pix2pix step of the "
          "surrogate SM on clean (z, x), with stage B: a WGAN-GP step of the critic DB (x against "
          "x' = x + epsilon*PG(x)), a step of PG on L_A->B + lambda*L_adv, and a pix2pix step of the "
          "temporary model TM on (z, x'). L_A->B = mean|(SM(z) - x)*m| - mean|(M'(z) - x)*m| compares SM with "
          "M', TM after --unroll-steps differentiable SGD steps of --unroll-lr on the protected frames, so "
          "that the gradient reaches PG through the training step (the inner loss is smooth: an L1 step "
          "would pass no gradient); m is 1 on the face and 0.01 elsewhere (--no-mask: 1 everywhere). The "
          "last --validation-frames frames are held out; PG_best, the generator under which TM strays "
          "furthest from SM on them, is the model written. --no-alternate trains SM first and starts TM "
          "from it (the paper's ablation). The model protects videos, streams and photos with id-poison.")
      .example("id-train-reenact --image-size 64 --surrogate-arch unet64 --surrogate-width 32 --pg-arch unet64 "
               "--pg-width 16 --iterations 4000 --output me.idm me.mp4",
               "a small generator for one person's video")
      .example("id-poison --model me.idm --video-codec h264-lossless me.mp4", "protect the video with it (me.protected.mp4)");
}

void define(cli::Command& cmd, Options& o) {
  describe(cmd);
  ReenactDefenceOptions& t = o.train;
  cmd.positional("VIDEO", &o.inputs, "the person's video, or a folder of its frames")
      .option("output", &t.output, "FILE", "the perturbation model (PG_best)", cli::ValueKind::File, 'o')
      .option("surrogate-output", &t.surrogate_output, "FILE", "also write the final surrogate SM as a reenactor "
                                                                "model (id-forge reenact takes it)",
              cli::ValueKind::File)
      .option("surrogate-init", &t.surrogate_init, "FILE", "start SM (and its PatchGAN, when the file carries one) "
                                                           "from a reenactor model: id-forge train-reenact's, or a "
                                                           "pix2pix generator from id-forge import",
              cli::ValueKind::File)
      .choice("surrogate-arch", &t.surrogate.arch, nets::translator_architectures(), "surrogate SM and temporary model TM")
      .option("surrogate-width", &t.surrogate.width, "N", "SM and TM width (ngf / conv_dim)")
          .range(1, 4096)
      .option("d-width", &t.d_width, "N", "width of SM's and TM's PatchGANs (ndf)")
          .range(1, 4096)
      .choice("pg-arch", &t.generator.arch, {"unet64", "unet128", "unet256", "unet5-bn", "universal"},
              "perturbation generator PG (universal: one learned pattern of the crop, the same for every frame; "
              "its width is not used)")
      .option("pg-width", &t.generator.width, "N", "PG width (ngf)")
          .range(1, 4096)
      .option("db-width", &t.db_width, "N", "DB width (conv_dim)")
          .range(1, 4096)
      .option("image-size", &t.surrogate.image_size, "PX", "side of the aligned face crop")
          .range(16, 4096)
      .option("max-frames", &o.max_frames, "N", "use at most the first N frames with a face (0: all)")
          .range(0, 1e12)
      .option("batch", &t.batch, "N", "batch size")
          .range(1, 4096)
      .option("iterations", &t.iterations, "N", "iterations of PG (alternating: of SM too)")
          .range(1, 1e9)
      .option("decay-iterations", &t.decay_iterations, "N", "decay SM's and TM's learning rates linearly to 0 over "
                                                            "the last N iterations")
          .range(0, 1e9)
      .flag("no-alternate", &o.no_alternate, "train SM to the end first, freeze it, start TM from it, then train PG "
                                             "(ablation)")
      .option("surrogate-iterations", &t.surrogate_iterations, "N", "--no-alternate: SM's iterations before PG "
                                                                    "(-1: --iterations)")
          .range(-1, 1e9)
      .option("restart-every", &t.restart_every, "N", "every N iterations SM and TM start over together from fresh "
                                                      "random weights at their full learning rate, so that PG "
                                                      "learns against the forger's model at every stage of its "
                                                      "training (alternating only; 0: never)")
          .range(0, 1e9)
      .flag("no-mask", &o.no_mask, "weigh every pixel alike in L_A->B instead of the face (ablation)")
      .option("unroll-steps", &t.settings.unrolled.steps, "K", "differentiable SGD steps of TM on the protected frames")
          .range(1, 16)
      .option("unroll-lr", &t.settings.unrolled.lr, "ETA", "their learning rate")
          .range(0, 1e6, true)
      .choice("inner-loss", &o.inner_loss, {"mse", "smooth-l1"}, "loss of the unrolled steps (smooth in x')")
      .option("lr-sm", &t.settings.stage_a.lr_g, "LR", "learning rate of SM and TM")
          .range(0, 1, true)
      .option("lr-sd", &t.settings.stage_a.lr_d, "LR", "learning rate of their PatchGANs")
          .range(0, 1, true)
      .option("lambda-l1", &t.settings.stage_a.lambda_l1, "W", "weight of SM's and TM's L1 term (pix2pix: 100)")
          .range(0, 1e6)
      .option("lr-pg", &t.settings.lr_pg, "LR", "learning rate of PG")
          .range(0, 1, true)
      .option("lr-db", &t.settings.lr_db, "LR", "learning rate of DB")
          .range(0, 1, true)
      .option("input-diversity", &t.settings.input_diversity, "P", "probability per PG step that TM learns from a "
                                                                   "random view of x' (resize 0.9-1.1, shift, blur "
                                                                   "of sigma 0-1 px), as the forger's re-aligned crops "
                                                                   "move (0: never)")
          .range(0, 1)
      .option("lambda-adv", &t.settings.lambda_adv, "W", "lambda, weight of L_adv")
          .range(0, 1e6)
      .option("lambda-gp-b", &t.settings.lambda_gp, "W", "weight of DB's gradient penalty")
          .range(0, 1e6)
      .option("epsilon", &t.settings.epsilon, "E", "intensity: x' = x + epsilon*PG(x), on the [-1,1] scale")
          .range(0, 1, true)
      .option("tau", &o.tau, "T", "cap of |x' - x| on the [-1,1] scale (negative: equal to --epsilon)")
          .range(-1, 1)
      .option("validate-every", &t.validate_every, "N", "measure PG on the held-out frames every N iterations")
          .range(1, 1e9)
      .option("validation-frames", &t.validation_frames, "N", "frames held out from the end of the video")
          .range(1, 1e6)
      .option("seed", &o.seed, "N", "random seed (weights, batches)");
  cli::add_data_parallel_options(cmd, o.parallel);
  cli::add_checkpoint_options(cmd, t, "write sample sheets here (columns: sketch, frame, protected frame, amplified "
                                      "perturbation, SM's face, TM's face)");
}

int run(const cli::Command& cmd, const Options& o) {
  ReenactDefenceOptions t = o.train;
  if (t.output.empty()) throw UsageError("--output is required");
  if (o.inputs.size() != 1) throw UsageError("expected one video or folder of frames");
  if (t.surrogate_iterations >= 0 && !o.no_alternate) throw UsageError("--surrogate-iterations needs --no-alternate");
  if (t.restart_every > 0 && o.no_alternate) throw UsageError("--restart-every needs the alternating schedule, not --no-alternate");
  t.generator.image_size = t.surrogate.image_size;
  nets::make_translator(t.surrogate);  // refuse an unsupported size or architecture before the video is read
  nets::make_translator(t.generator);
  t.settings.tau = o.tau >= 0 ? o.tau : t.settings.epsilon;
  t.settings.unrolled.loss = losses::inner_loss_named(o.inner_loss);
  t.settings.mask = !o.no_mask;
  t.alternate = !o.no_alternate;
  t.seed = static_cast<std::uint64_t>(o.seed);
  t.device = cmd.common().device;

  cli::Log log(cmd.program(), cmd.common().quiet);
  const DataParallel parallel(cli::resolve_data_parallel(cmd, o.parallel));
  TalkingHeadOptions read;
  read.size = t.surrogate.image_size;
  read.max_frames = o.max_frames;
  const TalkingHead video = cli::read_talking_head(cmd, o.inputs[0], read);
  log.info("training " + t.generator.arch + " against a " + t.surrogate.arch + " surrogate on " +
           std::to_string(video.count() - t.validation_frames) + " frames of '" + o.inputs[0] + "' (" +
           std::to_string(t.validation_frames) + " held out" +
           (parallel.distributed() ? "; " + cli::rank_in_world(parallel) + " trains on every " +
                                         std::to_string(parallel.world_size()) + "th"
                                   : "") +
           ")");

  const std::int64_t total =
      t.iterations + (t.alternate ? 0 : t.surrogate_iterations >= 0 ? t.surrogate_iterations : t.iterations);
  cli::Progress progress(cmd.common(), "train-reenact", total);
  TrainingEvents events;
  events.iteration = cli::LossReport(progress, {"SM/loss_l1", "TM/loss_l1", "DB/loss_gp", "PG/L_AB", "PG/L_adv",
                                                "val/distance", "val/best"});
  events.message = [&](const std::string& m) { log.info(m); };
  if (train_reenact_defence(t, video, events, parallel) == TrainingResult::Interrupted)
    return 128 + interrupt_signal();
  progress.finish();
  log.info(cli::written_message(parallel, t.output));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run_tool("id-train-reenact", [&] {
    cli::Command cmd("id-train-reenact", "train the perturbation generator of the reenactment defence");
    Options o;
    define(cmd, o);
    if (!cmd.parse(argc, argv)) return 0;
    return run(cmd, o);
  });
}
