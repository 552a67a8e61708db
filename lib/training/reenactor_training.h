// Trains a reenactment model (landmark sketch z → frame x) with pix2pix's recipe on one
// person's frames: the forger's side (id-forge train-reenact; docs/reenactment.md).
// Checkpoints, exact --resume and sample sheets as train_editor.
#pragma once
#include <cstdint>
#include <string>

#include "nets/translator.h"
#include "training/editor_training.h"
#include "training/pix2pix_trainer.h"

namespace idef {

class TalkingHead;

struct ReenactorTrainingOptions {
  nets::TranslatorConfig net;  // image_size must be the frames' size
  int d_width = 64;            // PatchGAN ndf
  int d_layers = 3;            // PatchGAN depth (3: 70×70 patches)
  Pix2PixSettings pix2pix;
  int batch = 1;               // pix2pix's own
  std::uint64_t seed = 1;
  std::string output;
  std::string checkpoint;      // empty: OUTPUT.ckpt
  std::int64_t checkpoint_every = 1000;
  bool resume = false;
  std::string samples_dir;     // sheets of sketch | model | frame (empty: none)
  std::int64_t sample_every = 1000;
  std::string device = "cpu";
};

// With `parallel` over several ranks, each rank trains on its share of the frames (every
// world-th) with its own batch; rank 0 alone writes the checkpoints, samples and the model.
TrainingResult train_reenactor(const ReenactorTrainingOptions& options, const TalkingHead& data,
                               const TrainingEvents& events, const DataParallel& parallel = single_process());

// The rows of an iteration's batch: drawn from iteration_seed(seed, iteration), which also
// seeds torch for the iteration's steps, so a resumed run repeats an uninterrupted one.
// Data-parallel rank `rank` of `world` draws only rows rank, rank + world, ... (its share of
// the frames), from a seed of its own (rank 0's is the one-process seed).
torch::Tensor iteration_rows(std::int64_t count, int batch, std::uint64_t seed, std::int64_t iteration,
                             int rank = 0, int world = 1);

}  // namespace idef
