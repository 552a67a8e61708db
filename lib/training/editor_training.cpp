#include "training/editor_training.h"

#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/interrupt.h"
#include "data/attributes.h"
#include "data/face_dataset.h"
#include "io/image.h"
#include "model/editor_model.h"
#include "model/model_file.h"
#include "report/contact_sheet.h"

namespace fs = std::filesystem;

namespace idef {

std::uint64_t iteration_seed(std::uint64_t seed, std::int64_t iteration, int rank) {
  // splitmix64 of the pair: well-spread seeds for neighbouring iterations.
  std::uint64_t z = seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(iteration) + 0x632BE59BD9B4E019ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return (z ^ (z >> 31)) ^ (static_cast<std::uint64_t>(rank) * 0xD1B54A32D192ED03ULL);
}

std::pair<torch::Tensor, torch::Tensor> iteration_batch(const FaceDataset& data, int batch, std::uint64_t seed,
                                                        std::int64_t iteration, const torch::Device& device,
                                                        int rank) {
  std::uint64_t s = iteration_seed(seed, iteration, rank);
  std::mt19937_64 rng(s);
  torch::manual_seed(s);
  std::uniform_int_distribution<std::int64_t> pick(0, data.size() - 1);
  std::vector<std::int64_t> idx(batch);
  for (auto& v : idx) v = pick(rng);
  auto [x, c] = data.batch(idx, &rng);
  return {x.to(device), c.to(device)};
}

ResumePoint resume_point(const std::string& checkpoint, bool resume,
                         const std::function<void(const ModelFile&)>& restore, const TrainingEvents& events) {
  ResumePoint point;
  if (resume && fs::exists(checkpoint)) {
    ModelFile ckpt = ModelFile::load(checkpoint);
    ckpt.require("kind", "checkpoint");
    restore(ckpt);
    point.iteration = ckpt.meta.get_int("training.iteration");
    if (ckpt.meta.has("training.seconds")) point.seconds = ckpt.meta.get_double("training.seconds");
    if (events.message)
      events.message("resuming from " + checkpoint + " at iteration " + std::to_string(point.iteration));
  } else if (resume && events.message) {
    events.message("no checkpoint at " + checkpoint + ": starting from the beginning");
  }
  return point;
}

void load_initial_weights(const ModelFile& file, torch::nn::Module& generator, torch::nn::Module& discriminator,
                          const TrainingEvents& events) {
  file.load_module(file.has_section("G") ? "G" : "weights", generator);
  const bool with_d = file.has_section("D");
  if (with_d) file.load_module("D", discriminator);
  if (events.message)
    events.message("surrogate initialised from " + file.source() +
                   (with_d ? " (with its discriminator)" : " (discriminator from scratch)"));
}

bool checkpoint_or_stop(std::int64_t done, std::int64_t total, std::int64_t checkpoint_every,
                        const std::string& checkpoint, const std::function<void()>& write_checkpoint,
                        const TrainingEvents& events, const DataParallel& parallel) {
  const bool last = done == total;
  const bool stop = parallel.any(interrupted());
  if (parallel.writes() && (stop || (checkpoint_every > 0 && done % checkpoint_every == 0) || last)) write_checkpoint();
  if (!stop || last) return false;
  if (events.message)
    events.message("interrupted at iteration " + std::to_string(done) + "; checkpoint written to " + checkpoint +
                   " (continue with --resume)");
  return true;
}

namespace {

void write_checkpoint(const EditorTrainingOptions& o, StarGanTrainer& trainer, std::int64_t done,
                      const std::string& path, double seconds) {
  ModelFile file;
  describe_editor(file, trainer.generator()->config(), o.attributes);
  file.meta.set("kind", std::string("checkpoint"));
  file.meta.set("training.iteration", done);
  file.meta.set("training.seconds", seconds);
  file.meta.set("training.seed", static_cast<std::int64_t>(o.seed));
  file.meta.set("training.batch", std::int64_t{o.batch});
  file.meta.set("training.warmup_batch", std::int64_t{o.warmup_batch});
  file.meta.set("training.iterations", o.stargan.iterations);
  file.meta.set("training.d_width", std::int64_t{o.d_width});
  trainer.save_state(file);
  file.save(path);
}

// The warm-up batch a checkpoint was made with; those written before --warmup-batch existed
// have none (or 0): their warm-up used the batch.
std::int64_t saved_warmup_batch(const ModelFile& ckpt) {
  std::int64_t w = ckpt.meta.has("training.warmup_batch") ? ckpt.meta.get_int("training.warmup_batch") : 0;
  return w > 0 ? w : ckpt.meta.get_int("training.batch");
}

void write_samples(const EditorTrainingOptions& o, StarGanTrainer& trainer, const FaceDataset& data,
                   std::int64_t done) {
  torch::NoGradGuard no_grad;
  nets::Editor g = trainer.generator();
  g->eval();
  std::int64_t n = std::min<std::int64_t>(8, data.size());
  std::vector<std::int64_t> idx(n);
  for (std::int64_t i = 0; i < n; ++i) idx[i] = i;
  auto [x, labels] = data.batch(idx);
  torch::Device device(o.device);
  x = x.to(device);
  std::vector<torch::Tensor> columns{x};
  for (const auto& c : target_domain_labels(labels.to(device), o.attributes)) columns.push_back(g->forward(x, c));
  fs::create_directories(o.samples_dir);
  char name[64];
  std::snprintf(name, sizeof name, "iter-%08lld.png", static_cast<long long>(done));
  save_rgb8((fs::path(o.samples_dir) / name).string(), tile_columns(columns));
  g->train();
}

}  // namespace

TrainingResult train_editor(const EditorTrainingOptions& options, const FaceDataset& data,
                            const TrainingEvents& events, const DataParallel& parallel) {
  EditorTrainingOptions o = options;
  o.net.c_dim = static_cast<int>(o.attributes.size());
  if (o.checkpoint.empty()) o.checkpoint = o.output + ".ckpt";
  if (o.warmup_batch == 0) o.warmup_batch = o.batch;
  if (data.c_dim() != o.net.c_dim) throw Error("dataset labels do not match the attributes");
  torch::Device device(o.device);

  torch::manual_seed(o.seed);  // initial weights
  nets::Editor g = nets::make_editor(o.net);
  nets::StarGanDiscriminator d(o.net.image_size, o.d_width, o.net.c_dim);
  g->to(device);
  d->to(device);
  StarGanTrainer trainer(g, d, o.stargan);

  const ResumePoint from = resume_point(o.checkpoint, o.resume, [&](const ModelFile& ckpt) {
    ckpt.require("task", "editor");
    nets::EditorConfig saved = editor_config_of(ckpt);
    if (saved.arch != o.net.arch || saved.width != o.net.width || saved.image_size != o.net.image_size ||
        ckpt.meta.get_strings("domains") != o.attributes || ckpt.meta.get_int("training.batch") != o.batch ||
        saved_warmup_batch(ckpt) != o.warmup_batch || ckpt.meta.get_int("training.d_width") != o.d_width)
      throw InputError(o.checkpoint, "was made with other settings (architecture, widths, size, attributes or "
                                     "batch sizes); resume with the same ones or start afresh");
    trainer.load_state(ckpt);
  }, events);
  trainer.set_data_parallel(parallel);

  install_interrupt_handler();
  TrainingClock clock(from.seconds);
  for (std::int64_t i = from.iteration; i < o.stargan.iterations; ++i) {
    const int batch = i < o.stargan.warmup_iterations ? o.warmup_batch : o.batch;
    auto [x, c] = iteration_batch(data, batch, o.seed, i, device, parallel.rank());
    auto losses = trainer.step(i, x, c);
    const std::int64_t done = i + 1;
    if (events.iteration) events.iteration(done, losses);
    const bool last = done == o.stargan.iterations;
    if (parallel.writes() && !o.samples_dir.empty() && (done % o.sample_every == 0 || last))
      write_samples(o, trainer, data, done);
    if (checkpoint_or_stop(done, o.stargan.iterations, o.checkpoint_every, o.checkpoint, [&] { write_checkpoint(o, trainer, done, o.checkpoint, clock.seconds()); }, events, parallel))
      return TrainingResult::Interrupted;
  }
  if (!parallel.writes()) return TrainingResult::Finished;
  Metadata extra;
  extra.set("training.seconds", clock.seconds());
  extra.set("training.iterations", o.stargan.iterations);
  extra.set("training.seed", static_cast<std::int64_t>(o.seed));
  extra.set("training.world_size", std::int64_t{parallel.world_size()});
  save_editor_model(o.output, EditorModel{g, o.attributes}, extra);
  return TrainingResult::Finished;
}

}  // namespace idef
