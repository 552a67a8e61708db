// id-train-attr: trains the perturbation generator PG of the attribute-editing defence
// (SPEC §3, paper Algorithm 1) against a surrogate editor trained alongside it.
#include <cstdio>

#include "cli/command.h"
#include "cli/progress.h"
#include "core/error.h"
#include "core/interrupt.h"
#include "data/face_dataset.h"
#include "nets/translator.h"
#include "training/attr_defence_training.h"

using namespace idef;

namespace {

struct Options {
  std::string data, output, surrogate_output, surrogate_init, checkpoint, samples;
  std::vector<std::string> attributes{"Black_Hair", "Blond_Hair", "Brown_Hair", "Male", "Young"};  // StarGAN's five
  std::string surrogate_arch = "res6", pg_arch = "unet128", ensemble_rule = "mean", domain_weights = "mu";
  std::vector<std::string> ensemble;
  double input_diversity = 0;
  int pg_steps = 1;
  int surrogate_width = 64, da_width = 64, pg_width = 64, db_width = 64, image_size = 128, crop = 0, batch = 16;
  int n_critic = 5, validation_size = 16, domains_per_step = 0;
  std::int64_t iterations = 200000, decay_iterations = 100000, surrogate_iterations = -1, validate_every = 500,
               checkpoint_every = 1000, sample_every = 1000, limit = -1, seed = 1;
  double lr_sm = 1e-4, lr_da = 1e-4, lr_pg = 1e-4, lr_db = 1e-4;
  double lambda_cls = 1, lambda_rec = 10, lambda_gp = 10, lambda_id = 0;  // stage A (StarGAN; id: 0)
  double lambda_basic = 10, lambda_cycle = 2.5, lambda_domain = 1;  // λ2, λ3, λ4
  double lambda_adv = 0.01, lambda_gp_b = 10;                 // λ, λ1
  double epsilon = 0.05, tau = -1;
  bool no_alternate = false, no_tde = false, resume = false;
};

void define(cli::Command& cmd, Options& o) {
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
      .example("id-poison --model pg.idm photo.jpg", "protect a photo with it")
      .option("data", &o.data, "DIR", "CelebA-layout folder; its train split trains, its val split picks PG_best",
              cli::ValueKind::Directory)
      .option("output", &o.output, "FILE", "the perturbation model (PG_best)", cli::ValueKind::File, 'o')
      .option("surrogate-output", &o.surrogate_output, "FILE", "also write the final surrogate SM as an editor "
                                                               "model",
              cli::ValueKind::File)
      .option("surrogate-init", &o.surrogate_init, "FILE", "start SM (and DA, from a checkpoint) from an id-forge "
                                                           "editor model or train-attr checkpoint",
              cli::ValueKind::File)
      .list("attributes", &o.attributes, "LIST", "domain attributes, comma-separated")
      .choice("surrogate-arch", &o.surrogate_arch, nets::editor_architectures(), "surrogate editor SM")
      .option("surrogate-width", &o.surrogate_width, "N", "SM width (conv_dim / ngf)")
          .range(1, 4096)
      .option("da-width", &o.da_width, "N", "DA width (conv_dim)")
          .range(1, 4096)
      .list("ensemble", &o.ensemble, "LIST", "more surrogates trained alongside SM, one per architecture listed "
                                             "(of SM's width, each from its own weights; list one twice for two "
                                             "seeds), against which PG is trained together")
      .choice("ensemble-rule", &o.ensemble_rule, {"mean", "worst"}, "how the surrogates' L_A->B combine: their "
                                                                     "mean, or the worst case (the largest)")
      .choice("pg-arch", &o.pg_arch, {"unet64", "unet128", "unet256", "unet5-bn"},
              "perturbation generator PG (unet5-bn: the authors' released design, average pooling, bilinear "
              "upsampling, BatchNorm)")
      .option("pg-width", &o.pg_width, "N", "PG width (ngf)")
          .range(1, 4096)
      .option("db-width", &o.db_width, "N", "DB width (conv_dim)")
          .range(1, 4096)
      .option("image-size", &o.image_size, "PX", "training image size")
          .range(8, 4096)
      .option("crop", &o.crop, "PX", "centre square cut before resizing (0: the shorter side; 178 for CelebA)")
          .range(0, 1e5)
      .option("batch", &o.batch, "N", "batch size")
          .range(1, 4096)
      .option("iterations", &o.iterations, "N", "iterations of PG (alternating: of SM too)")
          .range(1, 1e9)
      .option("decay-iterations", &o.decay_iterations, "N", "decay SM's and DA's learning rates linearly to 0 "
                                                            "over the last N of their iterations")
          .range(0, 1e9)
      .flag("no-alternate", &o.no_alternate, "train SM to the end first, freeze it, then train PG (ablation)")
      .option("surrogate-iterations", &o.surrogate_iterations, "N", "--no-alternate: SM's iterations before PG "
                                                                    "(-1: --iterations; 0 with --surrogate-init: "
                                                                    "use it as it is)")
          .range(-1, 1e9)
      .flag("no-tde", &o.no_tde, "leave out L'_A->B of the previous iteration's SM and DA (ablation)")
      .option("domains-per-step", &o.domains_per_step, "K", "compute L_A->B on K random target domains per "
                                                            "iteration, scaled to an unbiased estimate of the sum "
                                                            "over all (0: all; cheaper on a CPU)")
          .range(0, 1024)
      .option("pg-steps", &o.pg_steps, "N", "PG (and DB) steps per iteration, the extra ones on batches of their "
                                            "own: a longer stage B at the same surrogate")
          .range(1, 100)
      .option("input-diversity", &o.input_diversity, "P", "probability per PG step that the surrogates see x and "
                                                          "x' through one random view (resize 0.9-1.1, shift, "
                                                          "blur up to 1 px)")
          .range(0, 1)
      .choice("domain-weights", &o.domain_weights, {"mu", "uniform"}, "weights of the target domains in L_A->B: "
                                                                       "the paper's mu_j, or alike (the authors' "
                                                                       "released code)")
      .option("n-critic", &o.n_critic, "N", "DA steps per SM step")
          .range(1, 100)
      .option("lr-sm", &o.lr_sm, "LR", "learning rate of SM")
          .range(0, 1, true)
      .option("lr-da", &o.lr_da, "LR", "learning rate of DA")
          .range(0, 1, true)
      .option("lr-pg", &o.lr_pg, "LR", "learning rate of PG")
          .range(0, 1, true)
      .option("lr-db", &o.lr_db, "LR", "learning rate of DB")
          .range(0, 1, true)
      .option("lambda-cls", &o.lambda_cls, "W", "stage A: weight of the domain classification loss")
          .range(0, 1e6)
      .option("lambda-rec", &o.lambda_rec, "W", "stage A: weight of the cycle reconstruction loss")
          .range(0, 1e6)
      .option("lambda-gp", &o.lambda_gp, "W", "stage A: weight of DA's gradient penalty")
          .range(0, 1e6)
      .option("lambda-id", &o.lambda_id, "W", "stage A: weight of SM's identity loss (0: StarGAN's recipe; see "
                                              "id-forge)")
          .range(0, 1e6)
      .option("lambda-basic", &o.lambda_basic, "W", "lambda2, weight of L_bs")
          .range(0, 1e6)
      .option("lambda-cycle", &o.lambda_cycle, "W", "lambda3, weight of L_cyc")
          .range(0, 1e6)
      .option("lambda-domain", &o.lambda_domain, "W", "lambda4, weight of L_dom")
          .range(0, 1e6)
      .option("lambda-adv", &o.lambda_adv, "W", "lambda, weight of L_adv (the authors' code uses 0.001)")
          .range(0, 1e6)
      .option("lambda-gp-b", &o.lambda_gp_b, "W", "lambda1, weight of DB's gradient penalty")
          .range(0, 1e6)
      .option("epsilon", &o.epsilon, "E", "intensity: x' = x + epsilon*PG(x), on the [-1,1] scale")
          .range(0, 1, true)
      .option("tau", &o.tau, "T", "cap of |x' - x| on the [-1,1] scale (negative: equal to --epsilon)")
          .range(-1, 1)
      .option("validate-every", &o.validate_every, "N", "measure PG on the validation batch every N iterations")
          .range(1, 1e9)
      .option("validation-size", &o.validation_size, "N", "images in the fixed validation batch")
          .range(1, 1e6)
      .option("limit", &o.limit, "N", "use at most the first N training images (-1: all)")
          .range(-1, 1e12)
      .option("seed", &o.seed, "N", "random seed (weights, batches, flips)")
      .option("checkpoint", &o.checkpoint, "FILE", "checkpoint file [default: OUTPUT.ckpt]", cli::ValueKind::File)
      .option("checkpoint-every", &o.checkpoint_every, "N", "write a checkpoint every N iterations")
          .range(0, 1e9)
      .flag("resume", &o.resume, "continue from the checkpoint if there is one")
      .option("samples", &o.samples, "DIR", "write sample sheets here (rows: x, x', amplified perturbation, then "
                                            "per domain SM's forgery of x and of x')",
              cli::ValueKind::Directory)
      .option("sample-every", &o.sample_every, "N", "write a sample sheet every N iterations")
          .range(0, 1e9);
}

int run(const cli::Command& cmd, const Options& o) {
  if (o.data.empty() || o.output.empty()) throw UsageError("--data and --output are required");
  if (o.attributes.empty()) throw UsageError("--attributes: at least one attribute");
  if (o.surrogate_iterations >= 0 && !o.no_alternate) throw UsageError("--surrogate-iterations needs --no-alternate");

  AttrDefenceOptions t;
  t.surrogate = {o.surrogate_arch, static_cast<int>(o.attributes.size()), o.surrogate_width, o.image_size};
  t.generator = {o.pg_arch, 3, 3, o.pg_width, o.image_size};
  t.ensemble = o.ensemble;
  for (const auto& arch : o.ensemble)  // refuses an unknown architecture, naming the known ones
    nets::make_editor({arch, t.surrogate.c_dim, o.surrogate_width, o.image_size});
  t.pg_steps = o.pg_steps;
  nets::make_editor(t.surrogate);  // refuse an unsupported size before the data is read
  nets::make_translator(t.generator);
  t.da_width = o.da_width;
  t.db_width = o.db_width;
  AttrDefenceSettings& s = t.settings;
  s.attributes = o.attributes;
  s.stage_a.lr_g = o.lr_sm;
  s.stage_a.lr_d = o.lr_da;
  s.stage_a.n_critic = o.n_critic;
  s.stage_a.lambda_cls = o.lambda_cls;
  s.stage_a.lambda_rec = o.lambda_rec;
  s.stage_a.lambda_gp = o.lambda_gp;
  s.stage_a.lambda_id = o.lambda_id;
  s.lr_pg = o.lr_pg;
  s.lr_db = o.lr_db;
  s.epsilon = o.epsilon;
  s.tau = o.tau >= 0 ? o.tau : o.epsilon;
  s.influence = {o.lambda_basic, o.lambda_cycle, o.lambda_domain, o.domain_weights == "uniform"};
  s.ensemble = o.ensemble_rule == "mean" ? losses::EnsembleRule::Mean : losses::EnsembleRule::WorstCase;
  s.input_diversity = o.input_diversity;
  s.lambda_adv = o.lambda_adv;
  s.lambda_gp = o.lambda_gp_b;
  s.tde = !o.no_tde;
  s.domains_per_step = o.domains_per_step;
  t.iterations = o.iterations;
  t.decay_iterations = o.decay_iterations;
  t.alternate = !o.no_alternate;
  t.surrogate_iterations = o.surrogate_iterations;
  t.batch = o.batch;
  t.seed = static_cast<std::uint64_t>(o.seed);
  t.validate_every = o.validate_every;
  t.validation_size = o.validation_size;
  t.output = o.output;
  t.surrogate_output = o.surrogate_output;
  t.surrogate_init = o.surrogate_init;
  t.checkpoint = o.checkpoint;
  t.checkpoint_every = o.checkpoint_every;
  t.resume = o.resume;
  t.samples_dir = o.samples;
  t.sample_every = o.sample_every;
  t.device = cmd.common().device;

  cli::Log log(cmd.program(), cmd.common().quiet);
  DatasetOptions d;
  d.attributes = o.attributes;
  d.image_size = o.image_size;
  d.crop = o.crop;
  int skipped = 0;
  auto warn = [&](const std::string& w) {
    ++skipped;
    log.warn(w);
  };
  d.split = "train";
  d.limit = o.limit;
  FaceDataset train = FaceDataset::celeba(o.data, d, warn);
  d.split = "val";
  d.limit = o.validation_size;
  FaceDataset validation = FaceDataset::celeba(o.data, d, warn);
  log.info("training " + o.pg_arch + " against a " + o.surrogate_arch + " surrogate on " +
           std::to_string(train.size()) + " images of '" + o.data + "'" +
           (skipped ? " (" + std::to_string(skipped) + " skipped)" : ""));

  const std::int64_t total = o.iterations + (o.no_alternate ? (o.surrogate_iterations >= 0 ? o.surrogate_iterations : o.iterations) : 0);
  cli::Progress progress(cmd.common(), "train-attr", total);
  TrainingEvents events;
  events.iteration = cli::LossReport(progress, {"SM/loss_rec", "DA/loss_real", "DB/loss_gp", "PG/L_bs", "PG/L_cyc", "PG/L_dom",
                            "PG/L_AB", "PG/L_AB_prev", "PG/L_ensemble", "PG/L_adv", "val/distance", "val/best"});
  events.message = [&](const std::string& m) { log.info(m); };
  TrainingResult result = train_attr_defence(t, train, validation, events);
  if (result == TrainingResult::Interrupted) return 128 + interrupt_signal();
  progress.finish();
  log.info("wrote " + o.output);
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
