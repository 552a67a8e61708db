// Trains the perturbation generator of the attribute-editing defence on a CelebA-layout
// dataset (id-train-attr): the alternating two-stage loop of AttrDefenceTrainer, or with
// alternate = false the paper's ablation † (train SM first, freeze it, then train PG).
// PG_best is chosen on a fixed batch of the validation split. Checkpoints every N
// iterations and on SIGINT/SIGTERM (atomic: a SIGKILL loses at most one interval) and
// resumes from them, repeating an uninterrupted run's losses at a fixed thread count.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "nets/editor.h"
#include "nets/translator.h"
#include "training/attr_defence_trainer.h"
#include "training/editor_training.h"

namespace idef {

class FaceDataset;

struct AttrDefenceOptions {
  nets::EditorConfig surrogate;        // SM; c_dim is set from settings.attributes
  // More surrogates trained alongside SM (an ensemble): one per architecture listed, of SM's
  // width, each from its own initial weights (list an architecture twice for two seeds).
  std::vector<std::string> ensemble;
  int da_width = 64, db_width = 64;    // StarGAN discriminator conv_dim of DA and DB
  nets::TranslatorConfig generator;    // PG (unet64/128/256)
  AttrDefenceSettings settings;        // settings.stage_a.iterations is set from the schedule
  std::int64_t iterations = 200000;    // PG iterations (alternating: also SM's)
  std::int64_t decay_iterations = 100000;  // SM's linear learning-rate decay
  bool alternate = true;
  std::int64_t surrogate_iterations = -1;  // alternate = false: SM's iterations first (-1: `iterations`)
  // Start SM (and DA, if the file has it) from an id-forge editor model or train-attr
  // checkpoint of the same architecture, widths, size and domains instead of from scratch.
  std::string surrogate_init;
  int batch = 16;
  int pg_steps = 1;                    // PG steps per iteration, the extra ones on batches of their own
  std::uint64_t seed = 1;
  std::int64_t validate_every = 500;   // PG_best is chosen at these iterations and the last
  int validation_size = 16;            // the fixed held-out batch: the first images of the validation split
  std::string output;                  // PG_best as a perturbation model
  std::string surrogate_output;        // optional: the final SM as an editor model
  std::string checkpoint;              // empty: OUTPUT.ckpt
  std::int64_t checkpoint_every = 1000;
  bool resume = false;
  std::string samples_dir;
  std::int64_t sample_every = 1000;
  std::string device = "cpu";
};

// Events: per iteration its losses ("SM/…", "DA/…", "DB/…", "PG/…", and "val/distance",
// "val/best" at validation).
// With `parallel` over several ranks, `train` is this rank's shard (the validation faces
// every rank's own full copy); rank 0 alone writes the checkpoints, samples and the model.
TrainingResult train_attr_defence(const AttrDefenceOptions& options, const FaceDataset& train,
                                  const FaceDataset& validation, const TrainingEvents& events,
                                  const DataParallel& parallel = single_process());

}  // namespace idef
