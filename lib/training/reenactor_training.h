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

TrainingResult train_reenactor(const ReenactorTrainingOptions& options, const TalkingHead& data,
                               const TrainingEvents& events);

// The rows of an iteration's batch: drawn from iteration_seed(seed, iteration), which also
// seeds torch for the iteration's steps, so a resumed run repeats an uninterrupted one.
torch::Tensor iteration_rows(std::int64_t count, int batch, std::uint64_t seed, std::int64_t iteration);

}  // namespace idef
