// id-train-attr: trains the perturbation generator PG of the attribute-editing defence
// (docs/method.md, paper Algorithm 1) against a surrogate editor trained alongside it.
#include <cstdio>

#include "cli/command.h"
#include "cli/progress.h"
#include "cli/training_options.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "data/face_dataset.h"
#include "nets/translator.h"
#include "training/attr_defence_training.h"

using namespace idef;

namespace {

// The options bind straight to the library's settings (cli/training_options.h); run()
// finishes what depends on several of them.
struct Options {
  std::string data;
  AttrDefenceOptions train;
  DataParallelOptions parallel;
  std::string ensemble_rule = "mean", domain_weights = "mu";
  int crop = 0;
  std::int64_t limit = -1, seed = 1;
  double tau = -1;
  bool no_alternate = false, no_tde = false;
  Options() { train.settings.attributes = {"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"}; }  // StarGAN's five
};

void define_stage_b_and_run(cli::Command& cmd, Options& o);

// The help's prose and examples.
void describe(cli::Command& cmd) {
  cmd.synopsis("--data DIR --output MODEL [OPTION]...")
      .description(
          "Trains the perturbation generator PG of the attribute-editing defence (Algorithm 1 of \"Initiative "
          "Defense against Facial Manipulation\"). Every iteration alternates stage A, a StarGAN step of the "
          "surrogate editor SM and its discriminator DA on clean faces, with stage B: a WGAN-GP step of the "
          "critic DB (clean x against protected x' = x + epsilon*PG(x)) and a step of PG on "
          "L_A->B + L'_A->B + lambda*L_adv, where L_A->B = lambda2*L_bs + lambda3*L_cyc + lambda4*L_dom "
          "pushes SM's forgeries of x' away from those of x and L'_A->B is the same loss under the previous "
          "iteration's SM and DA (the task-specific enhancement, TDE). PG_best, the generator whose "
          "forgeries differ most on a fixed batch of the validation split, is the model written. "
          "--no-alternate trains SM first and freezes it (the paper's ablation); --no-tde drops L'_A->B. "
          "Checkpoints are written every --checkpoint-every iterations and on SIGINT/SIGTERM; --resume "
          "continues from one. The data is a CelebA-layout folder (id-synth faces writes one).")
      .example("id-train-attr --data faces --image-size 64 --surrogate-width 16 --pg-arch unet64 --pg-width 16 "
               "--iterations 20000 --output pg.idm",
               "a small generator for 64 px faces")
      .example("id-poison --model pg.idm photo.jpg", "protect a photo with it");
}

void define(cli::Command& cmd, Options& o) {
  describe(cmd);
  cmd.option("data", &o.data, "DIR", "CelebA-layout folder; its train split trains, its val split picks PG_best",
              cli::ValueKind::Directory)
      .option("output", &o.train.output, "FILE", "the perturbation model (PG_best)", cli::ValueKind::File, 'o')
      .option("surrogate-output", &o.train.surrogate_output, "FILE", "also write the final surrogate SM as an editor "
                                                               "model",
              cli::ValueKind::File)
      .option("surrogate-init", &o.train.surrogate_init, "FILE", "start SM (and DA, when the file carries a discriminator) from an id-forge "
                                                           "editor model (one from id-forge import too) or train-attr checkpoint",
              cli::ValueKind::File)
      .list("attributes", &o.train.settings.attributes, "LIST", "domain attributes, comma-separated")
      .choice("surrogate-arch", &o.train.surrogate.arch, nets::editor_architectures(), "surrogate editor SM")
      .option("surrogate-width", &o.train.surrogate.width, "N", "SM width (conv_dim / ngf)")
          .range(1, 4096)
      .option("da-width", &o.train.da_width, "N", "DA width (conv_dim)")
          .range(1, 4096)
      .list("ensemble", &o.train.ensemble, "LIST", "more surrogates trained alongside SM, one per architecture listed "
                                             "(of SM's width, each from its own weights; list one twice for two "
                                             "seeds), against which PG is trained together")
      .choice("ensemble-rule", &o.ensemble_rule, {"mean", "worst"}, "how the surrogates' L_A->B combine: their "
                                                                     "mean, or the worst case (the largest)")
      .choice("pg-arch", &o.train.generator.arch, {"unet64", "unet128", "unet256", "unet5-bn"},
              "perturbation generator PG (unet5-bn: the authors' released design, average pooling, bilinear "
              "upsampling, BatchNorm)")
      .option("pg-width", &o.train.generator.width, "N", "PG width (ngf)")
          .range(1, 4096)
      .option("db-width", &o.train.db_width, "N", "DB width (conv_dim)")
          .range(1, 4096)
      .option("image-size", &o.train.surrogate.image_size, "PX", "training image size")
          .range(8, 4096)
      .option("crop", &o.crop, "PX", "centre square cut before resizing (0: the shorter side; 178 for CelebA)")
          .range(0, 1e5)
      .option("batch", &o.train.batch, "N", "batch size")
          .range(1, 4096)
      .option("iterations", &o.train.iterations, "N", "iterations of PG (alternating: of SM too)")
          .range(1, 1e9)
      .option("decay-iterations", &o.train.decay_iterations, "N", "decay SM's and DA's learning rates linearly to 0 "
                                                            "over the last N of their iterations")
          .range(0, 1e9)
      .flag("no-alternate", &o.no_alternate, "train SM to the end first, freeze it, then train PG (ablation)")
      .option("surrogate-iterations", &o.train.surrogate_iterations, "N", "--no-alternate: SM's iterations before PG "
                                                                    "(-1: --iterations; 0 with --surrogate-init: "
                                                                    "use it as it is)")
          .range(-1, 1e9)
      .flag("no-tde", &o.no_tde, "leave out L'_A->B of the previous iteration's SM and DA (ablation)")
      .option("domains-per-step", &o.train.settings.domains_per_step, "K", "compute L_A->B on K random target domains per "
                                                            "iteration, scaled to an unbiased estimate of the sum "
                                                            "over all (0: all; cheaper on a CPU)")
          .range(0, 1024)
      .option("pg-steps", &o.train.pg_steps, "N", "PG (and DB) steps per iteration, the extra ones on batches of their "
                                            "own: a longer stage B at the same surrogate")
          .range(1, 100)
      .option("input-diversity", &o.train.settings.input_diversity, "P", "probability per PG step that the surrogates see x and "
                                                          "x' through one random view (resize 0.9-1.1, shift, "
                                                          "blur up to 1 px)")
          .range(0, 1)
      .choice("domain-weights", &o.domain_weights, {"mu", "uniform"}, "weights of the target domains in L_A->B: "
                                                                       "the paper's mu_j, or alike (the authors' "
                                                                       "released code)")
          ;
  cli::add_stargan_options(cmd, o.train.settings.stage_a, {"lr-sm", "lr-da", "surrogate SM", "discriminator DA", "stage A: "});
  define_stage_b_and_run(cmd, o);
}

// Stage B's weights, the protection's strength, validation, data and checkpoints.
void define_stage_b_and_run(cli::Command& cmd, Options& o) {
  cmd.option("lr-pg", &o.train.settings.lr_pg, "LR", "learning rate of PG")
      .range(0, 1, true)
      .option("lr-db", &o.train.settings.lr_db, "LR", "learning rate of DB")
      .range(0, 1, true)
      .option("lambda-basic", &o.train.settings.influence.basic, "W", "lambda2, weight of L_bs")
          .range(0, 1e6)
      .option("lambda-cycle", &o.train.settings.influence.cycle, "W", "lambda3, weight of L_cyc")
          .range(0, 1e6)
      .option("lambda-domain", &o.train.settings.influence.domain, "W", "lambda4, weight of L_dom")
          .range(0, 1e6)
      .option("lambda-adv", &o.train.settings.lambda_adv, "W", "lambda, weight of L_adv (the authors' code uses 0.001)")
          .range(0, 1e6)
      .option("lambda-gp-b", &o.train.settings.lambda_gp, "W", "lambda1, weight of DB's gradient penalty")
          .range(0, 1e6)
      .option("epsilon", &o.train.settings.epsilon, "E", "intensity: x' = x + epsilon*PG(x), on the [-1,1] scale")
          .range(0, 1, true)
      .option("tau", &o.tau, "T", "cap of |x' - x| on the [-1,1] scale (negative: equal to --epsilon)")
          .range(-1, 1)
      .option("validate-every", &o.train.validate_every, "N", "measure PG on the validation batch every N iterations")
          .range(1, 1e9)
      .option("validation-size", &o.train.validation_size, "N", "images in the fixed validation batch")
          .range(1, 1e6)
      .option("limit", &o.limit, "N", "use at most the first N training images (-1: all)")
          .range(-1, 1e12)
      .option("seed", &o.seed, "N", "random seed (weights, batches, flips)")
      ;
  cli::add_data_parallel_options(cmd, o.parallel);
  cli::add_checkpoint_options(cmd, o.train, "write sample sheets here (rows: x, x', amplified perturbation, then "
                                            "per domain SM's forgery of x and of x')");
}

int run(const cli::Command& cmd, const Options& o) {
  AttrDefenceOptions t = o.train;
  AttrDefenceSettings& s = t.settings;
  if (o.data.empty() || t.output.empty()) throw UsageError("--data and --output are required");
  if (s.attributes.empty()) throw UsageError("--attributes: at least one attribute");
  if (t.surrogate_iterations >= 0 && !o.no_alternate) throw UsageError("--surrogate-iterations needs --no-alternate");
  t.surrogate.c_dim = static_cast<int>(s.attributes.size());
  t.generator.image_size = t.surrogate.image_size;
  nets::make_editor(t.surrogate);  // refuse an unsupported size or architecture before the data is read
  for (const auto& arch : t.ensemble) nets::make_editor({arch, t.surrogate.c_dim, t.surrogate.width, t.surrogate.image_size});
  nets::make_translator(t.generator);
  s.tau = o.tau >= 0 ? o.tau : s.epsilon;
  s.influence.uniform_domains = o.domain_weights == "uniform";
  s.ensemble = o.ensemble_rule == "mean" ? losses::EnsembleRule::Mean : losses::EnsembleRule::WorstCase;
  s.tde = !o.no_tde;
  t.alternate = !o.no_alternate;
  t.seed = static_cast<std::uint64_t>(o.seed);
  t.device = cmd.common().device;

  cli::Log log(cmd.program(), cmd.common().quiet);
  const DataParallel parallel(cli::resolve_data_parallel(cmd, o.parallel));
  DatasetOptions d;
  d.attributes = s.attributes;
  d.image_size = t.surrogate.image_size;
  d.crop = o.crop;
  int skipped = 0;
  auto warn = [&](const std::string& w) {
    ++skipped;
    log.warn(w);
  };
  d.split = "train";
  d.limit = o.limit;
  d.shard_index = parallel.rank();
  d.shard_count = parallel.world_size();
  FaceDataset train = FaceDataset::celeba(o.data, d, warn);
  d.split = "val";
  d.limit = t.validation_size;
  d.shard_index = 0, d.shard_count = 1;  // every rank judges PG on the same faces
  FaceDataset validation = FaceDataset::celeba(o.data, d, warn);
  log.info("training " + t.generator.arch + " against a " + t.surrogate.arch + " surrogate on " +
           std::to_string(train.size()) + " images of '" + o.data + "'" +
           (skipped ? " (" + std::to_string(skipped) + " skipped)" : "") +
           (parallel.distributed() ? " (" + cli::rank_in_world(parallel) + ": its share)"
                                   : ""));

  const std::int64_t total =
      t.iterations + (t.alternate ? 0 : t.surrogate_iterations >= 0 ? t.surrogate_iterations : t.iterations);
  cli::Progress progress(cmd.common(), "train-attr", total);
  TrainingEvents events;
  events.iteration = cli::LossReport(progress, {"SM/loss_rec", "DA/loss_real", "DB/loss_gp", "PG/L_bs", "PG/L_cyc", "PG/L_dom",
                            "PG/L_AB", "PG/L_AB_prev", "PG/L_ensemble", "PG/L_adv", "val/distance", "val/best"});
  events.message = [&](const std::string& m) { log.info(m); };
  TrainingResult result = train_attr_defence(t, train, validation, events, parallel);
  if (result == TrainingResult::Interrupted) return 128 + interrupt_signal();
  progress.finish();
  log.info(cli::written_message(parallel, t.output));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run_tool("id-train-attr", [&] {
    cli::Command cmd("id-train-attr", "train the perturbation generator of the attribute-editing defence");
    Options o;
    define(cmd, o);
    if (!cmd.parse(argc, argv)) return 0;

    return run(cmd, o);
  });
}
