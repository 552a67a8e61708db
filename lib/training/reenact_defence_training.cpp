#include "training/reenact_defence_training.h"

#include <cstdio>
#include <filesystem>
#include <mutex>

#include "core/error.h"
#include "core/interrupt.h"
#include "data/talking_head.h"
#include "io/image.h"
#include "model/model_file.h"
#include "model/translator_model.h"
#include "report/contact_sheet.h"
#include "training/reenactor_training.h"

namespace fs = std::filesystem;

namespace idef {

namespace {

void initialise_surrogate(const ReenactDefenceOptions& o, nets::TranslatorImpl& sm, nets::PatchDiscriminatorImpl& sd,
                          const TrainingEvents& events) {
  ModelFile file = ModelFile::load(o.surrogate_init);
  file.require("task", "reenactor");
  const nets::TranslatorConfig c = translator_config_of(file);
  if (c.arch != o.surrogate.arch || c.width != o.surrogate.width || c.image_size != o.surrogate.image_size)
    throw InputError(o.surrogate_init, "holds a " + c.arch + " of width " + std::to_string(c.width) + " at " +
                                           std::to_string(c.image_size) + " px, not the surrogate's " +
                                           o.surrogate.arch + " of width " + std::to_string(o.surrogate.width) +
                                           " at " + std::to_string(o.surrogate.image_size) + " px");
  load_initial_weights(file, sm, sd, events);
}

// Everything a checkpoint must match to be resumed.
void describe_run(Metadata& meta, const ReenactDefenceOptions& o) {
  describe_defence_networks(meta, "reenact", o.surrogate.arch, o.surrogate.width, o.d_width, o.db_width, o.generator);
  meta.set("training.batch", std::int64_t{o.batch});
  meta.set("training.alternate", o.alternate);
  meta.set("training.mask", o.settings.mask);
  meta.set("training.unroll_steps", std::int64_t{o.settings.unrolled.steps});
  meta.set("training.input_diversity", o.settings.input_diversity);
  meta.set("training.validation_frames", std::int64_t{o.validation_frames});
  if (o.restart_every > 0) meta.set("training.restart_every", o.restart_every);  // older runs have none
}

void check_resumable(const ModelFile& ckpt, const ReenactDefenceOptions& o) {
  Metadata expected;
  describe_run(expected, o);
  require_same_run(ckpt, expected);
}

void write_checkpoint(const ReenactDefenceOptions& o, ReenactDefenceTrainer& trainer, std::int64_t done,
                      double seconds) {
  ModelFile file;
  describe_run(file.meta, o);
  file.meta.set("kind", std::string("checkpoint"));
  file.meta.set("training.iteration", done);
  file.meta.set("training.seconds", seconds);
  trainer.save_state(file);
  file.save(o.checkpoint);
}

// Columns over held-out frames: sketch, frame, protected frame, the perturbation amplified to
// full range, SM(z) (trained on clean frames), TM(z) (trained on protected ones).
void write_samples(const ReenactDefenceOptions& o, ReenactDefenceTrainer& trainer, const torch::Tensor& z,
                   const torch::Tensor& x, std::int64_t done) {
  torch::NoGradGuard no_grad;
  const std::int64_t n = std::min<std::int64_t>(8, x.size(0));
  torch::Tensor zs = z.slice(0, 0, n), xs = x.slice(0, 0, n);
  torch::Tensor xp = trainer.protect(xs);
  fs::create_directories(o.samples_dir);
  char name[64];
  std::snprintf(name, sizeof name, "iter-%08lld.png", static_cast<long long>(done));
  save_rgb8((fs::path(o.samples_dir) / name).string(),
            tile_columns({zs, xs, xp, ((xp - xs) / o.settings.tau).clamp(-1, 1), trainer.surrogate()->forward(zs),
                          trainer.temporary()->forward(zs)}));
}

// SM and TM start over from the weights of restart `k`, drawn from the seed and k without
// moving the run's own random stream (batches, dropout), so a run with restarts draws the
// same everything else as one without.
void restart_surrogates(const ReenactDefenceOptions& o, ReenactDefenceTrainer& trainer, std::int64_t k,
                        torch::Device device) {
  at::Generator cpu = at::detail::getDefaultCPUGenerator();
  torch::Tensor saved;
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    saved = cpu.get_state();
  }
  torch::manual_seed(o.seed * 1000003 + static_cast<std::uint64_t>(k));
  nets::Translator g = nets::make_translator(o.surrogate);
  nets::PatchDiscriminator d(6, o.d_width);
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    cpu.set_state(saved);
  }
  g->to(device);
  d->to(device);
  trainer.restart_surrogates(*g, *d);
}

}  // namespace

