// Trains an attribute editor with StarGAN's recipe on a CelebA-layout dataset: the
// forger's side (id-forge train-attr). Checkpoints every N iterations and on SIGINT /
// SIGTERM (atomic, so a SIGKILL loses at most one interval), resumes from them exactly
// (per-iteration seeding makes a resumed run repeat the losses of an uninterrupted one at
// a fixed thread count), and writes sample sheets.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "nets/editor.h"
#include "training/stargan_trainer.h"

namespace idef {

class FaceDataset;
class ModelFile;

struct EditorTrainingOptions {
  nets::EditorConfig net;          // c_dim is set from the attributes
  int d_width = 64;                // StarGAN discriminator conv_dim
  std::vector<std::string> attributes;
  StarGanSettings stargan;
  int batch = 16;
  // The warm-up's batch size (0: batch). A generator trained alone as an autoencoder gains
  // most per CPU second from small batches; the critic of the adversarial phase that follows
  // can need larger ones (cnet at batch 2 met its classifier with blotches).
  int warmup_batch = 0;
  std::uint64_t seed = 1;
  std::string output;              // final editor model
  std::string checkpoint;          // checkpoint file (empty: OUTPUT.ckpt)
  std::int64_t checkpoint_every = 1000;
  bool resume = false;
  std::string samples_dir;         // sample sheets (empty: none)
  std::int64_t sample_every = 1000;
  std::string device = "cpu";
};

struct TrainingEvents {
  // After every iteration: its number (1-based count done) and the losses of its steps.
  std::function<void(std::int64_t, const std::map<std::string, double>&)> iteration;
  std::function<void(const std::string&)> message;
};

enum class TrainingResult { Finished, Interrupted };

// With `parallel` over several ranks, `data` is this rank's shard and `batch` its own
// batch; rank 0 alone writes the checkpoints, samples and the model.
TrainingResult train_editor(const EditorTrainingOptions& options, const FaceDataset& data,
                            const TrainingEvents& events, const DataParallel& parallel = single_process());

// The seeds of iteration i: everything random in it (batch choice, flips, label shuffle,
// GP mixing) derives from (seed, i), so a resumed run repeats an uninterrupted one. Each
// data-parallel rank has a seed of its own (rank 0's is the one-process seed).
std::uint64_t iteration_seed(std::uint64_t seed, std::int64_t iteration, int rank = 0);

// The training batch of an iteration (images in [-1,1] and labels, on `device`): indices
// and flips drawn from iteration_seed (the rank's), which also seeds torch for the
// iteration's steps.
std::pair<torch::Tensor, torch::Tensor> iteration_batch(const FaceDataset& data, int batch, std::uint64_t seed,
                                                        std::int64_t iteration, const torch::Device& device,
                                                        int rank = 0);

// Training time summed over the sittings of a resumed run: "training.seconds" in
// checkpoints and in the model written at the end.
class TrainingClock {
 public:
  explicit TrainingClock(double earlier_seconds = 0)
      : earlier_(earlier_seconds), start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return earlier_ + std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  double earlier_;
  std::chrono::steady_clock::time_point start_;
};

// Where a run starts: with `resume` and an existing checkpoint, `restore` checks and loads
// it (throwing for other settings) and the run continues at its iteration and training
// time; otherwise from the beginning. Either way `events.message` says which.
struct ResumePoint {
  std::int64_t iteration = 0;
  double seconds = 0;
};
ResumePoint resume_point(const std::string& checkpoint, bool resume,
                         const std::function<void(const ModelFile&)>& restore, const TrainingEvents& events);

// Starts a generator and its discriminator from a model file (--surrogate-init): the
// generator from section "G" (a training checkpoint) or "weights" (a model), the
// discriminator from "D" when the file carries one (checkpoints do, and id-forge import
// with --discriminator); events.message says which. Shapes must match (InputError).
void load_initial_weights(const ModelFile& file, torch::nn::Module& generator, torch::nn::Module& discriminator,
                          const TrainingEvents& events);

// The end of an iteration of a training loop: `write_checkpoint` on an interrupt, every
// `checkpoint_every` iterations (0: never) and after the last. True when an interrupt stops
// the run before its last iteration (events.message then says how to continue). Data-parallel
// ranks all stop at the iteration where any of them was interrupted; rank 0 writes.
bool checkpoint_or_stop(std::int64_t done, std::int64_t total, std::int64_t checkpoint_every,
                        const std::string& checkpoint, const std::function<void()>& write_checkpoint,
                        const TrainingEvents& events, const DataParallel& parallel = single_process());

}  // namespace idef
