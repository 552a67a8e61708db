#include "training/attr_defence_training.h"

#include <filesystem>

#include "core/error.h"
#include "core/interrupt.h"
#include "data/face_dataset.h"
#include "io/image.h"
#include "model/editor_model.h"
#include "model/model_file.h"
#include "report/contact_sheet.h"

namespace fs = std::filesystem;

namespace idef {

namespace {

// Everything a checkpoint must match to be resumed.
void describe_run(Metadata& meta, const AttrDefenceOptions& o) {
  describe_defence_networks(meta, "attr", o.surrogate.arch, o.surrogate.width, o.da_width, o.db_width, o.generator);
  meta.set("domains", o.settings.attributes);
  meta.set("training.batch", std::int64_t{o.batch});
  meta.set("training.alternate", o.alternate);
  meta.set("training.tde", o.settings.tde);
  meta.set("training.domains_per_step", std::int64_t{o.settings.domains_per_step});
  // The transfer switches, written only when used, so that the files of runs without them
  // read as before.
  if (!o.ensemble.empty()) {
    meta.set("surrogate.ensemble", o.ensemble);
    meta.set("training.ensemble_rule",
             std::string(o.settings.ensemble == losses::EnsembleRule::Mean ? "mean" : "worst"));
  }
  if (o.settings.input_diversity > 0) meta.set("training.input_diversity", o.settings.input_diversity);
  if (o.settings.influence.uniform_domains) meta.set("training.domain_weights", std::string("uniform"));
  if (o.pg_steps != 1) meta.set("training.pg_steps", std::int64_t{o.pg_steps});
}

void check_resumable(const ModelFile& ckpt, const AttrDefenceOptions& o) {
  Metadata expected;
  describe_run(expected, o);
  require_same_run(ckpt, expected);
  for (const char* key : {"surrogate.ensemble", "training.ensemble_rule", "training.input_diversity",
                          "training.domain_weights", "training.pg_steps"})
    if (ckpt.meta.has(key) && !expected.has(key))
      throw InputError(ckpt.source(), "was made with another '" + std::string(key) +
                                          "'; resume with the same settings or start afresh");
}

void write_checkpoint(const AttrDefenceOptions& o, AttrDefenceTrainer& trainer, std::int64_t done, double seconds) {
  ModelFile file;
  describe_run(file.meta, o);
  file.meta.set("kind", std::string("checkpoint"));
  file.meta.set("training.iteration", done);
  file.meta.set("training.seconds", seconds);
  trainer.save_state(file);
  file.save(o.checkpoint);
}

void initialise_surrogate(const AttrDefenceOptions& o, nets::EditorImpl& sm, nets::StarGanDiscriminatorImpl& da,
                          const TrainingEvents& events) {
  ModelFile file = ModelFile::load(o.surrogate_init);
  file.require("task", "editor");
  nets::EditorConfig c = editor_config_of(file);
  if (c.arch != o.surrogate.arch || c.width != o.surrogate.width || c.image_size != o.surrogate.image_size)
    throw InputError(o.surrogate_init, "holds a " + c.arch + " of width " + std::to_string(c.width) + " at " +
                                           std::to_string(c.image_size) + " px, not the surrogate's " +
                                           o.surrogate.arch + " of width " + std::to_string(o.surrogate.width) +
                                           " at " + std::to_string(o.surrogate.image_size) + " px");
  if (file.meta.get_strings("domains") != o.settings.attributes)
    throw InputError(o.surrogate_init, "was trained on other domains than --attributes");
  load_initial_weights(file, sm, da, events);
}

// Rows of the validation batch: x, x', the perturbation amplified to full range, then
// per domain the surrogate's forgery of x and of x'.
void write_samples(const AttrDefenceOptions& o, AttrDefenceTrainer& trainer, const torch::Tensor& x,
                   const torch::Tensor& c, std::int64_t done) {
  torch::NoGradGuard no_grad;
  const std::int64_t n = std::min<std::int64_t>(8, x.size(0));
  torch::Tensor xs = x.slice(0, 0, n), cs = c.slice(0, 0, n);
  torch::Tensor xp = trainer.protect(xs);
  std::vector<torch::Tensor> columns{xs, xp, ((xp - xs) / o.settings.tau).clamp(-1, 1)};
  nets::Editor sm = trainer.surrogate();
  for (const auto& t : target_domain_labels(cs, o.settings.attributes)) {
    columns.push_back(sm->forward(xs, t));
    columns.push_back(sm->forward(xp, t));
  }
  fs::create_directories(o.samples_dir);
  char name[64];
  std::snprintf(name, sizeof name, "iter-%08lld.png", static_cast<long long>(done));
  save_rgb8((fs::path(o.samples_dir) / name).string(), tile_columns(columns));
}

}  // namespace

TrainingResult train_attr_defence(const AttrDefenceOptions& options, const FaceDataset& train,
                                  const FaceDataset& validation, const TrainingEvents& events,
                                  const DataParallel& parallel) {
  AttrDefenceOptions o = options;
  o.surrogate.c_dim = static_cast<int>(o.settings.attributes.size());
  if (o.checkpoint.empty()) o.checkpoint = o.output + ".ckpt";
  if (train.c_dim() != o.surrogate.c_dim) throw Error("dataset labels do not match the attributes");
  if (train.size() == 0) throw Error("no training images");
  if (validation.size() == 0) throw Error("no validation images (PG_best is chosen on them)");
  if (o.surrogate.image_size != o.generator.image_size)
    throw UsageError("the surrogate and the generator must work at the same image size");
  const std::int64_t pretrain = o.alternate ? 0 : (o.surrogate_iterations >= 0 ? o.surrogate_iterations : o.iterations);
  const std::int64_t total = pretrain + o.iterations;
  o.settings.stage_a.iterations = o.alternate ? o.iterations : pretrain;
  o.settings.stage_a.decay_iterations = std::min(o.decay_iterations, o.settings.stage_a.iterations);
  torch::Device device(o.device);

  torch::manual_seed(o.seed);  // initial weights
  nets::Editor sm = nets::make_editor(o.surrogate);
  nets::StarGanDiscriminator da(o.surrogate.image_size, o.da_width, o.surrogate.c_dim);
  nets::Translator pg = nets::make_translator(o.generator);
  nets::StarGanDiscriminator db(o.generator.image_size, o.db_width, 1);  // only its real/fake head is used
  std::vector<Surrogate> surrogates{{sm, da}};
  for (const auto& arch : o.ensemble) {  // drawn after the others: a run without an ensemble starts as before
    nets::EditorConfig config = o.surrogate;
    config.arch = arch;
    surrogates.push_back({nets::make_editor(config),
                          nets::StarGanDiscriminator(o.surrogate.image_size, o.da_width, o.surrogate.c_dim)});
  }
  pg->to(device);
  db->to(device);
  for (auto& s : surrogates) {
    s.sm->to(device);
    s.da->to(device);
  }
  if (!o.surrogate_init.empty()) initialise_surrogate(o, *sm, *da, events);
  o.settings.seed = o.seed;
  AttrDefenceTrainer trainer(surrogates, pg, db, o.settings);

  std::vector<std::int64_t> val_idx;
  for (std::int64_t i = 0; i < std::min<std::int64_t>(o.validation_size, validation.size()); ++i) val_idx.push_back(i);
  auto [x_val, c_val] = validation.batch(val_idx);
  x_val = x_val.to(device);
  c_val = c_val.to(device);

  const ResumePoint from = resume_point(o.checkpoint, o.resume, [&](const ModelFile& ckpt) {
    check_resumable(ckpt, o);
    trainer.load_state(ckpt);
  }, events);
  trainer.set_data_parallel(parallel);

  install_interrupt_handler();
  TrainingClock clock(from.seconds);
  for (std::int64_t i = from.iteration; i < total; ++i) {
    auto [x, c] = iteration_batch(train, o.batch, o.seed, i, device, parallel.rank());
    std::map<std::string, double> losses;
    const bool stage_a = o.alternate || i < pretrain;
    const bool stage_b = o.alternate || i >= pretrain;
    if (stage_a) losses = trainer.surrogate_step(i, x, c);
    const std::int64_t done = i + 1;
    if (stage_b) {
      const bool tde = o.alternate && o.settings.tde;
      const auto first_draw = static_cast<std::uint64_t>(i) * static_cast<std::uint64_t>(o.pg_steps);
      for (const auto& kv : trainer.perturbation_step(x, c, tde, first_draw)) losses.insert(kv);
      for (int k = 1; k < o.pg_steps; ++k) {  // longer stage B: more PG steps on batches of their own
        auto [x_more, c_more] =
            iteration_batch(train, o.batch, o.seed + 7919 * static_cast<std::uint64_t>(k), i, device, parallel.rank());
        trainer.perturbation_step(x_more, c_more, tde, first_draw + static_cast<std::uint64_t>(k));
      }
      const std::int64_t pg_done = done - pretrain;
      trainer.set_iteration(pg_done);
      if (pg_done % o.validate_every == 0 || done == total) {
        losses["val/distance"] = trainer.validate(x_val, c_val);
        losses["val/best"] = trainer.best_distance();
      }
    }
    if (events.iteration) events.iteration(done, losses);
    const bool last = done == total;
    if (parallel.writes() && !o.samples_dir.empty() && stage_b && ((done - pretrain) % o.sample_every == 0 || last))
      write_samples(o, trainer, x_val, c_val, done);
    if (checkpoint_or_stop(done, total, o.checkpoint_every, o.checkpoint, [&] { write_checkpoint(o, trainer, done, clock.seconds()); }, events, parallel))
      return TrainingResult::Interrupted;
  }
  if (!parallel.writes()) return TrainingResult::Finished;

  Metadata extra;
  extra.set("training.seconds", clock.seconds());
  describe_run(extra, o);
  extra.set("training.iterations", o.iterations);
  extra.set("training.surrogate_iterations", o.alternate ? o.iterations : pretrain);
  extra.set("training.seed", static_cast<std::int64_t>(o.seed));
  extra.set("training.world_size", std::int64_t{parallel.world_size()});
  extra.set("training.best_distance", trainer.best_distance());
  extra.set("training.best_iteration", trainer.best_iteration());
  extra.set("training.lambda_adv", o.settings.lambda_adv);
  extra.set("training.lambda_basic", o.settings.influence.basic);
  extra.set("training.lambda_cycle", o.settings.influence.cycle);
  extra.set("training.lambda_domain", o.settings.influence.domain);
  // The model carries the surrogates it was trained against, for id-poison --refine.
  PerturbationModel result = trainer.perturbation_model(true);
  const EditorModel surrogate{trainer.surrogate(), o.settings.attributes};
  for (std::size_t k = 0; k < trainer.surrogate_count(); ++k)
    result.surrogates.push_back(EditorModel{trainer.surrogate(k), o.settings.attributes});
  save_perturbation_model(o.output, result, extra);
  if (!o.surrogate_output.empty()) save_editor_model(o.surrogate_output, surrogate);
  return TrainingResult::Finished;
}

}  // namespace idef