TrainingResult train_reenact_defence(const ReenactDefenceOptions& options, const TalkingHead& video,
                                     const TrainingEvents& events, const DataParallel& parallel) {
  ReenactDefenceOptions o = options;
  if (o.checkpoint.empty()) o.checkpoint = o.output + ".ckpt";
  if (o.surrogate.image_size != o.generator.image_size || video.size() != o.generator.image_size)
    throw UsageError("the surrogate, the generator and the frames must have one size");
  const std::int64_t held_out = o.validation_frames;
  if (video.count() < held_out + 2)
    throw Error("the video has " + std::to_string(video.count()) + " frames with a face; training needs at least " +
                std::to_string(held_out + 2) + " (" + std::to_string(held_out) + " held out for validation)");
  const std::int64_t train_frames = video.count() - held_out;
  if (o.restart_every > 0 && !o.alternate) throw UsageError("restarting SM and TM (--restart-every) needs the alternating schedule");
  const std::int64_t pretrain = o.alternate ? 0 : (o.surrogate_iterations >= 0 ? o.surrogate_iterations : o.iterations);
  const std::int64_t total = pretrain + o.iterations;
  // SM's schedule covers its own iterations; TM's the same length (it trains through stage B).
  o.settings.stage_a.iterations = o.alternate ? o.iterations : std::max<std::int64_t>(pretrain, o.iterations);
  // With restarts every run of SM and TM is the beginning of the forger's training: full rate.
  o.settings.stage_a.decay_iterations = o.restart_every > 0 ? 0 : std::min(o.decay_iterations, o.settings.stage_a.iterations);
  o.settings.seed = o.seed;
  torch::Device device(o.device);

  torch::manual_seed(o.seed);  // initial weights
  nets::Translator sm = nets::make_translator(o.surrogate);
  nets::PatchDiscriminator sd(6, o.d_width);
  nets::Translator tm = nets::make_translator(o.surrogate);
  nets::PatchDiscriminator td(6, o.d_width);
  nets::Translator pg = nets::make_translator(o.generator);
  nets::StarGanDiscriminator db(o.generator.image_size, o.db_width, 1);  // only its real/fake head is used
  if (!o.surrogate_init.empty()) initialise_surrogate(o, *sm, *sd, events);
  for (torch::nn::Module* m : std::initializer_list<torch::nn::Module*>{sm.get(), sd.get(), tm.get(), td.get(), pg.get(), db.get()})
    m->to(device);
  ReenactDefenceTrainer trainer(sm, sd, tm, td, pg, db, o.settings);

  const torch::Tensor val_rows = TalkingHead::range(train_frames, held_out);
  const torch::Tensor z_val = video.sketches(val_rows).to(device), x_val = video.frames(val_rows).to(device),
                      m_val = video.masks(val_rows).to(device);

  const ResumePoint from = resume_point(o.checkpoint, o.resume, [&](const ModelFile& ckpt) {
    check_resumable(ckpt, o);
    trainer.load_state(ckpt);
  }, events);
  trainer.set_data_parallel(parallel);

  install_interrupt_handler();
  TrainingClock clock(from.seconds);
  for (std::int64_t i = from.iteration; i < total; ++i) {
    const torch::Tensor rows = iteration_rows(train_frames, o.batch, o.seed, i, parallel.rank(), parallel.world_size());
    const torch::Tensor z = video.sketches(rows).to(device), x = video.frames(rows).to(device);
    std::map<std::string, double> losses;
    const bool stage_a = o.alternate || i < pretrain;
    const bool stage_b = o.alternate || i >= pretrain;
    if (o.restart_every > 0 && i > 0 && i % o.restart_every == 0) restart_surrogates(o, trainer, i / o.restart_every, device);
    if (stage_a) losses = trainer.surrogate_step(i, z, x);
    if (!o.alternate && i == pretrain && from.iteration <= pretrain) trainer.start_temporary_from_surrogate();
    const std::int64_t done = i + 1;
    if (stage_b) {
      for (const auto& kv : trainer.perturbation_step(i - pretrain, z, x, video.masks(rows).to(device)))
        losses.insert(kv);
      const std::int64_t pg_done = done - pretrain;
      trainer.set_iteration(pg_done);
      if (pg_done % o.validate_every == 0 || done == total) {
        losses["val/distance"] = trainer.validate(z_val, m_val);
        losses["val/best"] = trainer.best_distance();
      }
    }
    if (events.iteration) events.iteration(done, losses);
    const bool last = done == total;
    if (parallel.writes() && !o.samples_dir.empty() && stage_b && ((done - pretrain) % o.sample_every == 0 || last))
      write_samples(o, trainer, z_val, x_val, done);
    if (checkpoint_or_stop(done, total, o.checkpoint_every, o.checkpoint, [&] { write_checkpoint(o, trainer, done, clock.seconds()); }, events, parallel))
      return TrainingResult::Interrupted;
  }
  if (!parallel.writes()) return TrainingResult::Finished;

  Metadata extra;
  describe_run(extra, o);
  extra.set("training.seconds", clock.seconds());
  extra.set("training.iterations", o.iterations);
  extra.set("training.surrogate_iterations", o.alternate ? o.iterations : pretrain);
  extra.set("training.seed", static_cast<std::int64_t>(o.seed));
  extra.set("training.best_distance", trainer.best_distance());
  extra.set("training.best_iteration", trainer.best_iteration());
  extra.set("training.lambda_adv", o.settings.lambda_adv);
  extra.set("training.unroll_lr", o.settings.unrolled.lr);
  extra.set("training.frames", train_frames);
  extra.set("training.world_size", std::int64_t{parallel.world_size()});
  save_perturbation_model(o.output, trainer.perturbation_model(true), extra);
  if (!o.surrogate_output.empty()) save_reenactor_model(o.surrogate_output, trainer.surrogate());
  return TrainingResult::Finished;
}

}  // namespace idef
