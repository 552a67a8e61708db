#include "training/reenactor_training.h"

#include <cstdio>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/interrupt.h"
#include "data/talking_head.h"
#include "io/image.h"
#include "model/model_file.h"
#include "model/translator_model.h"
#include "report/contact_sheet.h"

namespace fs = std::filesystem;

namespace idef {

torch::Tensor iteration_rows(std::int64_t count, int batch, std::uint64_t seed, std::int64_t iteration, int rank,
                             int world) {
  const std::uint64_t s = iteration_seed(seed, iteration, rank);
  std::mt19937_64 rng(s);
  torch::manual_seed(s);
  const std::int64_t share = (count - rank + world - 1) / world;  // rows rank, rank + world, ... below count
  if (share < 1) throw Error("rank " + std::to_string(rank) + " of " + std::to_string(world) + " has no frames to train on");
  std::uniform_int_distribution<std::int64_t> pick(0, share - 1);
  torch::Tensor rows = torch::empty({batch}, torch::kLong);
  for (int i = 0; i < batch; ++i) rows[i] = rank + world * pick(rng);
  return rows;
}

namespace {

void write_checkpoint(const ReenactorTrainingOptions& o, Pix2PixTrainer& trainer, std::int64_t done,
                      double seconds) {
  ModelFile file;
  file.meta.set("task", std::string("reenactor"));
  describe_translator(file, trainer.generator()->config());
  file.meta.set("kind", std::string("checkpoint"));
  file.meta.set("training.iteration", done);
  file.meta.set("training.seconds", seconds);
  file.meta.set("training.seed", static_cast<std::int64_t>(o.seed));
  file.meta.set("training.batch", std::int64_t{o.batch});
  file.meta.set("training.iterations", o.pix2pix.iterations);
  file.meta.set("training.d_width", std::int64_t{o.d_width});
  file.meta.set("training.d_layers", std::int64_t{o.d_layers});
  trainer.save_state(file);
  file.save(o.checkpoint);
}

void write_samples(const ReenactorTrainingOptions& o, Pix2PixTrainer& trainer, const TalkingHead& data,
                   std::int64_t done) {
  torch::NoGradGuard no_grad;
  nets::Translator g = trainer.generator();
  g->eval();
  // Eight frames spread over the video.
  const std::int64_t n = std::min<std::int64_t>(8, data.count());
  torch::Tensor rows = torch::linspace(0, static_cast<double>(data.count() - 1), n).round().to(torch::kLong);
  torch::Device device(o.device);
  torch::Tensor z = data.sketches(rows).to(device);
  fs::create_directories(o.samples_dir);
  char name[64];
  std::snprintf(name, sizeof name, "iter-%08lld.png", static_cast<long long>(done));
  save_rgb8((fs::path(o.samples_dir) / name).string(), tile_columns({z, g->forward(z), data.frames(rows).to(device)}));
  g->train();
}

}  // namespace

TrainingResult train_reenactor(const ReenactorTrainingOptions& options, const TalkingHead& data,
                               const TrainingEvents& events, const DataParallel& parallel) {
  ReenactorTrainingOptions o = options;
  if (o.checkpoint.empty()) o.checkpoint = o.output + ".ckpt";
  if (data.size() != o.net.image_size)
    throw Error("the frames are " + std::to_string(data.size()) + " px crops, the network takes " +
                std::to_string(o.net.image_size));
  torch::Device device(o.device);

  torch::manual_seed(o.seed);  // initial weights
  nets::Translator g = nets::make_translator(o.net);
  nets::PatchDiscriminator d(2 * o.net.in_channels, o.d_width, o.d_layers);
  g->to(device);
  d->to(device);
  Pix2PixTrainer trainer(g, d, o.pix2pix);

  const ResumePoint from = resume_point(o.checkpoint, o.resume, [&](const ModelFile& ckpt) {
    ckpt.require("task", "reenactor");
    const nets::TranslatorConfig saved = translator_config_of(ckpt);
    if (saved.arch != o.net.arch || saved.width != o.net.width || saved.image_size != o.net.image_size ||
        ckpt.meta.get_int("training.batch") != o.batch || ckpt.meta.get_int("training.d_width") != o.d_width ||
        ckpt.meta.get_int("training.d_layers") != o.d_layers)
      throw InputError(o.checkpoint, "was made with other settings (architecture, widths, size or batch); "
                                     "resume with the same ones or start afresh");
    trainer.load_state(ckpt);
  }, events);
  trainer.set_data_parallel(parallel);

  install_interrupt_handler();
  TrainingClock clock(from.seconds);
  for (std::int64_t i = from.iteration; i < o.pix2pix.iterations; ++i) {
    torch::Tensor rows = iteration_rows(data.count(), o.batch, o.seed, i, parallel.rank(), parallel.world_size());
    auto losses = trainer.step(i, data.sketches(rows).to(device), data.frames(rows).to(device));
    const std::int64_t done = i + 1;
    if (events.iteration) events.iteration(done, losses);
    const bool last = done == o.pix2pix.iterations;
    if (parallel.writes() && !o.samples_dir.empty() && (done % o.sample_every == 0 || last))
      write_samples(o, trainer, data, done);
    if (checkpoint_or_stop(done, o.pix2pix.iterations, o.checkpoint_every, o.checkpoint, [&] { write_checkpoint(o, trainer, done, clock.seconds()); }, events, parallel))
      return TrainingResult::Interrupted;
  }
  if (!parallel.writes()) return TrainingResult::Finished;
  Metadata extra;
  extra.set("training.seconds", clock.seconds());
  extra.set("training.iterations", o.pix2pix.iterations);
  extra.set("training.seed", static_cast<std::int64_t>(o.seed));
  extra.set("training.frames", data.count());
  extra.set("training.world_size", std::int64_t{parallel.world_size()});
  save_reenactor_model(o.output, g, extra);
  return TrainingResult::Finished;
}

}  // namespace idef
